import * as tf from '@tensorflow/tfjs';

/**
 * Global-norm clipping (Pascanu et al. 2013; PyTorch clip_grad_norm_): when ‖g‖ over all weights exceeds
 * `maxNorm`, every gradient is scaled by maxNorm / (‖g‖ + 1e-6). `maxNorm` ≤ 0 or Infinity disables it.
 * The trainer reads ‖g‖ anyway (it reports it and checks it is finite), so the factor is a number and the
 * scaling can be folded into the optimizer's step (src/train/optimizers.ts `applyClipped`).
 */
export function globalNorm(grads: tf.NamedTensorMap): tf.Scalar {
  return tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g))))) as tf.Scalar;
}

/** The factor clipping multiplies every gradient by, given ‖g‖: 1 when clipping is off or ‖g‖ is within it. */
export function clipFactor(norm: number, maxNorm: number): number {
  if (!(maxNorm > 0 && Number.isFinite(maxNorm))) return 1;
  return Math.min(1, maxNorm / (norm + 1e-6));
}

/** Every gradient times `factor` (the same map when it is 1). */
export function scaleGradients(grads: tf.NamedTensorMap, factor: number): tf.NamedTensorMap {
  if (factor === 1) return grads;
  return Object.fromEntries(Object.entries(grads).map(([name, g]) => [name, tf.mul(g, factor)]));
}
