import * as tf from '@tensorflow/tfjs';

/**
 * Global-norm clipping (Pascanu et al. 2013; PyTorch clip_grad_norm_): when ‖g‖ over all weights exceeds
 * `maxNorm`, every gradient is scaled by maxNorm / (‖g‖ + 1e-6). `maxNorm` ≤ 0 or Infinity disables it.
 */
export function clipByGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number): { grads: tf.NamedTensorMap; norm: tf.Scalar } {
  const names = Object.keys(grads);
  const norm = tf.sqrt(tf.addN(names.map((name) => tf.sum(tf.square(grads[name]))))) as tf.Scalar;
  if (!(maxNorm > 0 && Number.isFinite(maxNorm))) return { grads, norm };
  const scale = tf.minimum(1, tf.div(maxNorm, tf.add(norm, 1e-6)));
  const clipped: tf.NamedTensorMap = {};
  for (const name of names) clipped[name] = tf.mul(grads[name], scale);
  return { grads: clipped, norm };
}
