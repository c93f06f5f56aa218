import * as tf from '@tensorflow/tfjs';
import { CellState, RecurrentCell, StepFunction, sliceGates } from './cell';

/**
 * Gated recurrent unit (Cho et al. 2014).
 *
 *   r = σ(x·W_xr + h·W_hr + b_r)            reset gate
 *   z = σ(x·W_xz + h·W_hz + b_z)            update gate
 *   g = tanh(x·W_xg + (r⊙h)·W_hg + b_g)     candidate
 *   h' = z⊙h + (1−z)⊙g
 * Convention: z is the fraction of the OLD state kept (Cho et al., Keras/tfjs); some texts (e.g. Chung et
 * al. 2014, d2l) write h' = (1−z)⊙h + z⊙g, i.e. their z is our 1−z.
 *
 * Gate order inside the fused weight: r, z, g. r and z come from one fused affine; the candidate's
 * recurrent half must wait for r, so the g block of W_h multiplies r⊙h instead of h.
 * getWeights(): [kernel W_x, recurrent_kernel W_h, bias b]. State: [h].
 * (tfjs `tf.layers.gru` orders its blocks z, r, g.)
 */
export class GRUCell extends RecurrentCell {
  static className = 'RnnlmGRUCell';
  readonly gates = 3;
  readonly stateCount = 1;

  makeStep(): StepFunction {
    const u = this.units;
    const whGates = this.recurrentKernel.read().slice([0, 0], [u, 2 * u]) as tf.Tensor2D;
    const whCandidate = this.recurrentKernel.read().slice([0, 2 * u], [u, u]) as tf.Tensor2D;
    return (projectedInput: tf.Tensor2D, [h]: CellState, hFed: tf.Tensor2D): CellState => {
      const [xGates, xCandidate] = tf.split(projectedInput, [2 * u, u], 1) as tf.Tensor2D[];
      const gatePre = tf.add(xGates, tf.matMul(hFed, whGates)); // [z_r, z_z] = x·W_x + b + h·W_h (r, z blocks)
      const [zr, zz] = sliceGates(gatePre as tf.Tensor2D, 2);
      const r = tf.sigmoid(zr); // r = σ(z_r)
      const z = tf.sigmoid(zz); // z = σ(z_z)
      const g = tf.tanh(tf.add(xCandidate, tf.matMul(tf.mul(r, hFed) as tf.Tensor2D, whCandidate))); // g = tanh(x·W_xg + (r⊙h)·W_hg + b_g)
      const hNext = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), g)); // h' = z⊙h + (1−z)⊙g
      return [hNext as tf.Tensor2D];
    };
  }
}
tf.serialization.registerClass(GRUCell);
