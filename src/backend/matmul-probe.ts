/**
 * Run by `backendInfo` as a child process: prints {"gflops": N}, the native backend's square matMul speed at
 * the precision given as the first argument (the precision is fixed per process, see src/backend.ts).
 */
import { selectBackend } from '../backend';
import { Precision } from '../config/names';
import { NATIVE_PROBE_SIZE, matMulGflops } from './info';

const [precision, threads] = process.argv.slice(2);
selectBackend({ backend: 'tensorflow', precision: precision as Precision, threads: threads ? Number(threads) : null })
  .then(() => process.stdout.write(`${JSON.stringify({ gflops: matMulGflops(NATIVE_PROBE_SIZE, 10) })}\n`))
  .catch((error: Error) => {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  });
