#!/usr/bin/env node
/*
 * provision-process.js — build the process addon (native/process/process.cc)
 * into native/build/rnnlm_process.node: the signal mask that keeps signals off
 * the threads running oneDNN's JIT sgemm, glibc's allocator settings, fd 2's
 * silencing while TensorFlow loads, and the dropout masks' loop.
 *
 * It is apart from the oneDNN addon (provision-onednn.js) because TensorFlow's
 * own kernels need the mask too, also where oneDNN's wheel cannot be had or
 * RNNLM_NO_ONEDNN=1: it needs only g++ and the Node headers, no download.
 *
 * Run from the project's `postinstall` (or by hand:
 * `node scripts/provision-process.js`).
 * - Idempotent: does nothing if the addon was built from the same source for
 *   the same Node ABI and still loads. `--force` rebuilds.
 * - Never fails: it always exits 0. If something is missing it prints one line
 *   saying what is lost (a signal during a TensorFlow kernel may corrupt the
 *   heap) and how to get it.
 * - RNNLM_NO_NATIVE=1 disables it, as it disables the native backend.
 *
 * Plain Node.js (CommonJS), built-in modules and ./wheels.js only.
 */
'use strict';

const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const {Skip, secs, run, readJson, rmrf, show, addonIncludeDir} = require('./wheels');

const P = '[rnnlm process]';
const PROJECT = path.resolve(__dirname, '..');
const FORCE = process.argv.includes('--force');
const SOURCE = path.join(PROJECT, 'native', 'process', 'process.cc');
const BUILD = path.join(PROJECT, 'native', 'build');
const ADDON = path.join(BUILD, 'rnnlm_process.node');
const STAMP = path.join(BUILD, 'rnnlm_process.json');
const t0 = Date.now();

function log(msg) { console.log(`${P} ${msg}`); }

/** Load the addon in a fresh process; every function must be there. Returns null or the error. */
function verify() {
  const code = `const a = require(${JSON.stringify(ADDON)});
    for (const f of ['holdAsyncSignals', 'keepFreedMemory', 'stderrToNull', 'restoreStderr', 'fillDropoutMask']) {
      if (typeof a[f] !== 'function') throw new Error('missing export ' + f);
    }
    console.log('RNNLM_VERIFY');`;
  const r = run(process.execPath, ['-e', code], {cwd: PROJECT, timeout: 60000, env: {...process.env, LD_BIND_NOW: '1'}});
  if (r.status === 0 && /^RNNLM_VERIFY$/m.test(r.stdout || '')) return null;
  const err = (r.stderr || '').split('\n').find((l) => /^\w*Error\b|undefined symbol|cannot open/.test(l));
  return (err || (r.error && r.error.message) || `exit ${r.status}`).trim().slice(0, 300);
}

function main() {
  if (process.env.RNNLM_PROVISIONING) return; // nested npm call made by provision-native.js
  if (/^(1|true|yes)$/i.test(process.env.RNNLM_NO_NATIVE || '')) {
    log('RNNLM_NO_NATIVE=1: the native backend is off, and this addon with it.');
    return;
  }
  if (!fs.existsSync(SOURCE)) throw new Skip(`${show(SOURCE)} not found`, 'reinstall tfjs-rnnlm');
  const want = {
    sourceSha256: crypto.createHash('sha256').update(fs.readFileSync(SOURCE)).digest('hex'),
    node: process.versions.modules,
  };
  const stamp = readJson(STAMP);
  if (!FORCE && stamp && fs.existsSync(ADDON) && ['sourceSha256', 'node'].every((k) => stamp[k] === want[k])) {
    const error = verify();
    if (!error) { log(`ready (${show(ADDON)} is up to date). ${secs(t0)}`); return; }
    log(`the built addon does not load (${error}); rebuilding`);
  }
  rmrf(STAMP);
  const nodeInclude = addonIncludeDir();
  try { fs.mkdirSync(BUILD, {recursive: true}); } catch (e) {
    throw new Skip(`cannot create ${show(BUILD)} (${e.code})`, 'make the package directory writable');
  }
  const tmpOut = path.join(BUILD, `rnnlm_process.tmp-${process.pid}.node`);
  const args = ['-O2', '-std=c++17', '-shared', '-fPIC', `-I${nodeInclude}`, SOURCE, '-o', tmpOut, '-pthread'];
  const r = run('g++', args, {cwd: PROJECT, timeout: 300000});
  if (r.status !== 0 || !fs.existsSync(tmpOut)) {
    rmrf(tmpOut);
    const err = (r.stderr || '').split('\n').find((l) => /error/.test(l)) || (r.error && r.error.message) || `exit ${r.status}`;
    throw new Skip(`compiling ${show(SOURCE)} failed: ${err.trim().slice(0, 200)}`, 'fix the compile error');
  }
  // Renamed into place: a process that has the old file loaded keeps its copy.
  fs.renameSync(tmpOut, ADDON);
  const error = verify();
  if (error) {
    rmrf(ADDON);
    throw new Skip(`the addon was built but does not load: ${error}`, 'fix the addon source');
  }
  const tmpStamp = `${STAMP}.tmp-${process.pid}`;
  fs.writeFileSync(tmpStamp, JSON.stringify({...want, date: new Date().toISOString()}, null, 1));
  fs.renameSync(tmpStamp, STAMP);
  log(`built ${show(ADDON)} with g++, and it loads. ${secs(t0)}`);
}

try {
  main();
} catch (e) {
  const reason = e instanceof Skip ? e.message : `unexpected error: ${e && e.stack ? e.stack.split('\n').slice(0, 2).join(' ') : e}`;
  const hint = e instanceof Skip ? e.hint : 'install g++';
  console.log(`${P} not built (${reason}): signals are not held off TensorFlow's threads, where one arriving during ` +
      `a oneDNN kernel can corrupt the heap. To get it: ${hint}, then run \`node scripts/provision-process.js\` (or \`npm ci\` again).`);
}
process.exit(0);
