import { execFileSync } from 'child_process';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { asyncSignalsHeld, availableBackends, bf16Support, describeBackend, selectBackend } from '../backend';
import { cpuDescription } from './cpu';
import { loadOnednn } from './onednn';
import { BackendOptions } from '../config/commands';
import { BACKEND_NAMES, BackendName, PRECISIONS, Precision } from '../config/names';
import { PACKAGE_ROOT, RuntimeVersions, runtimeVersions } from '../package';

export interface BackendInfo {
  /** The CPU, as reports name it (`cpuDescription`). */
  cpu: string;
  /** The backend the options resolve to, described in one line. */
  backend: string;
  backends: { name: BackendName; available: true | string; size: number; gflops: number | null }[];
  /** Whether `--precision bf16` can run here: true, or why not. */
  bf16: true | string;
  /**
   * The oneDNN version behind `--kernel onednn` (native/onednn/rnn.cc) and the instruction set its kernels run
   * on here ("avx2", "avx512_core_bf16", …; it decides which LSTM kernel `auto` takes), or why they cannot run.
   */
  onednn: { version: string; isa: string } | { unavailable: string };
  /** Whether signals are held off the threads that run native kernels (`asyncSignalsHeld`), or why not. */
  signals: true | string;
  /**
   * Square matMul GFLOP/s of the native backend at each precision (null where it cannot run). TensorFlow's bf16
   * is its fpmath mode, which oneDNN honours only on CPUs with AMX: elsewhere this is a float32 figure.
   */
  nativeGflops: Record<Precision, number | null>;
  /**
   * Square-product GFLOP/s of the oneDNN addon at each precision, as its recurrent and output kernels run them
   * (bf16: bfloat16 inputs, float32 accumulation): what `--precision bf16` changes for those kernels.
   */
  onednnGflops: Record<Precision, number | null>;
  versions: RuntimeVersions;
  threads: string;
}

/** Square float32 matMul throughput after one warm-up call: 2·n³ flops per product. */
export function matMulGflops(size: number, repeats: number): number {
  return tf.tidy(() => {
    const a = tf.randomUniform([size, size]);
    const b = tf.randomUniform([size, size]);
    tf.matMul(a, b).dataSync();
    const started = performance.now();
    for (let k = 0; k < repeats; k++) tf.matMul(a, b).dataSync();
    const seconds = (performance.now() - started) / 1000 / repeats;
    return (2 * size ** 3) / seconds / 1e9;
  });
}

export const NATIVE_PROBE_SIZE = 1024;

/**
 * The oneDNN addon's square product throughput (2·n³ flops per product) at a precision, at the threads the
 * backend set; null without the addon. In bf16 on an AMX CPU this, not TensorFlow's matMul, is the limit our
 * kernels run against: TensorFlow's bf16 fpmath mode reaches a fraction of it.
 */
export function onednnProductGflops(size: number, precision: Precision, repeats: number): number | null {
  const onednn = loadOnednn();
  return typeof onednn === 'string' ? null : onednn.productGflops({ size, bf16: precision === 'bf16', repeats });
}

/**
 * The native matMul speed at a precision other than this process's: the precision is fixed when the native
 * library starts, so a child process measures it (dist/src/backend/matmul-probe.js).
 */
function probeInChild(precision: Precision, threads: number | null): number | null {
  const probe = path.join(PACKAGE_ROOT, 'dist', 'src', 'backend', 'matmul-probe.js');
  try {
    const out = execFileSync(process.execPath, [probe, precision, String(threads ?? '')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return (JSON.parse(out) as { gflops: number }).gflops;
  } catch {
    return null;
  }
}

/** What `rnnlm info` shows: every backend's availability and matMul speed, bf16 support, versions, threads. */
export async function backendInfo(options: Partial<BackendOptions>): Promise<BackendInfo> {
  const report = await selectBackend(options); // first: it starts the native library with the requested settings
  const available = await availableBackends();
  const bf16 = available.tensorflow === true ? bf16Support() : `needs the native tensorflow backend (${available.tensorflow})`;
  const backends: BackendInfo['backends'] = [];
  const nativeGflops: Record<Precision, number | null> = { fp32: null, bf16: null };
  for (const name of BACKEND_NAMES) {
    const size = name === 'cpu' ? 256 : NATIVE_PROBE_SIZE; // plain JS runs ~0.6 GFLOP/s: keep its product small
    let gflops: number | null = null;
    if (available[name] === true) {
      await selectBackend({ ...options, backend: name, precision: name === 'tensorflow' ? options.precision : 'fp32' });
      gflops = matMulGflops(size, name === 'cpu' ? 2 : 10);
    }
    if (name === 'tensorflow' && gflops !== null) {
      const started = report.name === 'tensorflow' ? report.precision : 'fp32';
      for (const precision of PRECISIONS) {
        if (precision === 'bf16' && bf16 !== true) continue;
        nativeGflops[precision] = precision === started ? gflops : probeInChild(precision, report.threads);
      }
    }
    backends.push({ name, available: available[name], size, gflops });
  }
  await selectBackend(options);
  const onednn = loadOnednn();
  const onednnGflops: Record<Precision, number | null> = { fp32: null, bf16: null };
  for (const precision of PRECISIONS) {
    if (precision === 'fp32' || bf16 === true) onednnGflops[precision] = onednnProductGflops(NATIVE_PROBE_SIZE, precision, 10);
  }
  const wasmThreads = available.wasm === true ? `wasm ${wasmThreadCount()}` : 'wasm —';
  return {
    cpu: cpuDescription(),
    backend: describeBackend(report),
    backends,
    bf16,
    onednn: typeof onednn === 'string' ? { unavailable: onednn } : { version: onednn.version(), isa: onednn.cpuIsa() },
    signals: asyncSignalsHeld(),
    nativeGflops,
    onednnGflops,
    versions: runtimeVersions(report.tensorflowVersion),
    threads: `${os.cpus().length} CPU cores; tensorflow ${report.threads ? `${report.threads} intra-op` : 'its own thread pools (all cores)'}; ${wasmThreads}`,
  };
}

/**
 * What `rnnlm info` advises about `--precision bf16` from the oneDNN products' speed, or null when there is
 * nothing to compare. Where bf16 is slower (an AVX512-BF16 CPU without AMX: its bfloat16 dot products have
 * float32 FMA's peak, and the conversions cost on top), it says so: bf16 would slow the run and round it.
 * `--precision bf16` still runs there, in bfloat16, if asked: the advice does not change what runs.
 */
export function bf16Advice(onednnGflops: Record<Precision, number | null>): string | null {
  const { fp32, bf16 } = onednnGflops;
  if (fp32 === null || bf16 === null) return null;
  // Within ±10% the one short measurement cannot tell them apart.
  const ratio = bf16 / fp32;
  const measured = `bf16 products run at ${ratio.toFixed(2)}x float32 here`;
  if (ratio < 0.9) return `${measured}: --precision bf16 would slow training on this CPU; keep fp32`;
  if (ratio > 1.1) return `${measured}: --precision bf16 speeds up the oneDNN kernels`;
  return `${measured}: --precision bf16 would round without a clear speed-up`;
}

function wasmThreadCount(): number {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('@tensorflow/tfjs-backend-wasm') as { getThreadsCount(): number }).getThreadsCount();
}
