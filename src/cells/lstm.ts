import * as tf from '@tensorflow/tfjs';
import { CellArgs, CellState, RecurrentCell, StepFunction, sliceGates } from './cell';

export interface LSTMCellArgs extends CellArgs {
  /** Initial forget-gate bias (Gers et al. 2000; Jozefowicz et al. 2015 recommend 1). */
  forgetBias?: number;
}

/**
 * Long short-term memory (Hochreiter & Schmidhuber 1997, with the forget gate of Gers et al. 2000).
 *
 * Gate order inside the fused weight (columns of W_x, W_h and b, `units` each): i, f, g, o
 * — the same order as Keras/tfjs `tf.layers.lstm` and PyTorch `nn.LSTM`, so weights map one to one.
 * getWeights(): [kernel W_x, recurrent_kernel W_h, bias b]. State: [h, c].
 */
export class LSTMCell extends RecurrentCell {
  static className = 'RnnlmLSTMCell';
  readonly gates = 4;
  readonly stateCount = 2;
  readonly forgetBias: number;

  constructor(args: LSTMCellArgs) {
    super(args);
    this.forgetBias = args.forgetBias ?? 1;
  }

  protected override buildExtras(): void {
    this.fillBiasSlice(this.units, this.units, this.forgetBias);
  }

  makeStep(): StepFunction {
    const wh = this.recurrentKernel.read();
    return (projectedInput: tf.Tensor2D, [, c]: CellState, hFed: tf.Tensor2D): CellState => {
      const z = tf.add(projectedInput, tf.matMul(hFed, wh)); // z = x·W_x + b + h·W_h
      const [zi, zf, zg, zo] = sliceGates(z as tf.Tensor2D, 4);
      const i = tf.sigmoid(zi); // i = σ(z_i)
      const f = tf.sigmoid(zf); // f = σ(z_f)
      const g = tf.tanh(zg); // g = tanh(z_g)
      const o = tf.sigmoid(zo); // o = σ(z_o)
      const cNext = tf.add(tf.mul(f, c), tf.mul(i, g)); // c' = f⊙c + i⊙g
      const hNext = tf.mul(o, tf.tanh(cNext)); // h' = o⊙tanh(c')
      return [hNext as tf.Tensor2D, cNext as tf.Tensor2D];
    };
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), forgetBias: this.forgetBias };
  }
}
tf.serialization.registerClass(LSTMCell);
