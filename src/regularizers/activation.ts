import * as tf from '@tensorflow/tfjs';

/*
 * Activation regularisation (Merity et al. 2017, section 4.6; salesforce/awd-lstm-lm main.py), both on the
 * last recurrent layer's outputs [batch, time, units] and added to the training loss:
 * - AR, α·mean((m ⊙ h_t)²): large activations are penalised, on the output after its dropout mask m;
 * - TAR, β·mean((h_t − h_{t−1})²): fast changes of the hidden state are, on the output before dropout.
 */

/** AR: α·mean(x²) over every element of the dropped output. */
export function activationPenalty(dropped: tf.Tensor, alpha: number): tf.Scalar {
  return tf.mul(alpha, tf.mean(tf.square(dropped))) as tf.Scalar;
}

/** TAR: β·mean((h_t − h_{t−1})²) over the window's consecutive pairs; 0 for a one-step window. */
export function temporalActivationPenalty(h: tf.Tensor3D, beta: number): tf.Scalar {
  const [batch, time, units] = h.shape;
  if (time < 2) return tf.scalar(0);
  const later = tf.slice(h, [0, 1, 0], [batch, time - 1, units]);
  const earlier = tf.slice(h, [0, 0, 0], [batch, time - 1, units]);
  return tf.mul(beta, tf.mean(tf.square(tf.sub(later, earlier)))) as tf.Scalar;
}

/** The strengths of AR and TAR; 0 turns either off. */
export interface ActivationPenalties {
  alpha: number;
  beta: number;
}
