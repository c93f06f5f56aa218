import * as tf from '@tensorflow/tfjs';

/**
 * Per-position negative log-likelihood of sparse targets: nll_n = logsumexp(logits_n) − logits_n[target_n].
 * No [N, V] one-hot is built in the forward pass; the target logit is read by a flat gather.
 */
export function tokenNll(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => {
    const [rows, vocab] = logits.shape;
    const flatIndex = tf.add(tf.mul(tf.range(0, rows, 1, 'int32'), tf.scalar(vocab, 'int32')), targets);
    const picked = tf.gather(tf.reshape(logits, [-1]), flatIndex);
    return tf.sub(tf.logSumExp(logits, 1), picked) as tf.Tensor1D;
  });
}

/**
 * Softmax cross-entropy, summed over the weighted positions and divided by `count`:
 *   L = Σ_n w_n · nll_n / count,   ∂L/∂logits_n = w_n · (softmax(logits_n) − onehot(target_n)) / count.
 * The gradient is written by hand: one softmax and one scatter of −1 instead of the autodiff chain through
 * logsumexp and gather.
 */
export function crossEntropy(logits: tf.Tensor2D, targets: tf.Tensor1D, weights: tf.Tensor1D | null, count: number): tf.Scalar {
  const loss = tf.customGrad((logitsArg: tf.Tensor | tf.GradSaveFunc, save: tf.Tensor | tf.GradSaveFunc) => {
    const z = logitsArg as tf.Tensor2D;
    const nll = tokenNll(z, targets);
    const weighted = weights ? tf.mul(nll, weights) : nll;
    (save as tf.GradSaveFunc)([z]);
    return {
      value: tf.div(tf.sum(weighted), count) as tf.Scalar,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedLogits] = saved as [tf.Tensor2D];
        const vocab = savedLogits.shape[1];
        const scale = tf.div(dy, count);
        // int32 one-hot, upcast by sub: the wasm backend's float32 OneHot writes zeros (tfjs 4.22).
        const residual = tf.sub(tf.softmax(savedLogits), tf.oneHot(targets, vocab));
        const rowScale = weights ? tf.mul(tf.expandDims(weights, 1), scale) : scale;
        return tf.mul(residual, rowScale);
      },
    };
  });
  return (loss as unknown as (z: tf.Tensor2D) => tf.Scalar)(logits);
}
