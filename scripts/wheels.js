/*
 * wheels.js — shared helpers of the provision-*.js install scripts, which
 * take native libraries out of Python wheels on PyPI (the TensorFlow C library
 * from `tensorflow-cpu`, oneDNN from `onednn-cpu-gomp`) instead of vendor
 * download sites.
 *
 * - downloadWheel(): one wheel of a PyPI package, with pip first (it honours
 *   pip.conf: index mirrors, proxies, certificates), else straight from the
 *   PEP 691/503 "simple" index (PIP_INDEX_URL is honoured), checking its sha256.
 * - zipEntries() / zipExtract(): a minimal zip reader to pull members out of it.
 * - cacheRoot(): where extracted libraries are cached, shared by every clone:
 *   $RNNLM_NATIVE_CACHE, or else $XDG_CACHE_HOME/tfjs-rnnlm, or else ~/.cache/tfjs-rnnlm.
 * - Small process / file helpers. Nothing here prints except through the `log`
 *   function a caller passes in, so each script keeps its own log prefix.
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

/** An expected failure: its message is the one line a script prints, with a hint. */
class Skip extends Error {
  constructor(reason, hint) { super(reason); this.hint = hint; }
}

function secs(t) { return `${((Date.now() - t) / 1000).toFixed(1)}s`; }

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

/** The C library's glibc version ("2.35"), or null (musl, or not Linux). */
function glibcVersion() {
  try { return process.report.getReport().header.glibcVersionRuntime || null; } catch (_) { return null; }
}

function python() {
  for (const py of ['python3', 'python']) {
    const p = which(py);
    if (p && run(p, ['-c', 'import sys; assert sys.version_info >= (3, 6)']).status === 0) return p;
  }
  return null;
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

/** How a wheel's file name starts: the project name normalized as wheels spell it (PEP 427). */
function wheelPrefix(name, version) { return `${name.toLowerCase().replace(/[-_.]+/g, '_')}-${version}-`; }

/** `pip download` of one wheel into dir; pipArgs go before `-d dir name==version`. */
function downloadWithPip(py, spec, dir, log) {
  const args = ['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '--no-cache-dir',
    '--disable-pip-version-check', ...(spec.pipArgs || []), '-d', dir, `${spec.name}==${spec.version}`];
  log(`  $ ${path.basename(py)} ${args.join(' ')}`);
  const r = run(py, args, {stdio: ['ignore', 'pipe', 'pipe'], timeout: 1800000});
  if (r.status !== 0) {
    const last = (r.stderr || r.stdout || '').trim().split('\n').filter(Boolean).pop() || `exit ${r.status}`;
    throw new Error(`pip download failed: ${last}`);
  }
  const prefix = wheelPrefix(spec.name, spec.version);
  const whl = fs.readdirSync(dir).find((f) => f.toLowerCase().startsWith(prefix) && f.endsWith('.whl'));
  if (!whl) throw new Error('pip download produced no wheel');
  return path.join(dir, whl);
}

/**
 * Without pip: read the PyPI "simple" index (PEP 691 JSON, or the PEP 503 HTML
 * page; PIP_INDEX_URL is honoured) and fetch the wheel, checking its sha256.
 */
async function downloadFromIndex(spec, dir, log) {
  const index = (process.env.PIP_INDEX_URL || 'https://pypi.org/simple/').replace(/\/?$/, '/');
  const pageUrl = `${index}${spec.name}/`;
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
  const prefix = wheelPrefix(spec.name, spec.version);
  const rank = spec.rank || (() => 0);
  const file = files.filter((f) => f.filename.toLowerCase().startsWith(prefix) && f.filename.endsWith('.whl') &&
      spec.accept(f.filename)).sort((a, b) => rank(b.filename) - rank(a.filename))[0];
  if (!file) throw new Error(`${pageUrl} lists no ${spec.describe || `wheel of ${spec.name} ${spec.version}`}`);
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

/**
 * Download one wheel of a PyPI project into dir and return its path: pip first,
 * then the simple index directly. Throws an Error saying why (pip's reason first).
 * spec: {name, version,
 *        pipArgs: extra `pip download` options (e.g. --platform ...),
 *        accept(filename): which index files are candidates (after name-version-),
 *        rank(filename): optional, the highest-ranked candidate is taken,
 *        describe: optional, what is wanted, for the "lists no ..." error}.
 */
async function downloadWheel(spec, dir, log) {
  const t = Date.now();
  const py = python();
  let wheel = null;
  let pipErr = null;
  if (py && run(py, ['-m', 'pip', '--version']).status === 0) {
    try { wheel = downloadWithPip(py, spec, dir, log); } catch (e) { pipErr = e; log(`  ${e.message}; trying PyPI directly`); }
  } else {
    log('  pip not available; downloading from PyPI directly');
  }
  if (!wheel) {
    try { wheel = await downloadFromIndex(spec, dir, log); } catch (e) { throw pipErr || e; }
  }
  const mb = fs.statSync(wheel).size / 1e6;
  log(`  got ${path.basename(wheel)} (${mb < 10 ? mb.toFixed(1) : mb.toFixed(0)} MB, ${secs(t)})`);
  return wheel;
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
 * Move a fully extracted `stage` dir (with its complete.json written last) to
 * `dir` in the cache with one rename, so a half-extracted cache is never used.
 * A concurrent install (npm ci in another clone) may have got there first.
 */
function publishDir(stage, dir, log) {
  if (fs.existsSync(path.join(dir, 'complete.json'))) {
    log(`  another install finished first; using ${dir}`);
    return;
  }
  rmrf(dir); // leftovers of an interrupted run
  try { fs.renameSync(stage, dir); } catch (e) {
    if (!fs.existsSync(path.join(dir, 'complete.json'))) throw e;
  }
  log(`  cached in ${dir}`);
}

const PROJECT = path.resolve(__dirname, '..');

/** A path for messages: relative inside the project, else absolute. */
function show(p) { const r = path.relative(PROJECT, p); return r && !r.startsWith('..') ? r : p; }

/** Node's header directory for compiling an N-API addon with g++; throws Skip if g++ or the headers are missing. */
function addonIncludeDir() {
  if (!which('g++')) throw new Skip('g++ not found', 'install g++ (Debian/Ubuntu: apt-get install g++)');
  const nodeInclude = path.join(path.dirname(path.dirname(process.execPath)), 'include', 'node');
  if (!fs.existsSync(path.join(nodeInclude, 'node_api.h'))) {
    throw new Skip(`no Node.js headers in ${nodeInclude}`, 'install Node.js with its headers (include/node/node_api.h)');
  }
  return nodeInclude;
}

module.exports = {
  Skip, secs, which, run, readJson, rmrf, cacheRoot, freeBytes, glibcVersion, python, httpsGet,
  wheelGlibc, downloadWheel, zipEntries, zipExtract, publishDir, show, addonIncludeDir,
};
