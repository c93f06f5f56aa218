import * as tf from '@tensorflow/tfjs';
import { CellKernel, StepGradients, sigmoidSlope, sliceGates, stackedProduct, tanhSlope } from './cell';
import { MatrixFactory, tfjsMatrix } from './matrix';
import { initializerFor } from './initializers';
import { LSTMCell } from './lstm';

/** What a peephole-LSTM step keeps for its backward pass. */
type PeepholeSaved = {
  i: tf.Tensor2D; f: tf.Tensor2D; g: tf.Tensor2D; o: tf.Tensor2D;
  /** c_{t−1} and c_t: the gates see both through the peepholes. */
  cPrev: tf.Tensor2D;
  c: tf.Tensor2D;
  tanhC: tf.Tensor2D;
  hFed: tf.Tensor2D;
};

/**
 * LSTM with peephole connections (Gers & Schmidhuber 2000): the gates also see the cell state through
 * diagonal weights — i and f see c_{t-1}, o sees the new c_t. Everything else is the LSTM's: gate order
 * i, f, g, o, forget bias, state [h, c].
 * getWeights(): [kernel W_x, recurrent_kernel W_h, bias b, peephole p] where p has shape [3·units]
 * holding p_i, p_f, p_o in that order.
 */
export class PeepholeLSTMCell extends LSTMCell {
  static override className = 'RnnlmPeepholeLSTMCell';

  protected override buildExtras(): void {
    super.buildExtras();
    this.addWeight('peephole', [this.extraWeightCount()], 'float32', initializerFor(this.initSpec, 'peephole', this.units));
  }

  protected override extraWeightCount(): number {
    return 3 * this.units;
  }

  override makeKernel([wh, peephole]: tf.Tensor[], matrix: MatrixFactory = tfjsMatrix): CellKernel<PeepholeSaved> {
    const [pi, pf, po] = tf.split(peephole, 3) as tf.Tensor1D[];
    const recurrent = matrix(wh as tf.Tensor2D);
    return {
      forward(projectedInput, [, cPrev], hFed) {
        const z = tf.add(projectedInput, recurrent.times(hFed)); // z = x·W_x + b + h·W_h
        const [zi, zf, zg, zo] = sliceGates(z as tf.Tensor2D, 4);
        const i = tf.sigmoid(tf.add(zi, tf.mul(pi, cPrev))) as tf.Tensor2D; // i = σ(z_i + p_i⊙c_{t-1})
        const f = tf.sigmoid(tf.add(zf, tf.mul(pf, cPrev))) as tf.Tensor2D; // f = σ(z_f + p_f⊙c_{t-1})
        const g = tf.tanh(zg); // g = tanh(z_g)
        const c = tf.add(tf.mul(f, cPrev), tf.mul(i, g)) as tf.Tensor2D; // c_t = f⊙c_{t-1} + i⊙g
        const o = tf.sigmoid(tf.add(zo, tf.mul(po, c))) as tf.Tensor2D; // o = σ(z_o + p_o⊙c_t)
        const tanhC = tf.tanh(c);
        const h = tf.mul(o, tanhC) as tf.Tensor2D; // h_t = o⊙tanh(c_t)
        return { state: [h, c], saved: { i, f, g, o, cPrev, c, tanhC, hFed } };
      },
      backward({ i, f, g, o, cPrev, tanhC }, [dh, dc]): StepGradients {
        const doPre = tf.mul(tf.mul(dh, tanhC), sigmoidSlope(o)); // ∂h/∂o = tanh c_t
        // c_t reaches the loss through c_{t+1}, h_t and, via p_o, the output gate.
        const dcTotal = tf.add(tf.add(dc, tf.mul(tf.mul(dh, o), tanhSlope(tanhC))), tf.mul(doPre, po));
        const diPre = tf.mul(tf.mul(dcTotal, g), sigmoidSlope(i));
        const dfPre = tf.mul(tf.mul(dcTotal, cPrev), sigmoidSlope(f));
        const dgPre = tf.mul(tf.mul(dcTotal, i), tanhSlope(g));
        const dz = tf.concat([diPre, dfPre, dgPre, doPre], 1) as tf.Tensor2D;
        const dcPrev = tf.add(tf.mul(dcTotal, f), tf.add(tf.mul(diPre, pi), tf.mul(dfPre, pf))) as tf.Tensor2D;
        return { dProjected: dz, dHFed: recurrent.timesTransposed(dz), dStatePrev: [null, dcPrev] };
      },
      weightGradients(saved, dProjected) {
        const [di, df, , dOut] = tf.split(tf.concat(dProjected, 0), 4, 1);
        const stacked = (pick: (s: PeepholeSaved) => tf.Tensor2D): tf.Tensor => tf.concat(saved.map(pick), 0);
        const cPrevs = stacked((s) => s.cPrev);
        const peepholeGrad = tf.concat([
          tf.sum(tf.mul(di, cPrevs), 0), tf.sum(tf.mul(df, cPrevs), 0), tf.sum(tf.mul(dOut, stacked((s) => s.c)), 0),
        ]);
        return [stackedProduct(saved.map((s) => s.hFed), dProjected), peepholeGrad];
      },
    };
  }
}
tf.serialization.registerClass(PeepholeLSTMCell);
