import * as tf from '@tensorflow/tfjs';
import { CellKernel, RecurrentCell, StepGradients, sigmoidSlope, sliceGates, tanhSlope } from './cell';
import { MatrixFactory, tfjsMatrix } from './matrix';

/** What a GRU step keeps for its backward pass. */
type GRUSaved = {
  r: tf.Tensor2D; z: tf.Tensor2D; g: tf.Tensor2D;
  /** The carried h (the direct path h' = z⊙h + …) and the h that entered the matmuls. */
  h: tf.Tensor2D;
  hFed: tf.Tensor2D;
  /** r⊙hFed, the input of the candidate's recurrent matmul. */
  resetH: tf.Tensor2D;
};

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

  makeKernel([wh]: tf.Tensor[], matrix: MatrixFactory = tfjsMatrix): CellKernel<GRUSaved> {
    const u = this.units;
    const whGates = matrix(wh.slice([0, 0], [u, 2 * u]) as tf.Tensor2D);
    const whCandidate = matrix(wh.slice([0, 2 * u], [u, u]) as tf.Tensor2D);
    return {
      forward(projectedInput, [h], hFed) {
        const [xGates, xCandidate] = tf.split(projectedInput, [2 * u, u], 1) as tf.Tensor2D[];
        const gatePre = tf.add(xGates, whGates.times(hFed)); // [z_r, z_z] = x·W_x + b + h·W_h (r, z blocks)
        const [zr, zz] = sliceGates(gatePre as tf.Tensor2D, 2);
        const r = tf.sigmoid(zr); // r = σ(z_r)
        const z = tf.sigmoid(zz); // z = σ(z_z)
        const resetH = tf.mul(r, hFed) as tf.Tensor2D;
        const g = tf.tanh(tf.add(xCandidate, whCandidate.times(resetH))) as tf.Tensor2D; // g = tanh(x·W_xg + (r⊙h)·W_hg + b_g)
        const hNext = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), g)) as tf.Tensor2D; // h' = z⊙h + (1−z)⊙g
        return { state: [hNext], saved: { r, z, g, h, hFed, resetH } };
      },
      backward({ r, z, g, h, hFed }, [dh]): StepGradients {
        const dzPre = tf.mul(tf.mul(dh, tf.sub(h, g)), sigmoidSlope(z)); // ∂h'/∂z = h − g
        const dgPre = tf.mul(tf.mul(dh, tf.sub(1, z)), tanhSlope(g)) as tf.Tensor2D; // ∂h'/∂g = 1 − z
        const dResetH = whCandidate.timesTransposed(dgPre);
        const drPre = tf.mul(tf.mul(dResetH, hFed), sigmoidSlope(r)); // ∂(r⊙h)/∂r = h
        const dGates = tf.concat([drPre, dzPre], 1) as tf.Tensor2D;
        return {
          dProjected: tf.concat([dGates, dgPre], 1) as tf.Tensor2D,
          dHFed: tf.add(tf.mul(dResetH, r), whGates.timesTransposed(dGates)) as tf.Tensor2D,
          dStatePrev: [tf.mul(dh, z) as tf.Tensor2D], // ∂h'/∂h = z along the direct path
        };
      },
      weightGradients(saved, dProjected) {
        const [dGates, dCandidate] = tf.split(tf.concat(dProjected, 0), [2 * u, u], 1) as tf.Tensor2D[];
        const hFeds = tf.concat(saved.map((s) => s.hFed), 0);
        const resetHs = tf.concat(saved.map((s) => s.resetH), 0);
        return [tf.concat([tf.matMul(hFeds, dGates, true, false), tf.matMul(resetHs, dCandidate, true, false)], 1)];
      },
    };
  }
}
tf.serialization.registerClass(GRUCell);
