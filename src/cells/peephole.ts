import * as tf from '@tensorflow/tfjs';
import { CellState, RecurrentCell, StepFunction, sliceGates } from './cell';
import { LSTMCellArgs } from './lstm';
import { initializerFor } from './initializers';

/**
 * LSTM with peephole connections (Gers & Schmidhuber 2000): the gates also see the cell state through
 * diagonal weights — i and f see c_{t-1}, o sees the new c_t.
 *
 * Gate order inside the fused weight: i, f, g, o (as `LSTMCell`).
 * getWeights(): [kernel W_x, recurrent_kernel W_h, bias b, peephole p] where p has shape [3·units]
 * holding p_i, p_f, p_o in that order. State: [h, c].
 */
export class PeepholeLSTMCell extends RecurrentCell {
  static className = 'RnnlmPeepholeLSTMCell';
  readonly gates = 4;
  readonly stateCount = 2;
  readonly forgetBias: number;
  private peephole!: tf.LayerVariable;

  constructor(args: LSTMCellArgs) {
    super(args);
    this.forgetBias = args.forgetBias ?? 1;
  }

  protected override buildExtras(): void {
    this.fillBiasSlice(this.units, this.units, this.forgetBias);
    this.peephole = this.addWeight('peephole', [3 * this.units], 'float32', initializerFor(this.initSpec, 'peephole'));
  }

  makeStep(): StepFunction {
    const wh = this.recurrentKernel.read();
    const [pi, pf, po] = tf.split(this.peephole.read(), 3) as tf.Tensor1D[];
    return (projectedInput: tf.Tensor2D, [, c]: CellState, hFed: tf.Tensor2D): CellState => {
      const z = tf.add(projectedInput, tf.matMul(hFed, wh)); // z = x·W_x + b + h·W_h
      const [zi, zf, zg, zo] = sliceGates(z as tf.Tensor2D, 4);
      const i = tf.sigmoid(tf.add(zi, tf.mul(pi, c))); // i = σ(z_i + p_i⊙c_{t-1})
      const f = tf.sigmoid(tf.add(zf, tf.mul(pf, c))); // f = σ(z_f + p_f⊙c_{t-1})
      const g = tf.tanh(zg); // g = tanh(z_g)
      const cNext = tf.add(tf.mul(f, c), tf.mul(i, g)); // c_t = f⊙c_{t-1} + i⊙g
      const o = tf.sigmoid(tf.add(zo, tf.mul(po, cNext))); // o = σ(z_o + p_o⊙c_t)
      const hNext = tf.mul(o, tf.tanh(cNext)); // h_t = o⊙tanh(c_t)
      return [hNext as tf.Tensor2D, cNext as tf.Tensor2D];
    };
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), forgetBias: this.forgetBias };
  }
}
tf.serialization.registerClass(PeepholeLSTMCell);
