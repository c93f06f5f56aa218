import * as tf from '@tensorflow/tfjs';

/** A float32 tensor's values (no copy for one whose values are still on the JavaScript side). */
export function host(t: tf.Tensor): Float32Array {
  return t.dataSync() as Float32Array;
}

/**
 * Weights' values, read from the backend once per buffer: evaluation and sampling pass the same weights every
 * window (2 × 13.5 MB for the medium model, which cost ~25% of its evaluation time when copied each window).
 * Keyed by the tensor's dataId: tfjs buffers never change, and a variable's assign gives it a new dataId.
 */
const hostWeights = new WeakMap<object, Float32Array>();

export function hostWeight(t: tf.Tensor): Float32Array {
  const id = t.dataId as object;
  let values = hostWeights.get(id);
  if (!values) {
    values = host(t);
    hostWeights.set(id, values);
  }
  return values;
}

/**
 * Records `values` as `t`'s, so that `hostWeight(t)` returns them without reading the backend: for weights made
 * from an array the caller keeps (dynamic evaluation's stepped weights), which may have moved into TensorFlow
 * by the time a kernel asks for them (the embedding, read by a gather). `values` must not change while `t` is read.
 */
export function rememberHostWeight(t: tf.Tensor, values: Float32Array): void {
  hostWeights.set(t.dataId as object, values);
}
