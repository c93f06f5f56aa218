import * as tf from '@tensorflow/tfjs';
import { KernelChoice } from '../../src/config/names';
import { Recurrent } from '../../src/layers/recurrent';

/** Loss Σ outputs² of one layer run under `kernel`, its weight gradients and the kernel the layer ran; frees its tensors. */
export function layerLossAndGradients(layer: Recurrent, x: tf.Tensor3D, kernel: KernelChoice): { loss: number; grads: Float32Array[]; used: string | null } {
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(layer.run(x, { kernel }).outputs)) as tf.Scalar,
    layer.cell.trainableWeights.map((w) => w.read() as tf.Variable));
  const result = { loss: value.dataSync()[0], grads: Object.values(grads).map((g) => g.dataSync() as Float32Array), used: layer.lastKernel };
  tf.dispose([value, ...Object.values(grads)]);
  return result;
}
