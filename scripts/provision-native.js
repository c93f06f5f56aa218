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
const {
  Skip, secs, which, run, readJson, rmrf, cacheRoot, freeBytes, glibcVersion, python, wheelGlibc,
  downloadWheel, zipEntries, zipExtract, publishDir,
} = require('./wheels');

const P = '[rnnlm native]';
const PROJECT = path.resolve(__dirname, '..');
const TFJS_NODE = '@tensorflow/tfjs-node';
const FORCE = process.argv.includes('--force');
const HOW = 'then run `node scripts/provision-native.js` (or `npm ci` again)';
const t0 = Date.now();

function log(msg) { console.log(`${P} ${msg}`); }

function finishWasm(reason, hint) {
  console.log(`${P} native TensorFlow not set up (${reason}); tfjs-rnnlm will ` +
      `run on the wasm backend. To get native: ${hint || 'see the README'}, ${HOW}.`);
  process.exit(0);
}

// ---------------------------------------------------------------- helpers

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

function pickTfVersion(glibc) {
  if (process.env.RNNLM_TF_VERSION) return process.env.RNNLM_TF_VERSION;
  const [maj, min] = glibc.split('.').map(Number);
  return (maj > 2 || (maj === 2 && min >= 27)) ? DEFAULT_TF : OLD_GLIBC_TF;
}

/**
 * The cp311 manylinux x86_64 wheel of tensorflow-cpu for this glibc: pip picks
 * it with --platform; from the index, the newest manylinux tag glibc can run.
 */
function tfWheelSpec(version, glibc) {
  const [gmaj, gmin] = glibc.split('.').map(Number);
  const host = gmaj + gmin / 1000;
  const tag = `cp${PY_VER.replace('.', '')}`;
  return {
    name: 'tensorflow-cpu', version,
    pipArgs: ['--python-version', PY_VER, '--implementation', 'cp', '--platform', 'manylinux_2_27_x86_64',
      '--platform', 'manylinux_2_17_x86_64', '--platform', 'manylinux2014_x86_64'],
    accept: (f) => f.startsWith(`tensorflow_cpu-${version}-${tag}-${tag}-`) &&
        wheelGlibc(f) !== null && wheelGlibc(f) <= host,
    rank: wheelGlibc,
    describe: `${tag} manylinux x86_64 wheel of tensorflow-cpu ${version} for glibc ${glibc}`,
  };
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
    log(`downloading tensorflow-cpu ${version} wheel (~270 MB) from PyPI into ${tmp}`);
    let wheel;
    try { wheel = await downloadWheel(tfWheelSpec(version, glibc), tmp, log); } catch (e) {
      throw new Skip(`could not download tensorflow-cpu ${version}: ${e.message}`,
          'make sure pypi.org is reachable (pip.conf mirrors are honoured when python3 + pip are installed)');
    }

    const t = Date.now();
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
    publishDir(stage, dir, log);
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
