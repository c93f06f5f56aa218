import * as tf from '@tensorflow/tfjs';
import { CellState } from '../../cells/cell';
import { SavedRecord, WindowForward, WindowGradients, WindowInputs, WindowKernel } from '../window';
import { floatType, runOp } from './native-ops';

/**
 * The GRU time loop on TensorFlow's GRUBlockCell / GRUBlockCellGrad, one op per step, computing the equations
 * of src/cells/gru.ts. TensorFlow's cell is r, u = σ([x, h]·W_ru + b_ru), c = tanh([x, r⊙h]·W_c + b_c),
 * h' = u⊙h + (1−u)⊙c: our r, z, g with z = u and the same block order, so W_ru and W_c are our columns.
 * With recurrent dropout the op is fed hFed = h⊙m, which is right for both matmuls but not for the direct
 * path h' = z⊙h + …: the output is corrected by z⊙(h − hFed), and backward by the matching terms.
 */
export function fusedGruWindow(units: number): WindowKernel {
  const u = units;
  return {
    name: 'fused GRU',
    forward({ x, initialState: [h0], wx, b, recurrent: [wh], masks }: WindowInputs): WindowForward {
      const inputSize = x.shape[2];
      const wru = tf.concat([tf.slice(wx, [0, 0], [inputSize, 2 * u]), tf.slice(wh, [0, 0], [u, 2 * u])], 0);
      const wc = tf.concat([tf.slice(wx, [0, 2 * u], [inputSize, u]), tf.slice(wh, [0, 2 * u], [u, u])], 0);
      const [bru, bc] = tf.split(b, [2 * u, u]);
      let h = h0;
      const steps = { h: [] as tf.Tensor2D[], hFed: [] as tf.Tensor2D[], r: [] as tf.Tensor2D[], z: [] as tf.Tensor2D[], c: [] as tf.Tensor2D[] };
      const outputs: tf.Tensor2D[] = [];
      tf.unstack(x).forEach((xt, t) => {
        const hFed = masks ? (tf.mul(h, masks[t]) as tf.Tensor2D) : h;
        const [r, z, c, hOp] = runOp('GRUBlockCell', [floatType()], [xt, hFed, wru, wc, bru, bc], 4) as tf.Tensor2D[];
        Object.entries({ h, hFed, r, z, c }).forEach(([name, tensor]) => steps[name as keyof typeof steps].push(tensor));
        h = masks ? (tf.add(hOp, tf.mul(z, tf.sub(h, hFed))) as tf.Tensor2D) : hOp; // h' = z⊙h + (1−z)⊙g with the unmasked h
        outputs.push(h);
      });
      return { outputs: tf.stack(outputs) as tf.Tensor3D, state: [h], saved: { x, wru, wc, bru, bc, masks, steps } };
    },
    backward(saved: SavedRecord, dOutputs: tf.Tensor3D, [dhT]: CellState): WindowGradients {
      const x = saved.x as tf.Tensor3D;
      const [wru, wc] = [saved.wru, saved.wc] as tf.Tensor2D[];
      const [bru, bc] = [saved.bru, saved.bc] as tf.Tensor1D[];
      const masks = saved.masks as tf.Tensor2D[] | null;
      const steps = saved.steps as Record<'h' | 'hFed' | 'r' | 'z' | 'c', tf.Tensor2D[]>;
      const [time, batch, inputSize] = x.shape;
      const xs = tf.unstack(x) as tf.Tensor2D[];
      const dOut = tf.unstack(dOutputs) as tf.Tensor2D[];
      const whzT = masks ? tf.transpose(tf.slice(wru, [inputSize, u], [u, u])) : null; // for the mask correction
      let dhNext = dhT;
      const dxs: tf.Tensor2D[] = new Array(time);
      const dRu: tf.Tensor2D[] = new Array(time);
      const dC: tf.Tensor2D[] = new Array(time);
      const dzExtra: tf.Tensor2D[] = new Array(time);
      for (let t = time - 1; t >= 0; t--) {
        const [h, hFed, r, z, c] = (['h', 'hFed', 'r', 'z', 'c'] as const).map((name) => steps[name][t]);
        const dh = tf.add(dOut[t], dhNext) as tf.Tensor2D;
        const [dx, dhPrevOp, dcBar, druBar] = runOp('GRUBlockCellGrad', [floatType()], [xs[t], hFed, wru, wc, bru, bc, r, z, c, dh], 4) as tf.Tensor2D[];
        [dxs[t], dRu[t], dC[t]] = [dx, druBar, dcBar];
        if (!masks) {
          dhNext = dhPrevOp; // the matmuls, r⊙h and the direct path z⊙h together
          continue;
        }
        // The correction z⊙(h − hFed): ∂z_pre gains dh⊙(h − hFed)⊙z(1−z), and the direct path dh⊙z is h's, not hFed's.
        const dz = tf.mul(tf.mul(dh, tf.sub(h, hFed)), tf.mul(z, tf.sub(1, z))) as tf.Tensor2D;
        dzExtra[t] = dz;
        const direct = tf.mul(dh, z);
        const dhFed = tf.add(tf.sub(dhPrevOp, direct), tf.matMul(dz, whzT as tf.Tensor2D));
        dhNext = tf.add(tf.mul(dhFed, masks[t]), direct) as tf.Tensor2D;
      }
      let dRuAll = tf.concat(dRu, 0); // [T·B, 2u]
      const dCAll = tf.concat(dC, 0); // [T·B, u]
      let dx = tf.stack(dxs) as tf.Tensor3D;
      if (masks) {
        const dzAll = tf.concat(dzExtra, 0);
        dRuAll = tf.add(dRuAll, tf.concat([tf.zerosLike(dzAll), dzAll], 1));
        dx = tf.add(dx, tf.reshape(tf.matMul(dzAll, tf.slice(wru, [0, u], [inputSize, u]), false, true), [time, batch, inputSize])) as tf.Tensor3D;
      }
      const flatX = tf.reshape(x, [time * batch, inputSize]) as tf.Tensor2D;
      const hFeds = tf.concat(steps.hFed, 0) as tf.Tensor2D;
      const resetH = tf.mul(tf.concat(steps.r, 0), hFeds) as tf.Tensor2D;
      return {
        dx,
        dWx: tf.concat([tf.matMul(flatX, dRuAll, true, false), tf.matMul(flatX, dCAll, true, false)], 1) as tf.Tensor2D,
        dB: tf.concat([tf.sum(dRuAll, 0), tf.sum(dCAll, 0)]) as tf.Tensor1D,
        dRecurrent: [tf.concat([tf.matMul(hFeds, dRuAll, true, false), tf.matMul(resetH, dCAll, true, false)], 1)],
        dInitialState: [dhNext],
      };
    },
  };
}
