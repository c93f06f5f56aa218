import * as tf from '@tensorflow/tfjs';
import { CellKernel, RecurrentCell, StepGradients, stackedProduct, tanhSlope } from './cell';

/**
 * Plain (Elman) tanh RNN: h' = tanh(x·W_x + h·W_h + b).
 * One gate block; getWeights(): [kernel W_x, recurrent_kernel W_h, bias b]. State: [h].
 */
export class SimpleRNNCell extends RecurrentCell {
  static className = 'RnnlmSimpleRNNCell';
  readonly gates = 1;
  readonly stateCount = 1;

  makeKernel([wh]: tf.Tensor[]): CellKernel<{ hNext: tf.Tensor2D; hFed: tf.Tensor2D }> {
    let whT: tf.Tensor2D | null = null; // W_hᵀ, made on the first backward step: a plain matmul beats a transpose flag
    return {
      forward(projectedInput, _state, hFed) {
        const hNext = tf.tanh(tf.add(projectedInput, tf.matMul(hFed, wh))) as tf.Tensor2D; // h' = tanh(x·W_x + b + h·W_h)
        return { state: [hNext], saved: { hNext, hFed } };
      },
      backward({ hNext }, [dh]): StepGradients {
        const dz = tf.mul(dh, tanhSlope(hNext)) as tf.Tensor2D;
        whT ??= tf.transpose(wh) as tf.Tensor2D;
        return { dProjected: dz, dHFed: tf.matMul(dz, whT), dStatePrev: [null] };
      },
      weightGradients(saved, dProjected) {
        return [stackedProduct(saved.map((s) => s.hFed), dProjected)];
      },
    };
  }
}
tf.serialization.registerClass(SimpleRNNCell);
