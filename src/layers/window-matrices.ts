import { MatrixFactory, fixedMatrix, tfjsMatrix } from '../cells/matrix';
import { nativeMatMul, nativeOpsAvailable } from './fused/native-ops';
import { kernelChoice } from './kernel-choice';

/**
 * How the time loop multiplies by W_h on the current backend and precision. In float32 on the native backend,
 * TensorFlow's MatMul op called directly: tfjs' matMul runs BatchMatMulV2, ~15% slower at the per-step
 * [20 × 650]·[650 × 2600] (555 against 647 µs a step inside a loop). In bf16 tfjs' matMul stays: only
 * BatchMatMulV2 takes oneDNN's bf16 mode.
 */
export function windowMatrices(): MatrixFactory {
  if (!nativeOpsAvailable() || kernelChoice().precision !== 'fp32') return tfjsMatrix;
  return (w) => fixedMatrix(w, nativeMatMul);
}
