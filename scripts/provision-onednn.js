#!/usr/bin/env node
/*
 * provision-onednn.js — build the optional oneDNN addon (native/onednn/*.cc:
 * recurrent-layer and output-layer kernels on Intel's oneDNN) into
 * native/build/rnnlm_onednn.node.
 *
 * oneDNN itself comes from PyPI, like TensorFlow's C library in
 * provision-native.js: libdnnl.so.3 from the `onednn-cpu-gomp` wheel and the
 * headers from `onednn-devel-cpu-gomp` (both 2023.2.0, manylinux1 x86_64).
 * They are cached in <cache>/onednn-cpu-gomp-2023.2.0/{lib,include}; the addon
 * is compiled with g++ against them and the Node headers, with an RPATH to the
 * cached lib dir, then loaded in a fresh process to check it works.
 *
 * Run from the project's `postinstall` after provision-native.js (or by hand:
 * `node scripts/provision-onednn.js`).
 * - Idempotent: does nothing if the addon was built from the same sources, for
 *   the same Node ABI, against the same cached oneDNN, and still loads.
 * - Cached: the cache dir is $RNNLM_NATIVE_CACHE, or else
 *   $XDG_CACHE_HOME/tfjs-rnnlm, or else ~/.cache/tfjs-rnnlm (shared by every
 *   clone). The wheels themselves are not kept.
 * - Never fails: it always exits 0. If something is missing it prints one line
 *   saying tfjs-rnnlm will use TensorFlow's kernels, and how to get oneDNN's.
 * - Linux x86_64 (glibc) only. RNNLM_NO_ONEDNN=1 (or RNNLM_NO_NATIVE=1)
 *   disables it. RNNLM_ONEDNN_SOURCE=file.cc builds another source instead of
 *   native/onednn/*.cc. `--force` rebuilds even if the addon is up to date.
 *
 * Plain Node.js (CommonJS), built-in modules and ./wheels.js only.
 */
'use strict';

const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const {
  Skip, secs, run, readJson, rmrf, cacheRoot, freeBytes, glibcVersion,
  downloadWheel, zipEntries, zipExtract, publishDir, show, addonIncludeDir,
} = require('./wheels');

const P = '[rnnlm onednn]';
const PROJECT = path.resolve(__dirname, '..');
const FORCE = process.argv.includes('--force');
const HOW = 'then run `node scripts/provision-onednn.js` (or `npm ci` again)';
const ONEDNN = '2023.2.0';
const LIB = 'libdnnl.so.3';
const LIB_MEMBER = `onednn_cpu_gomp-${ONEDNN}.data/data/lib/${LIB}`;
const INCLUDE_MEMBERS = `onednn_devel_cpu_gomp-${ONEDNN}.data/data/include/`;
const BUILD = path.join(PROJECT, 'native', 'build');
const ADDON = path.join(BUILD, 'rnnlm_onednn.node');
const STAMP = path.join(BUILD, 'rnnlm_onednn.json');
const t0 = Date.now();

function log(msg) { console.log(`${P} ${msg}`); }

function finish(reason, hint) {
  console.log(`${P} oneDNN kernels not built (${reason}); tfjs-rnnlm will use TensorFlow's kernels.` +
      (hint === null ? '' : ` To get them: ${hint || 'see the README'}, ${HOW}.`));
  process.exit(0);
}

/** One hash over the files (names and contents): any change to a source or header rebuilds the addon. */
function sha256(files) {
  const hash = crypto.createHash('sha256');
  for (const file of files) hash.update(`${path.basename(file)}\0`).update(fs.readFileSync(file));
  return hash.digest('hex');
}

// ------------------------------------------------------- oneDNN from PyPI

/** The cache dir holding lib/libdnnl.so.3 and include/ if it is complete, else null. */
function cachedOnednn(dir) {
  const stamp = readJson(path.join(dir, 'complete.json'));
  try {
    if (stamp && stamp.version === ONEDNN && fs.statSync(path.join(dir, 'lib', LIB)).size === stamp.size &&
        fs.existsSync(path.join(dir, 'include', 'oneapi', 'dnnl', 'dnnl.hpp'))) return dir;
  } catch (_) {}
  return null;
}

/** Returns the cache dir with lib/ and include/ of oneDNN; downloads the two wheels if needed. */
async function ensureOnednn(cache) {
  const dir = path.join(cache, `onednn-cpu-gomp-${ONEDNN}`);
  if (cachedOnednn(dir)) { log(`using cached oneDNN ${ONEDNN}: ${dir}`); return dir; }
  if (freeBytes(cache) < 300e6) {
    throw new Skip(`less than 300 MB free in ${cache}`, 'free disk space or set RNNLM_NATIVE_CACHE to another directory');
  }
  const tmp = fs.mkdtempSync(path.join(cache, `.tmp-onednn-${ONEDNN}-`));
  try {
    log(`downloading oneDNN ${ONEDNN} wheels (~39 MB + 0.2 MB) from PyPI into ${tmp}`);
    const wheels = {};
    for (const name of ['onednn-cpu-gomp', 'onednn-devel-cpu-gomp']) {
      const spec = {name, version: ONEDNN, accept: (f) => /-none-manylinux1_x86_64\.whl$/.test(f),
        describe: `manylinux1 x86_64 wheel of ${name} ${ONEDNN}`};
      const whlDir = path.join(tmp, name);
      fs.mkdirSync(whlDir);
      try { wheels[name] = await downloadWheel(spec, whlDir, log); } catch (e) {
        throw new Skip(`could not download ${name} ${ONEDNN}: ${e.message}`,
            'make sure pypi.org is reachable (pip.conf mirrors are honoured when python3 + pip are installed)');
      }
    }

    const t = Date.now();
    const stage = path.join(tmp, 'out');
    const lib = zipEntries(wheels['onednn-cpu-gomp']).find((e) => e.name === LIB_MEMBER);
    if (!lib) throw new Skip(`the onednn-cpu-gomp ${ONEDNN} wheel has no ${LIB_MEMBER}`, 'report it');
    await zipExtract(wheels['onednn-cpu-gomp'], lib, path.join(stage, 'lib', LIB));
    fs.chmodSync(path.join(stage, 'lib', LIB), 0o755);
    fs.symlinkSync(LIB, path.join(stage, 'lib', 'libdnnl.so')); // for -ldnnl
    const incs = zipEntries(wheels['onednn-devel-cpu-gomp'])
        .filter((e) => e.name.startsWith(INCLUDE_MEMBERS) && !e.name.endsWith('/'));
    for (const e of incs) {
      await zipExtract(wheels['onednn-devel-cpu-gomp'], e, path.join(stage, 'include', e.name.slice(INCLUDE_MEMBERS.length)));
    }
    fs.writeFileSync(path.join(stage, 'complete.json'),
        JSON.stringify({version: ONEDNN, size: lib.uncomp, headers: incs.length, date: new Date().toISOString()}, null, 1));
    if (!cachedOnednn(stage)) throw new Skip(`the onednn-devel-cpu-gomp ${ONEDNN} wheel has no oneapi/dnnl/dnnl.hpp`, 'report it');
    log(`  extracted ${LIB} and ${incs.length} headers (${secs(t)}); the wheels are not kept`);
    publishDir(stage, dir, log);
    return dir;
  } finally { rmrf(tmp); }
}

// ------------------------------------------------------- build and check

/** Load the addon in a fresh process: version() must be oneDNN's "3.x.y". Returns {version} or {error}. */
function verify() {
  const code = `const v = require(${JSON.stringify(ADDON)}).version();
    if (typeof v !== 'string' || !v.startsWith('3.')) throw new Error('version() returned ' + JSON.stringify(v));
    console.log('RNNLM_VERIFY ' + v);`;
  // LD_BIND_NOW=1: a symbol missing from libdnnl fails here, not in the middle of training.
  const r = run(process.execPath, ['-e', code], {cwd: PROJECT, timeout: 60000, env: {...process.env, LD_BIND_NOW: '1'}});
  const m = /^RNNLM_VERIFY (.*)$/m.exec(r.stdout || '');
  if (r.status === 0 && m) return {version: m[1]};
  const err = (r.stderr || '').split('\n').find((l) => /^\w*Error\b|undefined symbol|cannot open/.test(l));
  return {error: (err || (r.error && r.error.message) || `exit ${r.status}`).trim().slice(0, 300)};
}

function compile(sources, onednnDir, nodeInclude) {
  const tmpOut = path.join(BUILD, `rnnlm_onednn.tmp-${process.pid}.node`);
  const lib = path.join(onednnDir, 'lib');
  // -fopenmp: the output layer's loops share libgomp's threads with oneDNN.
  const args = ['-O2', '-std=c++17', '-fopenmp', '-shared', '-fPIC', `-I${nodeInclude}`, `-I${path.join(onednnDir, 'include')}`,
    ...sources, '-o', tmpOut, `-L${lib}`, '-ldnnl', `-Wl,-rpath,${lib}`];
  log(`compiling ${sources.map(show).join(' ')}: g++ ${args.join(' ')}`);
  const t = Date.now();
  const logFile = path.join(BUILD, 'rnnlm_onednn.log');
  const r = run('g++', args, {cwd: PROJECT, timeout: 1200000});
  fs.writeFileSync(logFile, `g++ ${args.join(' ')}\n\n${r.stdout || ''}\n${r.stderr || ''}`);
  if (r.status !== 0 || !fs.existsSync(tmpOut)) {
    rmrf(tmpOut);
    const err = (r.stderr || '').split('\n').find((l) => /error/.test(l)) || (r.error && r.error.message) || `exit ${r.status}`;
    throw new Skip(`compiling ${sources.map((s) => path.basename(s)).join(' ')} failed: ${err.trim().slice(0, 200)}; full log: ${show(logFile)}`,
        'fix the compile error');
  }
  fs.renameSync(tmpOut, ADDON);
  log(`  built ${show(ADDON)} (${secs(t)})`);
}

// ------------------------------------------------------------------- main

async function main() {
  if (process.env.RNNLM_PROVISIONING) return; // nested npm call made by provision-native.js
  const off = ['RNNLM_NO_ONEDNN', 'RNNLM_NO_NATIVE'].find((k) => /^(1|true|yes)$/i.test(process.env[k] || ''));
  if (off) {
    log(`${off}=1: oneDNN kernels not built; tfjs-rnnlm will use TensorFlow's kernels ` +
        '(unset it and run `node scripts/provision-onednn.js` to get them).');
    return;
  }
  if (process.platform !== 'linux' || process.arch !== 'x64' || !glibcVersion()) {
    throw new Skip(`the oneDNN wheels are for Linux x86_64 with glibc; this is ${process.platform}-${process.arch}`, null);
  }
  const sourceDir = path.join(PROJECT, 'native', 'onednn');
  const listed = (ending) => (fs.existsSync(sourceDir) ? fs.readdirSync(sourceDir).filter((f) => f.endsWith(ending)).sort().map((f) => path.join(sourceDir, f)) : []);
  const sources = process.env.RNNLM_ONEDNN_SOURCE ? [path.resolve(PROJECT, process.env.RNNLM_ONEDNN_SOURCE)] : listed('.cc');
  const missing = sources.length === 0 ? path.join(sourceDir, '*.cc') : sources.find((s) => !fs.existsSync(s));
  if (missing) {
    throw new Skip(`${show(missing)} not found`, 'reinstall tfjs-rnnlm (or set RNNLM_ONEDNN_SOURCE to the addon source)');
  }
  const cache = cacheRoot();
  const onednnDir = path.join(cache, `onednn-cpu-gomp-${ONEDNN}`);
  const libDir = path.join(onednnDir, 'lib');
  const want = {sourceSha256: sha256([...sources, ...listed('.h')]), onednn: ONEDNN, libDir, node: process.versions.modules};

  const stamp = readJson(STAMP);
  if (!FORCE && stamp && fs.existsSync(ADDON) && cachedOnednn(onednnDir) &&
      ['sourceSha256', 'onednn', 'libDir', 'node'].every((k) => stamp[k] === want[k])) {
    const v = verify();
    if (!v.error) { log(`oneDNN ${v.version} kernels ready (${show(ADDON)} is up to date). ${secs(t0)}`); return; }
    log(`the built addon does not load (${v.error}); rebuilding`);
  }
  // The old addon (if any) does not match the sources, Node or oneDNN: remove it now, so
  // that any failure below leaves TensorFlow's kernels in use, not a stale addon.
  rmrf(STAMP);
  rmrf(ADDON);

  // Check the prerequisites before downloading anything.
  const nodeInclude = addonIncludeDir();
  try { fs.mkdirSync(cache, {recursive: true}); fs.mkdirSync(BUILD, {recursive: true}); } catch (e) {
    throw new Skip(`cannot create ${e.path || cache} (${e.code})`, 'set RNNLM_NATIVE_CACHE to a writable directory');
  }

  log(`building the oneDNN ${ONEDNN} addon (oneDNN from PyPI; cache ${cache})`);
  await ensureOnednn(cache);
  compile(sources, onednnDir, nodeInclude);
  const v = verify();
  if (v.error) {
    rmrf(ADDON);
    throw new Skip(`the addon was built but does not load: ${v.error}`,
        'fix the addon source, or install libgomp.so.1 if that is what is missing (Debian/Ubuntu: apt-get install libgomp1)');
  }
  const tmpStamp = `${STAMP}.tmp-${process.pid}`;
  fs.writeFileSync(tmpStamp, JSON.stringify({...want, date: new Date().toISOString()}, null, 1));
  fs.renameSync(tmpStamp, STAMP);
  log(`oneDNN ${v.version} kernels ready: ${show(ADDON)} loads. Total ${secs(t0)}`);
}

main().then(() => process.exit(0), (e) => {
  if (e instanceof Skip) finish(e.message, e.hint);
  else finish(`unexpected error: ${e && e.stack ? e.stack.split('\n').slice(0, 2).join(' ') : e}`, 'install python3 + pip and g++');
});
