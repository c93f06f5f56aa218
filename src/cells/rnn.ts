import * as tf from '@tensorflow/tfjs';
import { CellState, RecurrentCell, StepFunction } from './cell';

/**
 * Plain (Elman) tanh RNN: h' = tanh(x·W_x + h·W_h + b).
 * One gate block; getWeights(): [kernel W_x, recurrent_kernel W_h, bias b]. State: [h].
 */
export class SimpleRNNCell extends RecurrentCell {
  static className = 'RnnlmSimpleRNNCell';
  readonly gates = 1;
  readonly stateCount = 1;

  makeStep(): StepFunction {
    const wh = this.recurrentKernel.read();
    return (projectedInput: tf.Tensor2D, _state: CellState, hFed: tf.Tensor2D): CellState => [
      tf.tanh(tf.add(projectedInput, tf.matMul(hFed, wh))) as tf.Tensor2D, // h' = tanh(x·W_x + b + h·W_h)
    ];
  }
}
tf.serialization.registerClass(SimpleRNNCell);
