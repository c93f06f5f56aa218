import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { registerWasmKernels } from './backend/wasm-kernels';
import { BACKEND_CHOICES, BACKEND_NAMES, BackendChoice, BackendName } from './config/names';
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

let nativeLoadError: string | null | undefined; // undefined = not tried yet

/** Loads @tensorflow/tfjs-node once; returns null on success or the reason it is unavailable. */
function loadNative(): string | null {
  if (nativeLoadError !== undefined) return nativeLoadError;
  if (process.env.RNNLM_NO_NATIVE === '1') {
    nativeLoadError = 'disabled by RNNLM_NO_NATIVE=1';
    return nativeLoadError;
  }
  // TensorFlow's C++ INFO lines (oneDNN, CPU features) would otherwise open every run's stderr.
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@tensorflow/tfjs-node');
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

/** Which backends can be used here (loads them, does not switch to them). */
export async function availableBackends(): Promise<Record<BackendName, true | string>> {
  const native = loadNative();
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

/**
 * Switches tfjs to the chosen backend. `auto` takes tensorflow, else wasm, else cpu, and says once, in one
 * line on stderr, when it falls back from the native backend. Forcing an unavailable backend throws.
 */
export async function selectBackend(choice: BackendChoice = 'auto'): Promise<BackendReport> {
  const available = await availableBackends();
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
  if (tf.getBackend() !== name) {
    const ok = await tf.setBackend(name);
    if (!ok) throw new Error(`backend "${name}" failed to initialise`);
  }
  await tf.ready();
  if (name === 'cpu') silenceCpuBanner();
  current = { name, available, tfjsVersion: tf.version.tfjs, tensorflowVersion: tensorflowVersion() };
  return current;
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

/** One line for logs and reports, e.g. "tensorflow (TensorFlow 2.15.0, tfjs 4.22.0)". */
export function describeBackend(report: BackendReport): string {
  const tfVersion = report.tensorflowVersion ? `TensorFlow ${report.tensorflowVersion}, ` : '';
  return `${report.name} (${tfVersion}tfjs ${report.tfjsVersion})`;
}
