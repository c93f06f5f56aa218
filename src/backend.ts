import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { cpuinfoField, readCpuinfo } from './backend/cpu';
import { withStderrSilenced } from './backend/quiet-stderr';
import { loadOnednn } from './backend/onednn';
import { loadProcessAddon } from './backend/process-addon';
import { registerWasmKernels } from './backend/wasm-kernels';
import { BACKEND_OPTIONS, BackendOptions } from './config/commands';
import { BACKEND_CHOICES, BACKEND_NAMES, BackendChoice, BackendName, KernelChoice, Precision } from './config/names';
import { checkOptions, withDefaults } from './config/options';
import { useNativeMaskFill } from './layers/dropout';
import { setKernelChoice } from './layers/kernel-choice';
import { ConfigError } from './errors';
import { PACKAGE_ROOT } from './package';

/*
 * Which engine does the math. `tensorflow` is TensorFlow's C library through @tensorflow/tfjs-node (fast,
 * multi-threaded BLAS); `wasm` is XNNPACK compiled to WebAssembly (single-threaded in Node); `cpu` is plain
 * JavaScript. `auto` takes the first available in that order.
 */
export { BACKEND_NAMES };
export type { BackendChoice, BackendName };

export function isBackendChoice(name: string): name is BackendChoice {
  return (BACKEND_CHOICES as readonly string[]).includes(name);
}

export interface BackendReport {
  /** The backend in use. */
  name: BackendName;
  /** For each backend: true when it can be used, else why not. */
  available: Record<BackendName, true | string>;
  tfjsVersion: string;
  /** TensorFlow C library version, when the native backend is loaded. */
  tensorflowVersion: string | null;
  precision: Precision;
  /** TensorFlow's intra-op threads as set; null = its default. */
  threads: number | null;
  kernel: KernelChoice;
  /** The version of oneDNN behind the `onednn` kernels ("3.2.0"), or null where they cannot run (`rnnlm info` says why). */
  onednn: string | null;
}

/**
 * How to provision the native backend, with the script's path as the user can type it from `cwd`: relative
 * when that is shorter ("scripts/…" in a clone, "node_modules/tfjs-rnnlm/scripts/…" in a project using the
 * package), else absolute (e.g. a global install).
 */
export function howToGetNative(cwd: string = process.cwd(), packageRoot: string = PACKAGE_ROOT): string {
  const script = path.join(packageRoot, 'scripts', 'provision-native.js');
  const relative = path.relative(cwd, script);
  const shown = relative.length < script.length ? relative : script;
  return `for the native backend run \`node ${shown}\` (needs python3, make and g++), see README "Backends"`;
}

/** What the native library reads from the environment when it starts, and keeps for the life of the process. */
interface NativeSettings {
  precision: Precision;
  threads: number | null;
}

let nativeLoadError: string | null | undefined; // undefined = not tried yet
/** Whether loadNative held the signals off the native threads, or why not (`asyncSignalsHeld`). */
let signalsHeld: true | string = 'the native backend is not loaded';
/** The settings the native library was started with (null before). */
let nativeSettings: NativeSettings | null = null;

/**
 * Whether this CPU multiplies in bf16 natively (AMX-BF16 or AVX512-BF16, as /proc/cpuinfo lists them): true,
 * or why not. oneDNN would otherwise emulate bf16, slower than float32.
 */
export function bf16Support(cpuinfo = '/proc/cpuinfo'): true | string {
  const text = readCpuinfo(cpuinfo);
  if (text === null) return `cannot tell whether this CPU has bf16 units (no ${cpuinfo})`;
  const flags = new Set((cpuinfoField(text, 'flags') ?? '').split(/\s+/));
  return flags.has('amx_bf16') || flags.has('avx512_bf16') ? true : 'this CPU has neither AMX-BF16 nor AVX512-BF16';
}

/**
 * Loads @tensorflow/tfjs-node once, with `settings` in its environment; returns null on success or the reason
 * it is unavailable. oneDNN reads its fpmath mode at the first matmul and TensorFlow its thread count when
 * its context starts, so both are set before the library loads.
 */
function loadNative(settings: NativeSettings, verbose = false): string | null {
  if (nativeLoadError !== undefined) return nativeLoadError;
  if (process.env.RNNLM_NO_NATIVE === '1') {
    nativeLoadError = 'disabled by RNNLM_NO_NATIVE=1';
    return nativeLoadError;
  }
  // TensorFlow's C++ INFO and WARNING lines would otherwise open every run's stderr; those it writes while
  // it loads ignore this setting and are held back by `withStderrSilenced`.
  if (!verbose) process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
  // The reported precision is the one in force, whatever the caller's environment said.
  delete process.env.TF_SET_ONEDNN_FPMATH_MODE;
  if (settings.precision === 'bf16') process.env.ONEDNN_DEFAULT_FPMATH_MODE = 'BF16';
  else delete process.env.ONEDNN_DEFAULT_FPMATH_MODE;
  if (settings.threads !== null) process.env.TF_NUM_INTRAOP_THREADS = String(settings.threads);
  nativeSettings = { precision: settings.precision, threads: settings.threads ?? (Number(process.env.TF_NUM_INTRAOP_THREADS) || null) };
  // oneDNN's JIT sgemm, TensorFlow's and ours, runs with its stack pointer in the heap, where a signal frame
  // would overwrite memory: this thread, and the threads TensorFlow and oneDNN start later, leave signals to
  // Node's own threads (native/process/process.cc, holdAsyncSignals). Without that addon nothing can set the mask.
  const processAddon = loadProcessAddon();
  signalsHeld = typeof processAddon === 'string'
    ? `the process addon is ${processAddon}`
    : processAddon.holdAsyncSignals() || 'pthread_sigmask refused the mask';
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const load = (): unknown => require('@tensorflow/tfjs-node');
    if (verbose) load();
    else withStderrSilenced(load);
    nativeLoadError = tf.findBackend('tensorflow') ? null : '@tensorflow/tfjs-node loaded but registered no backend';
  } catch (error) {
    const message = (error as Error).message.split('\n')[0];
    nativeLoadError = /Cannot find module '@tensorflow\/tfjs-node'/.test(message)
      ? '@tensorflow/tfjs-node is not installed'
      : `@tensorflow/tfjs-node failed to load: ${message}`;
  }
  return nativeLoadError;
}

let wasmLoadError: string | null | undefined;

async function loadWasm(): Promise<string | null> {
  if (wasmLoadError !== undefined) return wasmLoadError;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@tensorflow/tfjs-backend-wasm');
    registerWasmKernels();
    wasmLoadError = null;
  } catch (error) {
    wasmLoadError = `@tensorflow/tfjs-backend-wasm failed to load: ${(error as Error).message.split('\n')[0]}`;
  }
  return wasmLoadError;
}

/**
 * Whether the asynchronous signals are held off the native backend's threads (native/process/process.cc), or why
 * not: where they are not, one arriving while oneDNN's JIT sgemm runs can corrupt the heap.
 */
export function asyncSignalsHeld(): true | string {
  return signalsHeld;
}

/**
 * Whether the native backend can run here: true, or why not. It loads the library (in float32 with the
 * default threads, unless a `selectBackend` chose other settings first).
 */
export function nativeAvailability(): true | string {
  return loadNative(nativeSettings ?? { precision: 'fp32', threads: null }) ?? true;
}

/** Which backends can be used here (loads them, does not switch to them; the native one with `settings`). */
export async function availableBackends(
  settings: NativeSettings = { precision: 'fp32', threads: null }, verbose = false,
): Promise<Record<BackendName, true | string>> {
  const native = loadNative(settings, verbose);
  const wasm = await loadWasm();
  return { tensorflow: native ?? true, wasm: wasm ?? true, cpu: true };
}

/** Version of TensorFlow's C library behind the native backend. */
function tensorflowVersion(): string | null {
  if (!tf.findBackend('tensorflow')) return null;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const node = require('@tensorflow/tfjs-node') as { version: Record<string, string> };
  const binding = (tf.findBackend('tensorflow') as unknown as { binding?: { TF_Version?: string } }).binding;
  return binding?.TF_Version ?? node.version['tfjs-node'] ?? null;
}

let current: BackendReport | null = null;
let warnedFallback = false;

/** Refuses settings the native library cannot take: another precision or thread count than it started with. */
function checkNativeSettings(wanted: NativeSettings): void {
  if (!nativeSettings) return;
  const started = nativeSettings;
  const differs = (['precision', 'threads'] as const).filter((key) => wanted[key] !== null && wanted[key] !== started[key]);
  if (differs.length === 0) return;
  throw new ConfigError((option) =>
    `the native backend of this process started with ${option('precision')} ${started.precision}` +
      `${started.threads ? ` and ${option('threads')} ${started.threads}` : ''}; ${differs.map(option).join(' and ')} ` +
      'cannot change until the process ends: start a new process with the settings you want');
}

/**
 * Switches tfjs to the chosen backend with the given precision, threads and recurrent kernel (a backend name
 * alone keeps the defaults). `auto` takes tensorflow, else wasm, else cpu, and says once, in one line on
 * stderr, when it falls back from the native backend. Forcing an unavailable backend, or bf16 where it cannot
 * run, throws.
 */
export async function selectBackend(request: BackendChoice | Partial<BackendOptions> = 'auto'): Promise<BackendReport> {
  const given = typeof request === 'string' ? { backend: request } : request;
  checkOptions(BACKEND_OPTIONS, given);
  const { backend: choice, precision, threads, kernel, verbose } = withDefaults(BACKEND_OPTIONS, given);
  const wanted: NativeSettings = { precision, threads };
  if (precision === 'bf16') checkBf16();
  const available = await availableBackends(wanted, verbose);
  let name: BackendName;
  if (choice === 'auto') {
    name = BACKEND_NAMES.find((candidate) => available[candidate] === true) ?? 'cpu';
    if (name !== 'tensorflow' && !warnedFallback) {
      warnedFallback = true;
      process.stderr.write(`rnnlm: running on ${name} (${available.tensorflow}); ${howToGetNative()}\n`);
    }
  } else {
    const status = available[choice];
    if (status !== true) {
      throw new ConfigError((option) =>
        `backend "${choice}" is not available (${status}): ${choice === 'tensorflow' ? howToGetNative() : `use ${option('backend')} auto`}`);
    }
    name = choice;
  }
  if (name === 'tensorflow') checkNativeSettings(wanted);
  else if (precision === 'bf16') {
    throw new ConfigError((option) => `${option('precision')} bf16 needs the native tensorflow backend; this run uses ${name} (float32 only)`);
  }
  if (kernel === 'fused' && name !== 'tensorflow') {
    throw new ConfigError((option) => `${option('kernel')} fused needs the native tensorflow backend (TensorFlow's fused cells); this run uses ${name}`);
  }
  const onednn = loadOnednn();
  if (kernel === 'onednn' && typeof onednn === 'string') {
    throw new ConfigError((option) => `${option('kernel')} onednn cannot run here: oneDNN's kernels are ${onednn}`);
  }
  if (tf.getBackend() !== name) {
    const ok = await tf.setBackend(name);
    if (!ok) throw new Error(`backend "${name}" failed to initialise`);
  }
  await tf.ready();
  if (name === 'cpu') silenceCpuBanner();
  current = {
    name, available, tfjsVersion: tf.version.tfjs, tensorflowVersion: tensorflowVersion(),
    precision: name === 'tensorflow' ? nativeSettings?.precision ?? 'fp32' : 'fp32',
    threads: name === 'tensorflow' ? nativeSettings?.threads ?? null : null,
    kernel,
    onednn: typeof onednn === 'string' ? null : onednn.version(),
  };
  const addon = typeof onednn === 'string' || kernel === 'explicit' || kernel === 'fused' ? null : onednn;
  if (addon && current.threads) addon.setThreads(current.threads);
  // A native run's steps allocate and free blocks of several MB each; kept in the heap, they are not paged in
  // afresh every step (native/process/process.cc, keepFreedMemory).
  const processAddon = loadProcessAddon();
  if (name === 'tensorflow' && typeof processAddon !== 'string') processAddon.keepFreedMemory();
  // The dropout masks' loop in C++ (the same values; a 650 × 2,600 mask in 7 against 44 ms), whatever the backend.
  useNativeMaskFill(typeof processAddon === 'string' ? null
    : (values, { c, s0, s1, s2 }, threshold, kept) => processAddon.fillDropoutMask(values, c, s0, s1, s2, threshold, kept));
  setKernelChoice(kernel, current.precision, addon);
  return current;
}

/** bf16 needs a CPU with bf16 units; checked before the native library starts in that mode. */
function checkBf16(): void {
  const support = bf16Support();
  if (support !== true) throw new ConfigError((option) => `${option('precision')} bf16 cannot run here: ${support}; use ${option('precision')} fp32`);
}

/** The report of the last `selectBackend`, or null when none was made. */
export function currentBackend(): BackendReport | null {
  return current;
}

/** tfjs's cpu backend prints a multi-line "install tfjs-node" banner on first use; we report the backend ourselves. */
function silenceCpuBanner(): void {
  const cpu = tf.findBackend('cpu') as unknown as { firstUse?: boolean } | null;
  if (cpu) cpu.firstUse = false;
}

/** One line for logs and reports, e.g. "tensorflow (TensorFlow 2.21.0, tfjs 4.22.0, bf16, 1 thread)". */
export function describeBackend(report: BackendReport): string {
  const parts = [
    ...(report.tensorflowVersion ? [`TensorFlow ${report.tensorflowVersion}`] : []), `tfjs ${report.tfjsVersion}`, report.precision,
    ...(report.threads ? [`${report.threads} thread${report.threads === 1 ? '' : 's'}`] : []),
  ];
  return `${report.name} (${parts.join(', ')})`;
}
