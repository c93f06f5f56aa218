import * as tf from '@tensorflow/tfjs';
import { CellArgs, CellKernel, RecurrentCell, StepGradients, sigmoidSlope, sliceGates, stackedProduct, tanhSlope } from './cell';
import { MatrixFactory, tfjsMatrix } from './matrix';

export interface LSTMCellArgs extends CellArgs {
  /** Initial forget-gate bias (Gers et al. 2000; Jozefowicz et al. 2015 recommend 1). */
  forgetBias?: number;
}

/** What an LSTM step keeps for its backward pass. */
type LSTMSaved = {
  i: tf.Tensor2D; f: tf.Tensor2D; g: tf.Tensor2D; o: tf.Tensor2D;
  /** c_{t−1} */
  cPrev: tf.Tensor2D;
  tanhC: tf.Tensor2D;
  /** The h that entered the recurrent matmul. */
  hFed: tf.Tensor2D;
};

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
    this.setBiasSlice(this.units, this.units, this.forgetBias);
  }

  makeKernel([wh]: tf.Tensor[], matrix: MatrixFactory = tfjsMatrix): CellKernel<LSTMSaved> {
    const recurrent = matrix(wh as tf.Tensor2D);
    return {
      forward(projectedInput, [, cPrev], hFed) {
        const z = tf.add(projectedInput, recurrent.times(hFed)); // z = x·W_x + b + h·W_h
        const [zi, zf, zg, zo] = sliceGates(z as tf.Tensor2D, 4);
        const i = tf.sigmoid(zi); // i = σ(z_i)
        const f = tf.sigmoid(zf); // f = σ(z_f)
        const g = tf.tanh(zg); // g = tanh(z_g)
        const o = tf.sigmoid(zo); // o = σ(z_o)
        const c = tf.add(tf.mul(f, cPrev), tf.mul(i, g)) as tf.Tensor2D; // c' = f⊙c + i⊙g
        const tanhC = tf.tanh(c);
        const h = tf.mul(o, tanhC) as tf.Tensor2D; // h' = o⊙tanh(c')
        return { state: [h, c], saved: { i, f, g, o, cPrev, tanhC, hFed } };
      },
      backward({ i, f, g, o, cPrev, tanhC }, [dh, dc]): StepGradients {
        const dcTotal = tf.add(dc, tf.mul(tf.mul(dh, o), tanhSlope(tanhC))); // ∂h'/∂c' = o⊙(1 − tanh²c')
        const dz = tf.concat([
          tf.mul(tf.mul(dcTotal, g), sigmoidSlope(i)), // ∂c'/∂i = g
          tf.mul(tf.mul(dcTotal, cPrev), sigmoidSlope(f)), // ∂c'/∂f = c
          tf.mul(tf.mul(dcTotal, i), tanhSlope(g)), // ∂c'/∂g = i
          tf.mul(tf.mul(dh, tanhC), sigmoidSlope(o)), // ∂h'/∂o = tanh c'
        ], 1) as tf.Tensor2D;
        return { dProjected: dz, dHFed: recurrent.timesTransposed(dz), dStatePrev: [null, tf.mul(dcTotal, f) as tf.Tensor2D] };
      },
      weightGradients(saved, dProjected) {
        return [stackedProduct(saved.map((s) => s.hFed), dProjected)];
      },
    };
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), forgetBias: this.forgetBias };
  }
}
tf.serialization.registerClass(LSTMCell);
