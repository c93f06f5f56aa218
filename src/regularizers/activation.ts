import * as tf from '@tensorflow/tfjs';

/*
 * Activation regularisation (Merity et al. 2017, section 4.6; salesforce/awd-lstm-lm main.py), both on the
 * last recurrent layer's outputs [batch, time, units] and added to the training loss:
 * - AR, α·mean((m ⊙ h_t)²): large activations are penalised, on the output after its dropout mask m;
 * - TAR, β·mean((h_t − h_{t−1})²): fast changes of the hidden state are, on the output before dropout.
 */

/**
 * scale·mean(x²), with its gradient 2·scale·x/n written out: tf.mean's own gradient (and tf.sum's) fills a
 * tensor of ones of x's size in JavaScript and multiplies by it. AR and TAR of an `awd-medium` window (20 × 70 ×
 * 400), forward and backward: 5.8–6.8 against 11.0–11.2 ms (one thread, Intel Xeon family 6 model 207).
 */
function scaledMeanSquare(x: tf.Tensor, scale: number): tf.Scalar {
  const penalty = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [v, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([v]);
    return {
      value: tf.mul(scale, tf.mean(tf.square(v))) as tf.Scalar,
      gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => tf.mul(tf.mul(dy, (2 * scale) / saved.size), saved),
    };
  });
  return penalty(x) as tf.Scalar;
}

/** AR: α·mean(x²) over every element of the dropped output. */
export function activationPenalty(dropped: tf.Tensor, alpha: number): tf.Scalar {
  return scaledMeanSquare(dropped, alpha);
}

/** TAR: β·mean((h_t − h_{t−1})²) over the window's consecutive pairs; 0 for a one-step window. */
export function temporalActivationPenalty(h: tf.Tensor3D, beta: number): tf.Scalar {
  const [batch, time, units] = h.shape;
  if (time < 2) return tf.scalar(0);
  const later = tf.slice(h, [0, 1, 0], [batch, time - 1, units]);
  const earlier = tf.slice(h, [0, 0, 0], [batch, time - 1, units]);
  return scaledMeanSquare(tf.sub(later, earlier), beta);
}

/** The strengths of AR and TAR; 0 turns either off. */
export interface ActivationPenalties {
  alpha: number;
  beta: number;
}
