#!/usr/bin/env node
/*
 * provision-native.js — make @tensorflow/tfjs-node load its native addon
 * without Google storage.
 *
 * tfjs-node's own install script downloads libtensorflow 2.9.1 (plus a
 * prebuilt addon) from storage.googleapis.com; that URL is unreachable here.
 * This script instead takes TensorFlow's C library from the official
 * `tensorflow-cpu` wheel on PyPI (libtensorflow_cc.so.2 exports the TF_* /
 * TFE_* C API). It stages the library into node_modules/@tensorflow/tfjs-node/deps
 * and builds the addon from source with node-gyp against the wheel's headers.
 *
 * Run from the project's `postinstall` (or by hand: `node scripts/provision-native.js`).
 * - Idempotent: does nothing (after a ~1 s check) if tfjs-node already loads.
 * - Cached: the extracted libraries and the built addon go in
 *   $RNNLM_NATIVE_CACHE, or else $XDG_CACHE_HOME/tfjs-rnnlm, or else
 *   ~/.cache/tfjs-rnnlm. The cache is shared by every clone; the wheel itself is
 *   not kept.
 * - Never fails: it always exits 0. If something goes wrong it prints one line
 *   saying the project will run on wasm, and how to get native.
 * - RNNLM_NO_NATIVE=1 disables it. RNNLM_TF_VERSION=2.20.0 picks another wheel.
 *   `--force` re-stages and rebuilds even if the addon already loads.
 *
 * Plain Node.js (CommonJS), built-in modules only.
 */
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const cp = require('child_process');
const crypto = require('crypto');
const https = require('https');
const zlib = require('zlib');
const {pipeline} = require('stream/promises');

const P = '[rnnlm native]';
const PROJECT = path.resolve(__dirname, '..');
const TFJS_NODE = '@tensorflow/tfjs-node';
const FORCE = process.argv.includes('--force');
const HOW = 'then run `node scripts/provision-native.js` (or `npm ci` again)';
const t0 = Date.now();

function log(msg) { console.log(`${P} ${msg}`); }
function secs(t) { return `${((Date.now() - t) / 1000).toFixed(1)}s`; }

/** An expected failure: its message is the one line we print, with a hint. */
class Skip extends Error {
  constructor(reason, hint) { super(reason); this.hint = hint; }
}

function finishWasm(reason, hint) {
  console.log(`${P} native TensorFlow not set up (${reason}); tfjs-rnnlm will ` +
      `run on the wasm backend. To get native: ${hint || 'see the README'}, ${HOW}.`);
  process.exit(0);
}

// ---------------------------------------------------------------- helpers

function which(cmd) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, cmd);
    try { fs.accessSync(p, fs.constants.X_OK); return p; } catch (_) {}
  }
  return null;
}

function run(cmd, args, opts = {}) {
  return cp.spawnSync(cmd, args, {encoding: 'utf8', maxBuffer: 64 << 20, ...opts});
}

function readJson(p) {
  try { return JSON.parse(fs.readFileSync(p, 'utf8')); } catch (_) { return null; }
}

function rmrf(p) { fs.rmSync(p, {recursive: true, force: true}); }

function cacheRoot() {
  if (process.env.RNNLM_NATIVE_CACHE) return path.resolve(process.env.RNNLM_NATIVE_CACHE);
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'tfjs-rnnlm');
}

function freeBytes(dir) {
  try { const s = fs.statfsSync(dir); return s.bavail * s.bsize; } catch (_) { return Infinity; }
}

/** Where tfjs-node is installed, or null. */
function tfjsNodeDir() {
  try {
    return path.dirname(require.resolve(`${TFJS_NODE}/package.json`, {paths: [PROJECT]}));
  } catch (_) { return null; }
}

/**
 * Load tfjs-node in a fresh process from the project dir, run a real op, and
 * return {tf, tfjs} (or {error}). LD_BIND_NOW=1 makes the dynamic linker
 * resolve every symbol of the addon at load time, so a TF_* / TFE_* function
 * missing from the library fails here rather than crashing later.
 */
function verify() {
  const code = `
    const tf = require('${TFJS_NODE}');
    const r = Array.from(tf.matMul(tf.tensor2d([[1,2],[3,4]]), tf.tensor2d([[5,6],[7,8]])).dataSync());
    if (tf.getBackend() !== 'tensorflow') throw new Error('backend is ' + tf.getBackend());
    if (r.join() !== '19,22,43,50') throw new Error('matMul gave ' + r);
    const b = tf.backend().binding;
    console.log('RNNLM_VERIFY ' + JSON.stringify({tf: b && b.TF_Version, tfjs: tf.version.tfjs}));`;
  const r = run(process.execPath, ['-e', code], {
    cwd: PROJECT, timeout: 120000,
    env: {...process.env, LD_BIND_NOW: '1', TF_CPP_MIN_LOG_LEVEL: '2'},
  });
  const m = /^RNNLM_VERIFY (.*)$/m.exec(r.stdout || '');
  if (r.status === 0 && m) return JSON.parse(m[1]);
  const err = (r.stderr || '').split('\n').find((l) => /Error|error:|undefined symbol|cannot open/.test(l));
  return {error: (err || (r.error && r.error.message) || `exit ${r.status}`).trim().slice(0, 300)};
}

// ------------------------------------------------ restore a removed tfjs-node

/** The tfjs-node version the project wants (lockfile first, then package.json). */
function wantedVersion(pkg) {
  const lock = readJson(path.join(PROJECT, 'package-lock.json'));
  const e = lock && lock.packages && lock.packages[`node_modules/${TFJS_NODE}`];
  if (e && e.version) return e.version;
  return (pkg.optionalDependencies || {})[TFJS_NODE] || (pkg.dependencies || {})[TFJS_NODE];
}

/** The npm CLI to run nested commands with: the npm that is running us, else the one on PATH. */
function npmCli() {
  const candidates = [process.env.npm_execpath];
  const onPath = which(process.platform === 'win32' ? 'npm.cmd' : 'npm');
  if (onPath) {
    const real = fs.realpathSync(onPath);
    candidates.push(path.join(path.dirname(real), 'npm-cli.js'),
        path.join(path.dirname(real), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js'));
  }
  candidates.push(path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js'),
      path.join(path.dirname(process.execPath), 'node_modules', 'npm', 'bin', 'npm-cli.js'));
  return candidates.find((c) => c && /\.js$/.test(c) && fs.existsSync(c)) || null;
}

/**
 * When npm ran tfjs-node's install script and it failed (no allowScripts
 * support, e.g. npm <= 10), npm deleted the optional package and its own
 * dependencies. Put them back from the npm cache, without running scripts.
 * --no-save leaves package.json and package-lock.json untouched.
 */
function restoreTfjsNode(version) {
  const cli = npmCli();
  if (!cli) throw new Skip(`${TFJS_NODE} is missing and npm was not found`, 'run `npm install`');
  const t = Date.now();
  log(`${TFJS_NODE} is not in node_modules (npm removed it after its install script failed); ` +
      `re-adding ${TFJS_NODE}@${version} with --ignore-scripts`);
  const r = run(process.execPath, [cli, 'install', '--no-save', '--ignore-scripts', '--no-audit',
    '--no-fund', '--prefer-offline', '--loglevel=error', `${TFJS_NODE}@${version}`],
  {cwd: PROJECT, env: {...process.env, RNNLM_PROVISIONING: '1'}, timeout: 600000});
  if (r.status !== 0 || !tfjsNodeDir()) {
    throw new Skip(`re-adding ${TFJS_NODE} failed: ${(r.stderr || '').trim().split('\n').pop()}`,
        'check your npm registry access');
  }
  log(`  done (${secs(t)})`);
}

// ------------------------------------------------------ get the wheel's files

const DEFAULT_TF = '2.21.0';   // wheel is manylinux_2_27 (glibc >= 2.27)
const OLD_GLIBC_TF = '2.20.0'; // last manylinux2014 (glibc >= 2.17) wheel
const PY_VER = '3.11';         // the C libraries do not depend on the Python version
const LIBS = ['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2'];
// Headers the addon needs. The complete closure of tensorflow/c/c_api.h + eager/c_api.h
// (checked with g++ -M) is a subset of these.
const INCLUDE_PREFIXES = ['tensorflow/c/', 'tensorflow/core/platform/ctstring',
  'tensorflow/tsl/platform/ctstring', 'tsl/platform/ctstring', 'tsl/c/', 'xla/tsl/c/',
  'tensorflow/tsl/c/'];

function glibcVersion() {
  try { return process.report.getReport().header.glibcVersionRuntime || null; } catch (_) { return null; }
}

function pickTfVersion(glibc) {
  if (process.env.RNNLM_TF_VERSION) return process.env.RNNLM_TF_VERSION;
  const [maj, min] = glibc.split('.').map(Number);
  return (maj > 2 || (maj === 2 && min >= 27)) ? DEFAULT_TF : OLD_GLIBC_TF;
}

function python() {
  for (const py of ['python3', 'python']) {
    const p = which(py);
    if (p && run(p, ['-c', 'import sys; assert sys.version_info >= (3, 6)']).status === 0) return p;
  }
  return null;
}

/** Download with pip (honours pip.conf: index mirrors, proxies, certificates). */
function downloadWithPip(py, version, dir) {
  const args = ['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '--no-cache-dir',
    '--disable-pip-version-check', '--python-version', PY_VER, '--implementation', 'cp',
    '--platform', 'manylinux_2_27_x86_64', '--platform', 'manylinux_2_17_x86_64',
    '--platform', 'manylinux2014_x86_64', '-d', dir, `tensorflow-cpu==${version}`];
  log(`  $ ${path.basename(py)} ${args.join(' ')}`);
  const r = run(py, args, {stdio: ['ignore', 'pipe', 'pipe'], timeout: 1800000});
  if (r.status !== 0) {
    const last = (r.stderr || r.stdout || '').trim().split('\n').filter(Boolean).pop() || `exit ${r.status}`;
    throw new Error(`pip download failed: ${last}`);
  }
  const whl = fs.readdirSync(dir).find((f) => f.endsWith('.whl'));
  if (!whl) throw new Error('pip download produced no wheel');
  return path.join(dir, whl);
}

function httpsGet(url, redirects = 5, headers = {}) {
  return new Promise((resolve, reject) => {
    const client = url.startsWith('http:') ? require('http') : https;
    client.get(url, {headers: {'User-Agent': 'tfjs-rnnlm-provision', ...headers}}, (res) => {
      if (res.statusCode >= 300 && res.statusCode < 400 && res.headers.location && redirects > 0) {
        res.resume();
        resolve(httpsGet(new URL(res.headers.location, url).toString(), redirects - 1, headers));
      } else if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`HTTP ${res.statusCode} for ${url}`));
      } else {
        resolve(res);
      }
    }).on('error', reject).setTimeout(60000, function() { this.destroy(new Error(`timeout: ${url}`)); });
  });
}

/** Oldest glibc a manylinux wheel tag needs, e.g. manylinux_2_27 -> 2.27, manylinux2014 -> 2.17. */
function wheelGlibc(filename) {
  const m = /manylinux_(\d+)_(\d+)_x86_64/.exec(filename);
  if (m) return Number(m[1]) + Number(m[2]) / 1000;
  return /manylinux2014_x86_64/.test(filename) ? 2.017 : /manylinux2010_x86_64/.test(filename) ? 2.012 : null;
}

/**
 * Without pip: read the PyPI "simple" index (PEP 691 JSON, or the PEP 503 HTML
 * page; PIP_INDEX_URL is honoured) and fetch the wheel, checking its sha256.
 */
async function downloadFromPypi(version, dir, glibc) {
  const index = (process.env.PIP_INDEX_URL || 'https://pypi.org/simple/').replace(/\/?$/, '/');
  const pageUrl = `${index}tensorflow-cpu/`;
  const page = await httpsGet(pageUrl, 5, {Accept: 'application/vnd.pypi.simple.v1+json, text/html;q=0.1'});
  let body = '';
  for await (const c of page) body += c;
  let files;
  if (/json/.test(page.headers['content-type'] || '')) {
    files = JSON.parse(body).files.map((f) => ({filename: f.filename, url: f.url, sha256: f.hashes && f.hashes.sha256}));
  } else {
    files = [...body.matchAll(/<a[^>]*href="([^"]+)"[^>]*>([^<]+)<\/a>/g)].map((m) => {
      const href = m[1].replace(/&amp;/g, '&');
      const h = /#sha256=([0-9a-f]{64})/.exec(href);
      return {filename: m[2].trim(), url: href.replace(/#.*$/, ''), sha256: h && h[1]};
    });
  }
  const [gmaj, gmin] = glibc.split('.').map(Number);
  const host = gmaj + gmin / 1000;
  const tag = `cp${PY_VER.replace('.', '')}`;
  const file = files.filter((f) => f.filename.startsWith(`tensorflow_cpu-${version}-${tag}-${tag}-`) &&
      f.filename.endsWith('.whl') && wheelGlibc(f.filename) !== null && wheelGlibc(f.filename) <= host)
      .sort((a, b) => wheelGlibc(b.filename) - wheelGlibc(a.filename))[0];
  if (!file) throw new Error(`${pageUrl} lists no ${tag} manylinux x86_64 wheel of tensorflow-cpu ${version} for glibc ${glibc}`);
  const url = new URL(file.url, pageUrl).toString();
  log(`  GET ${url}`);
  const dest = path.join(dir, file.filename);
  const hash = crypto.createHash('sha256');
  const res = await httpsGet(url);
  res.on('data', (c) => hash.update(c));
  await pipeline(res, fs.createWriteStream(dest));
  if (file.sha256 && hash.digest('hex') !== file.sha256) throw new Error('sha256 mismatch of the downloaded wheel');
  return dest;
}

/** Minimal zip reader (central directory + zip64), enough to pull members out of a wheel. */
function zipEntries(file) {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const tailLen = Math.min(size, 65557 + 20);
    const tail = Buffer.alloc(tailLen);
    fs.readSync(fd, tail, 0, tailLen, size - tailLen);
    let e = -1;
    for (let i = tailLen - 22; i >= 0; i--) if (tail.readUInt32LE(i) === 0x06054b50) { e = i; break; }
    if (e < 0) throw new Error('not a zip file');
    let count = tail.readUInt16LE(e + 10);
    let cdSize = tail.readUInt32LE(e + 12);
    let cdOff = tail.readUInt32LE(e + 16);
    if (e >= 20 && tail.readUInt32LE(e - 20) === 0x07064b50) { // zip64
      const z64 = Buffer.alloc(56);
      fs.readSync(fd, z64, 0, 56, Number(tail.readBigUInt64LE(e - 20 + 8)));
      count = Number(z64.readBigUInt64LE(32));
      cdSize = Number(z64.readBigUInt64LE(40));
      cdOff = Number(z64.readBigUInt64LE(48));
    }
    const cd = Buffer.alloc(cdSize);
    fs.readSync(fd, cd, 0, cdSize, cdOff);
    const out = [];
    for (let p = 0, n = 0; n < count; n++) {
      if (cd.readUInt32LE(p) !== 0x02014b50) throw new Error('bad zip central directory');
      const method = cd.readUInt16LE(p + 10);
      let comp = cd.readUInt32LE(p + 20);
      let uncomp = cd.readUInt32LE(p + 24);
      const nameLen = cd.readUInt16LE(p + 28);
      const extraLen = cd.readUInt16LE(p + 30);
      const commentLen = cd.readUInt16LE(p + 32);
      let local = cd.readUInt32LE(p + 42);
      const name = cd.toString('utf8', p + 46, p + 46 + nameLen);
      for (let x = p + 46 + nameLen; x < p + 46 + nameLen + extraLen;) {
        const id = cd.readUInt16LE(x);
        const len = cd.readUInt16LE(x + 2);
        if (id === 1) {
          let y = x + 4;
          if (uncomp === 0xffffffff) { uncomp = Number(cd.readBigUInt64LE(y)); y += 8; }
          if (comp === 0xffffffff) { comp = Number(cd.readBigUInt64LE(y)); y += 8; }
          if (local === 0xffffffff) { local = Number(cd.readBigUInt64LE(y)); }
        }
        x += 4 + len;
      }
      out.push({name, method, comp, uncomp, local});
      p += 46 + nameLen + extraLen + commentLen;
    }
    return out;
  } finally { fs.closeSync(fd); }
}

async function zipExtract(file, entry, dest) {
  const fd = fs.openSync(file, 'r');
  const h = Buffer.alloc(30);
  fs.readSync(fd, h, 0, 30, entry.local);
  fs.closeSync(fd);
  if (h.readUInt32LE(0) !== 0x04034b50) throw new Error(`bad zip local header: ${entry.name}`);
  const start = entry.local + 30 + h.readUInt16LE(26) + h.readUInt16LE(28);
  fs.mkdirSync(path.dirname(dest), {recursive: true});
  const src = fs.createReadStream(file, {start, end: start + entry.comp - 1});
  if (entry.method === 8) await pipeline(src, zlib.createInflateRaw(), fs.createWriteStream(dest));
  else if (entry.method === 0) await pipeline(src, fs.createWriteStream(dest));
  else throw new Error(`unsupported zip method ${entry.method} for ${entry.name}`);
  if (fs.statSync(dest).size !== entry.uncomp) throw new Error(`size mismatch extracting ${entry.name}`);
}

/**
 * Newer wheels keep ctstring_internal.h in tsl/platform/; tfjs-node includes
 * tensorflow/core/platform/ctstring_internal.h. If the wheel lacks that
 * path, write a one-line forwarding header (never copy an old header in).
 */
function ensureForwardingHeader(inc) {
  const want = path.join(inc, 'tensorflow/core/platform/ctstring_internal.h');
  if (fs.existsSync(want)) return;
  const real = ['tsl/platform/ctstring_internal.h', 'tensorflow/tsl/platform/ctstring_internal.h']
      .find((r) => fs.existsSync(path.join(inc, r)));
  if (!real) throw new Error('the wheel has no ctstring_internal.h');
  fs.mkdirSync(path.dirname(want), {recursive: true});
  fs.writeFileSync(want, `// Generated by tfjs-rnnlm scripts/provision-native.js: forwards to the wheel's header.\n` +
      `#include "${real}"\n`);
  log(`  generated forwarding header tensorflow/core/platform/ctstring_internal.h -> ${real}`);
}

/** Returns the cache dir holding lib/ and include/ for this TF version; downloads if needed. */
async function ensureTfLibs(cache, version, glibc) {
  const dir = path.join(cache, `tensorflow-cpu-${version}-linux-x86_64`);
  const stamp = readJson(path.join(dir, 'complete.json'));
  if (stamp && stamp.version === version && LIBS.every((l) => {
    try { return fs.statSync(path.join(dir, 'lib', l)).size === stamp.sizes[l]; } catch (_) { return false; }
  })) {
    log(`using cached TensorFlow ${version} C library: ${dir}`);
    return dir;
  }
  if (freeBytes(cache) < 1.4e9) {
    throw new Skip(`less than 1.4 GB free in ${cache}`, 'free disk space or set RNNLM_NATIVE_CACHE to another directory');
  }
  const tmp = fs.mkdtempSync(path.join(cache, `.tmp-${version}-`));
  try {
    let t = Date.now();
    log(`downloading tensorflow-cpu ${version} wheel (~270 MB) from PyPI into ${tmp}`);
    const py = python();
    let wheel = null;
    let pipErr = null;
    if (py && run(py, ['-m', 'pip', '--version']).status === 0) {
      try { wheel = downloadWithPip(py, version, tmp); } catch (e) { pipErr = e; log(`  ${e.message}; trying PyPI directly`); }
    } else {
      log('  pip not available; downloading from PyPI directly');
    }
    if (!wheel) {
      try { wheel = await downloadFromPypi(version, tmp, glibc); } catch (e) {
        throw new Skip(`could not download tensorflow-cpu ${version}: ${(pipErr || e).message}`,
            'make sure pypi.org is reachable (pip.conf mirrors are honoured when python3 + pip are installed)');
      }
    }
    log(`  got ${path.basename(wheel)} (${(fs.statSync(wheel).size / 1e6).toFixed(0)} MB, ${secs(t)})`);

    t = Date.now();
    const entries = zipEntries(wheel);
    const stage = path.join(tmp, 'out');
    const sizes = {};
    for (const lib of LIBS) {
      const e = entries.find((x) => x.name === `tensorflow/${lib}`);
      if (!e) throw new Skip(`the tensorflow-cpu ${version} wheel has no ${lib}`, 'set RNNLM_TF_VERSION=2.21.0');
      await zipExtract(wheel, e, path.join(stage, 'lib', lib));
      sizes[lib] = e.uncomp;
    }
    const incs = entries.filter((x) => x.name.startsWith('tensorflow/include/') && !x.name.endsWith('/') &&
        INCLUDE_PREFIXES.some((p) => x.name.slice('tensorflow/include/'.length).startsWith(p)));
    for (const e of incs) await zipExtract(wheel, e, path.join(stage, 'include', e.name.slice('tensorflow/include/'.length)));
    ensureForwardingHeader(path.join(stage, 'include'));
    fs.writeFileSync(path.join(stage, 'complete.json'),
        JSON.stringify({version, wheel: path.basename(wheel), sizes, date: new Date().toISOString()}, null, 1));
    log(`  extracted ${LIBS.join(', ')} and ${incs.length} headers (${secs(t)}); the wheel is not kept`);
    if (fs.existsSync(path.join(dir, 'complete.json'))) {
      log(`  another install finished first; using ${dir}`); // concurrent npm ci in another clone
    } else {
      rmrf(dir); // leftovers of an interrupted run
      try { fs.renameSync(stage, dir); } catch (e) {
        if (!fs.existsSync(path.join(dir, 'complete.json'))) throw e;
      }
      log(`  cached in ${dir}`);
    }
    return dir;
  } finally { rmrf(tmp); }
}

// ------------------------------------------------------- stage and build

/** Hard-link (same filesystem: no copy, no extra disk), else copy. */
function linkOrCopy(src, dest) {
  rmrf(dest);
  try { fs.linkSync(src, dest); } catch (_) { fs.copyFileSync(src, dest); }
}

/**
 * Lay out tfjs-node/deps as its binding.gyp and install.js expect:
 *   deps/lib/libtensorflow.so            -> libtensorflow_cc.so.2   (for -ltensorflow)
 *   deps/lib/libtensorflow_framework.so  -> libtensorflow_framework.so.2
 *   deps/lib/libtensorflow.so.2.9.1 (+ framework): install.js skips its download when it exists
 *   deps/include/...                      the wheel's C API headers
 * The addon's RUNPATH is $ORIGIN/../../deps/lib and its DT_NEEDED entries are the
 * sonames libtensorflow_cc.so.2 / libtensorflow_framework.so.2, which are the real files.
 */
function stageDeps(tfDir, libDir) {
  const deps = path.join(tfDir, 'deps');
  rmrf(deps);
  fs.mkdirSync(path.join(deps, 'lib'), {recursive: true});
  for (const l of LIBS) linkOrCopy(path.join(libDir, 'lib', l), path.join(deps, 'lib', l));
  const links = {
    'libtensorflow.so': 'libtensorflow_cc.so.2',
    'libtensorflow.so.2': 'libtensorflow_cc.so.2',
    'libtensorflow.so.2.9.1': 'libtensorflow_cc.so.2',
    'libtensorflow_framework.so': 'libtensorflow_framework.so.2',
    'libtensorflow_framework.so.2.9.1': 'libtensorflow_framework.so.2',
  };
  for (const [name, target] of Object.entries(links)) fs.symlinkSync(target, path.join(deps, 'lib', name));
  fs.cpSync(path.join(libDir, 'include'), path.join(deps, 'include'), {recursive: true});
  log(`staged the C library into ${path.relative(PROJECT, deps)}/ (hard links to the cache, or copies)`);
}

/** The same lib/napi-vN path that node-pre-gyp's binary.find() (used by tfjs-node) looks in. */
function addonLocation(tfDir) {
  const pkg = readJson(path.join(tfDir, 'package.json'));
  const napi = Number(process.versions.napi);
  const build = Math.max(...pkg.binary.napi_versions.filter((v) => v <= napi));
  const modulePath = path.resolve(tfDir, pkg.binary.module_path.replace('{napi_build_version}', build));
  return {pkg, build, modulePath, file: path.join(modulePath, `${pkg.binary.module_name}.node`)};
}

function nodeGypCli() {
  const cands = [process.env.npm_config_node_gyp];
  const cli = npmCli();
  if (cli) cands.push(path.join(path.dirname(cli), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  try { cands.push(require.resolve('node-gyp/bin/node-gyp.js', {paths: [PROJECT]})); } catch (_) {}
  return cands.find((c) => c && /\.js$/.test(c) && fs.existsSync(c)) || null;
}

/** Use local Node headers so node-gyp does not try to download them from nodejs.org. */
function nodeDirArgs() {
  for (const dir of [path.resolve(path.dirname(process.execPath), '..'), '/usr', '/usr/local']) {
    if (fs.existsSync(path.join(dir, 'include', 'node', 'node.h')) &&
        fs.existsSync(path.join(dir, 'include', 'node', 'node_api.h'))) return [`--nodedir=${dir}`];
  }
  return []; // node-gyp falls back to its own header cache (or downloads)
}

function buildAddon(tfDir, loc, logFile) {
  const gyp = nodeGypCli();
  if (!gyp) throw new Skip('node-gyp not found (it ships with npm)', 'reinstall npm');
  const args = [gyp, 'rebuild', ...nodeDirArgs(), `--jobs=${Math.max(1, os.cpus().length)}`,
    `--module_name=${loc.pkg.binary.module_name}`, `--module_path=${loc.modulePath}`,
    `--napi_build_version=${loc.build}`];
  log(`building the addon from source: node ${gyp} ${args.slice(1).join(' ')}`);
  const t = Date.now();
  const r = run(process.execPath, args, {cwd: tfDir, timeout: 1200000});
  fs.writeFileSync(logFile, `${args.join(' ')}\n\n${r.stdout || ''}\n${r.stderr || ''}`);
  if (r.status !== 0 || !fs.existsSync(loc.file)) {
    const err = (r.stderr || '').split('\n').find((l) => /error|Error/.test(l)) || `exit ${r.status}`;
    throw new Skip(`building the tfjs-node addon failed: ${err.trim().slice(0, 200)}; full log: ${logFile}`,
        'install make and g++ (Debian/Ubuntu: apt-get install build-essential python3)');
  }
  log(`  built ${path.relative(PROJECT, loc.file)} (${secs(t)})`);
}

/** Optional precise check with binutils' nm: every TF_/TFE_ symbol the addon imports exists in the libs. */
function checkSymbols(addon, libDir) {
  const nm = which('nm');
  if (!nm) return;
  const und = run(nm, ['-D', '--undefined-only', addon]);
  // The libraries export ~500k symbols (>100 MB of nm output): keep only the C API ones.
  const def = run('sh', ['-c', '"$0" -D --defined-only "$1" "$2" | grep -E " TFE?_"', nm,
    ...LIBS.map((l) => path.join(libDir, l))]);
  if (und.status !== 0 || def.status !== 0) { log('  (nm symbol check skipped)'); return; }
  const need = [...und.stdout.matchAll(/ U (TFE?_\w+)/g)].map((m) => m[1]);
  const have = new Set([...def.stdout.matchAll(/ [TtWw] (TFE?_\w+)/g)].map((m) => m[1]));
  const missing = need.filter((s) => !have.has(s));
  if (missing.length) {
    throw new Skip(`the TensorFlow library lacks ${missing.length} symbols the addon needs (${missing.slice(0, 3).join(', ')}...)`,
        'set RNNLM_TF_VERSION to another tensorflow-cpu version (2.21.0 and 2.20.0 are known to work)');
  }
  log(`  nm: all ${need.length} TF_/TFE_ symbols the addon imports are exported by the library`);
}

// ------------------------------------------------------------------- main

async function main() {
  if (process.env.RNNLM_PROVISIONING) return; // nested npm call made by this script
  if (/^(1|true|yes)$/i.test(process.env.RNNLM_NO_NATIVE || '')) {
    log('RNNLM_NO_NATIVE=1: native TensorFlow not provisioned; tfjs-rnnlm will use the wasm backend ' +
        '(unset it and run `node scripts/provision-native.js` to get native).');
    return;
  }
  const pkg = readJson(path.join(PROJECT, 'package.json')) || {};
  const version = wantedVersion(pkg);
  if (!version) { log(`${TFJS_NODE} is not a dependency of ${pkg.name}; nothing to do.`); return; }

  let tfDir = tfjsNodeDir();
  if (tfDir && !FORCE) {
    const v = verify();
    if (!v.error) { log(`native TensorFlow ${v.tf} ready (${TFJS_NODE} loads; backend 'tensorflow'). ${secs(t0)}`); return; }
  }

  // Native provisioning from the wheel is for glibc Linux x86_64 only. Elsewhere
  // (macOS, Windows, arm64) tfjs-node's own installer is the way. The project's
  // allowScripts entry stops npm from running it, so run it here.
  const glibc = process.platform === 'linux' ? glibcVersion() : null;
  const linuxX64 = process.platform === 'linux' && process.arch === 'x64' && glibc;
  if (!linuxX64) {
    if (!tfDir) restoreTfjsNode(version);
    tfDir = tfjsNodeDir();
    log(`${process.platform}-${process.arch}${process.platform === 'linux' && !glibc ? ' (musl)' : ''}: ` +
        `running ${TFJS_NODE}'s own installer (node scripts/install.js)`);
    // install.js runs `node-pre-gyp` from PATH: put the node_modules/.bin dirs on it, as npm would.
    const bins = [path.join(tfDir, 'node_modules', '.bin'), path.join(PROJECT, 'node_modules', '.bin')];
    const pathKey = Object.keys(process.env).find((k) => k.toUpperCase() === 'PATH') || 'PATH'; // "Path" on Windows
    const r = run(process.execPath, ['scripts/install.js'], {cwd: tfDir, stdio: 'inherit', timeout: 1200000,
      env: {...process.env, [pathKey]: [...bins, process.env[pathKey]].join(path.delimiter),
        npm_config_node_gyp: nodeGypCli() || process.env.npm_config_node_gyp || ''}});
    const v = verify();
    if (r.status === 0 && !v.error) { log(`native TensorFlow ${v.tf} ready. ${secs(t0)}`); return; }
    throw new Skip(`${TFJS_NODE}'s installer did not produce a working addon on ${process.platform}-${process.arch}`,
        `see ${TFJS_NODE}'s README for your platform`);
  }

  // Check the prerequisites before doing anything heavy.
  const tfVersion = pickTfVersion(glibc);
  const cache = cacheRoot();
  try { fs.mkdirSync(path.join(cache, 'addon'), {recursive: true}); } catch (e) {
    throw new Skip(`cannot create the cache dir ${cache} (${e.code})`, 'set RNNLM_NATIVE_CACHE to a writable directory');
  }
  // N-API addon: valid for any Node.js with the same N-API level.
  const addonKey = `tfjs-node-${version}-tf-${tfVersion}-napi${process.versions.napi}-linux-x64`;
  const cachedAddonDir = path.join(cache, 'addon', addonKey);
  const needBuild = FORCE || !fs.existsSync(path.join(cachedAddonDir, 'complete'));
  if (needBuild) {
    const missing = [!python() && 'python3', !which('make') && 'make', !(which('g++') || which('c++')) && 'g++']
        .filter(Boolean);
    if (missing.length) {
      throw new Skip(`${missing.join(', ')} not found, needed to build the tfjs-node addon`,
          `install ${missing.join(' ')} (Debian/Ubuntu: apt-get install python3 python3-pip build-essential)`);
    }
  }

  log(`provisioning native TensorFlow for ${TFJS_NODE}@${version}: tensorflow-cpu ${tfVersion} wheel from PyPI ` +
      `(glibc ${glibc}; cache ${cache})`);
  if (!tfDir) restoreTfjsNode(version);
  tfDir = tfjsNodeDir();
  const libDir = await ensureTfLibs(cache, tfVersion, glibc);
  stageDeps(tfDir, libDir);

  const loc = addonLocation(tfDir);
  if (!needBuild) {
    fs.mkdirSync(loc.modulePath, {recursive: true});
    fs.copyFileSync(path.join(cachedAddonDir, path.basename(loc.file)), loc.file);
    log(`using cached addon build ${cachedAddonDir}`);
  } else {
    buildAddon(tfDir, loc, path.join(cache, `build-${addonKey}.log`));
    checkSymbols(loc.file, path.join(tfDir, 'deps', 'lib'));
  }

  const v = verify();
  if (v.error) {
    rmrf(cachedAddonDir); // do not reuse a bad build
    throw new Skip(`the addon was built but does not load: ${v.error}`,
        'set RNNLM_TF_VERSION to another tensorflow-cpu version or report it');
  }
  if (needBuild) {
    const tmp = `${cachedAddonDir}.tmp-${process.pid}`;
    rmrf(tmp);
    fs.mkdirSync(tmp, {recursive: true});
    fs.copyFileSync(loc.file, path.join(tmp, path.basename(loc.file)));
    fs.writeFileSync(path.join(tmp, 'complete'), `${tfVersion}\n`);
    rmrf(cachedAddonDir);
    try { fs.renameSync(tmp, cachedAddonDir); } catch (_) { rmrf(tmp); }
  }
  log(`native TensorFlow ${v.tf} ready: require('${TFJS_NODE}') works, backend 'tensorflow' (tfjs ${v.tfjs}). ` +
      `Total ${secs(t0)}`);
}

main().then(() => process.exit(0), (e) => {
  if (e instanceof Skip) finishWasm(e.message, e.hint);
  else finishWasm(`unexpected error: ${e && e.stack ? e.stack.split('\n').slice(0, 2).join(' ') : e}`,
      'install python3 + pip, make and g++');
});
