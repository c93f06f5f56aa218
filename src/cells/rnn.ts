import * as tf from '@tensorflow/tfjs';
import { CellKernel, RecurrentCell, StepGradients, stackedProduct, tanhSlope } from './cell';
import { MatrixFactory, tfjsMatrix } from './matrix';

/**
 * Plain (Elman) tanh RNN: h' = tanh(x·W_x + h·W_h + b).
 * One gate block; getWeights(): [kernel W_x, recurrent_kernel W_h, bias b]. State: [h].
 */
export class SimpleRNNCell extends RecurrentCell {
  static className = 'RnnlmSimpleRNNCell';
  readonly gates = 1;
  readonly stateCount = 1;

  makeKernel([wh]: tf.Tensor[], matrix: MatrixFactory = tfjsMatrix): CellKernel<{ hNext: tf.Tensor2D; hFed: tf.Tensor2D }> {
    const recurrent = matrix(wh as tf.Tensor2D);
    return {
      forward(projectedInput, _state, hFed) {
        const hNext = tf.tanh(tf.add(projectedInput, recurrent.times(hFed))) as tf.Tensor2D; // h' = tanh(x·W_x + b + h·W_h)
        return { state: [hNext], saved: { hNext, hFed } };
      },
      backward({ hNext }, [dh]): StepGradients {
        const dz = tf.mul(dh, tanhSlope(hNext)) as tf.Tensor2D;
        return { dProjected: dz, dHFed: recurrent.timesTransposed(dz), dStatePrev: [null] };
      },
      weightGradients(saved, dProjected) {
        return [stackedProduct(saved.map((s) => s.hFed), dProjected)];
      },
    };
  }
}
tf.serialization.registerClass(SimpleRNNCell);
