import * as tf from '@tensorflow/tfjs';
import { OptimizerName } from '../config/names';

/** A named optimizer slot, as `tf.Optimizer.getWeights()` returns it. */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

export function createOptimizer(name: OptimizerName, lr: number): tf.Optimizer {
  switch (name) {
    case 'sgd':
    case 'ntasgd': // SGD whose iterates the trainer averages once triggered (src/train/asgd.ts)
      return tf.train.sgd(lr);
    case 'adam':
      return tf.train.adam(lr);
  }
}

/** Changes the step size of an existing optimizer without losing its state (Adam's moments). */
export function setLearningRate(optimizer: tf.Optimizer, lr: number): void {
  const withSetter = optimizer as unknown as { setLearningRate?: (lr: number) => void; learningRate: number };
  if (typeof withSetter.setLearningRate === 'function') withSetter.setLearningRate(lr); // SGD rebuilds its lr scalar
  else withSetter.learningRate = lr; // Adam reads the field at every step
}

/**
 * The optimizer's slots (iteration count, Adam's moments) as plain named tensors. tfjs matches slots to
 * variables by position, so they are renamed by position and restored in the same order.
 */
export async function optimizerState(optimizer: tf.Optimizer): Promise<NamedTensor[]> {
  const weights = await optimizer.getWeights();
  return weights.map((w, k) => ({ name: k === 0 ? 'iterations' : `slot${k}`, tensor: w.tensor }));
}

export async function restoreOptimizerState(optimizer: tf.Optimizer, state: NamedTensor[]): Promise<void> {
  await optimizer.setWeights(state);
}
