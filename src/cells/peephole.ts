import * as tf from '@tensorflow/tfjs';
import { CellKernel, RecurrentCell, StepGradients, StepRecord, sigmoidSlope, sliceGates, stackedProduct, tanhSlope } from './cell';
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

  constructor(args: LSTMCellArgs) {
    super(args);
    this.forgetBias = args.forgetBias ?? 1;
  }

  protected override buildExtras(): void {
    this.fillBiasSlice(this.units, this.units, this.forgetBias);
    this.addWeight('peephole', [3 * this.units], 'float32', initializerFor(this.initSpec, 'peephole'));
  }

  makeKernel([wh, peephole]: tf.Tensor[]): CellKernel {
    const [pi, pf, po] = tf.split(peephole, 3) as tf.Tensor1D[];
    let whT: tf.Tensor2D | null = null; // W_hᵀ, made on the first backward step: a plain matmul beats a transpose flag
    return {
      forward(projectedInput, [, c], hFed): StepRecord {
        const z = tf.add(projectedInput, tf.matMul(hFed, wh)); // z = x·W_x + b + h·W_h
        const [zi, zf, zg, zo] = sliceGates(z as tf.Tensor2D, 4);
        const i = tf.sigmoid(tf.add(zi, tf.mul(pi, c))); // i = σ(z_i + p_i⊙c_{t-1})
        const f = tf.sigmoid(tf.add(zf, tf.mul(pf, c))); // f = σ(z_f + p_f⊙c_{t-1})
        const g = tf.tanh(zg); // g = tanh(z_g)
        const cNext = tf.add(tf.mul(f, c), tf.mul(i, g)) as tf.Tensor2D; // c_t = f⊙c_{t-1} + i⊙g
        const o = tf.sigmoid(tf.add(zo, tf.mul(po, cNext))); // o = σ(z_o + p_o⊙c_t)
        const tanhC = tf.tanh(cNext);
        const hNext = tf.mul(o, tanhC) as tf.Tensor2D; // h_t = o⊙tanh(c_t)
        return { state: [hNext, cNext], saved: [i, f, g, o, c, cNext, tanhC, hFed] };
      },
      backward(saved, [dh, dc]): StepGradients {
        const [i, f, g, o, c, , tanhC] = saved as tf.Tensor2D[];
        const doPre = tf.mul(tf.mul(dh, tanhC), sigmoidSlope(o)); // ∂h/∂o = tanh c_t
        // c_t reaches the loss through c_{t+1}, h_t and, via p_o, the output gate.
        const dcTotal = tf.add(tf.add(dc, tf.mul(tf.mul(dh, o), tanhSlope(tanhC))), tf.mul(doPre, po));
        const diPre = tf.mul(tf.mul(dcTotal, g), sigmoidSlope(i));
        const dfPre = tf.mul(tf.mul(dcTotal, c), sigmoidSlope(f));
        const dgPre = tf.mul(tf.mul(dcTotal, i), tanhSlope(g));
        const dz = tf.concat([diPre, dfPre, dgPre, doPre], 1) as tf.Tensor2D;
        const dcPrev = tf.add(tf.mul(dcTotal, f), tf.add(tf.mul(diPre, pi), tf.mul(dfPre, pf))) as tf.Tensor2D;
        whT ??= tf.transpose(wh) as tf.Tensor2D;
        return { dProjected: dz, dHFed: tf.matMul(dz, whT), dStatePrev: [null, dcPrev] };
      },
      weightGradients(saved, dProjected) {
        const [di, df, , dOut] = tf.split(tf.concat(dProjected, 0), 4, 1);
        const stacked = (k: number): tf.Tensor => tf.concat(saved.map((s) => s[k] as tf.Tensor2D), 0);
        const cPrev = stacked(4);
        const peepholeGrad = tf.concat([tf.sum(tf.mul(di, cPrev), 0), tf.sum(tf.mul(df, cPrev), 0), tf.sum(tf.mul(dOut, stacked(5)), 0)]);
        return [stackedProduct(saved.map((s) => s[7] as tf.Tensor2D), dProjected), peepholeGrad];
      },
    };
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), forgetBias: this.forgetBias };
  }
}
tf.serialization.registerClass(PeepholeLSTMCell);
