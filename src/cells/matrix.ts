import * as tf from '@tensorflow/tfjs';

/**
 * A weight matrix that stays fixed while the time loop multiplies it 2·T times: x·W at every forward step
 * and x·Wᵀ at every backward step (W_h of a recurrent cell over one window). These [batch × units]
 * products are the per-step latency of a recurrent network, so the time loop chooses how they run.
 */
export interface FixedMatrix {
  /** x·W */
  times(x: tf.Tensor2D): tf.Tensor2D;
  /** x·Wᵀ */
  timesTransposed(x: tf.Tensor2D): tf.Tensor2D;
}

/** Makes the `FixedMatrix` of each weight a cell's kernel multiplies. */
export type MatrixFactory = (w: tf.Tensor2D) => FixedMatrix;

/** A plain product a·b of two matrices. */
export type MatrixProduct = (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;

/**
 * `w` multiplied by `product`. Wᵀ is made once, on the first backward product: a plain matmul on it beats a
 * transpose flag (natively ~2x, on wasm ~15x).
 */
export function fixedMatrix(w: tf.Tensor2D, product: MatrixProduct): FixedMatrix {
  let transposed: tf.Tensor2D | null = null;
  return {
    times: (x) => product(x, w),
    timesTransposed: (x) => product(x, (transposed ??= tf.transpose(w) as tf.Tensor2D)),
  };
}

/** tfjs matmuls: any backend, differentiable by autodiff (the cells' `makeStep`). */
export const tfjsMatrix: MatrixFactory = (w) => fixedMatrix(w, (a, b) => tf.matMul(a, b));
