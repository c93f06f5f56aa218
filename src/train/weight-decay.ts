import * as tf from '@tensorflow/tfjs';

/**
 * L2 weight decay as PyTorch's optimisers apply it (their `weight_decay`; AWD-LSTM's `--wdecay`): each
 * gradient g of a weight w becomes g + λ·w. AWD-LSTM clips the gradient norm first and the optimiser then
 * adds the decay, so the decay term is never clipped; the same order here.
 */
export function addWeightDecay(grads: tf.NamedTensorMap, variables: tf.Variable[], lambda: number): tf.NamedTensorMap {
  if (lambda === 0) return grads;
  const decayed: tf.NamedTensorMap = {};
  for (const v of variables) decayed[v.name] = tf.add(grads[v.name], tf.mul(v, lambda));
  return decayed;
}
