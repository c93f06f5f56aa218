import * as tf from '@tensorflow/tfjs';
import { DropoutKind } from '../config/names';

/*
 * `variational`: one mask per sequence and window, reused at every time step (Gal & Ghahramani 2016;
 * "locked dropout" in AWD-LSTM). `standard`: a fresh mask at every time step (Zaremba et al. 2014).
 */

/**
 * Inverted dropout mask: 0 with probability `rate`, else 1/(1−rate), so activations keep their expectation.
 * Kept where u > rate for seeded uniform u, in float32: the values of step(u − rate) / (1 − rate) as TensorFlow
 * ops (so runs keep their masks), but made on the JavaScript side, where tfjs draws u anyway. As those ops, the
 * three masks of a step took ~4 ms of tiny TensorFlow kernels (step alone is six) on a 2-vCPU VM.
 */
export function dropoutMask(shape: number[], rate: number, seed: number): tf.Tensor {
  const uniform = tf.randomUniform(shape, 0, 1, 'float32', seed);
  const u = uniform.dataSync();
  uniform.dispose();
  const threshold = Math.fround(rate);
  const kept = Math.fround(1 / Math.fround(1 - rate));
  return tf.tensor(u.map((value) => (value > threshold ? kept : 0)), shape, 'float32');
}

/**
 * Dropout on a [batch, time, features] sequence. Variational: the mask has shape [batch, 1, features] and
 * broadcasts over time; standard: [batch, time, features].
 */
export function sequenceDropout(x: tf.Tensor3D, rate: number, kind: DropoutKind, seed: number): tf.Tensor3D {
  if (rate === 0) return x;
  const [batch, time, features] = x.shape;
  const mask = dropoutMask([batch, kind === 'variational' ? 1 : time, features], rate, seed);
  return tf.mul(x, mask) as tf.Tensor3D;
}

/**
 * Recurrent dropout on the h fed back into the cell: variational returns one [batch, units] mask for every
 * step of the window; standard a new mask per step.
 */
export function recurrentMasks(
  batch: number, units: number, rate: number, kind: DropoutKind, seed: number,
): ((t: number) => tf.Tensor2D) | undefined {
  if (rate === 0) return undefined;
  if (kind === 'variational') {
    const mask = dropoutMask([batch, units], rate, seed) as tf.Tensor2D;
    return () => mask;
  }
  return (t: number) => dropoutMask([batch, units], rate, seed + 7919 * (t + 1)) as tf.Tensor2D;
}

/**
 * Embedding dropout (Gal & Ghahramani 2016, section 4.2): whole word types are dropped — every occurrence of
 * a dropped word in the window gets a zero vector. Returns a [batch, time, 1] multiplier for the looked-up
 * embeddings: the mask over the vocabulary gathered at the window's ids (cheaper than masking the matrix).
 */
export function embeddingDropoutMask(ids: tf.Tensor2D, vocabSize: number, rate: number, seed: number): tf.Tensor3D {
  return tf.tidy(() => {
    const typeMask = dropoutMask([vocabSize], rate, seed);
    return tf.expandDims(tf.gather(typeMask, ids), 2) as tf.Tensor3D;
  });
}
