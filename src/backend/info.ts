import * as os from 'os';
import * as tf from '@tensorflow/tfjs';
import { availableBackends, describeBackend, selectBackend } from '../backend';
import { BACKEND_NAMES, BackendChoice, BackendName } from '../config/names';
import { RuntimeVersions, runtimeVersions } from '../package';

export interface BackendInfo {
  /** The backend `choice` resolves to, described in one line. */
  backend: string;
  backends: { name: BackendName; available: true | string; size: number; gflops: number | null }[];
  versions: RuntimeVersions;
  threads: string;
}

/** Square float32 matMul throughput after one warm-up call: 2·n³ flops per product. */
function matMulGflops(size: number, repeats: number): number {
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

/** What `rnnlm info` shows: every backend's availability and matMul speed, versions, threads. */
export async function backendInfo(choice: BackendChoice): Promise<BackendInfo> {
  const available = await availableBackends();
  const backends: BackendInfo['backends'] = [];
  for (const name of BACKEND_NAMES) {
    const size = name === 'cpu' ? 256 : 1024; // plain JS runs ~0.6 GFLOP/s: keep its product small
    let gflops: number | null = null;
    if (available[name] === true) {
      await selectBackend(name);
      gflops = matMulGflops(size, name === 'cpu' ? 2 : 10);
    }
    backends.push({ name, available: available[name], size, gflops });
  }
  const report = await selectBackend(choice);
  const wasmThreads = available.wasm === true ? `wasm ${wasmThreadCount()}` : 'wasm —';
  return {
    backend: describeBackend(report),
    backends,
    versions: runtimeVersions(report.tensorflowVersion),
    threads: `${os.cpus().length} CPU cores; tensorflow uses its own thread pools (all cores); ${wasmThreads}`,
  };
}

function wasmThreadCount(): number {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('@tensorflow/tfjs-backend-wasm') as { getThreadsCount(): number }).getThreadsCount();
}
