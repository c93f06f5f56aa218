import * as tf from '@tensorflow/tfjs';
import { CellState, SavedTensors } from '../../cells/cell';
import { LSTMCell } from '../../cells/lstm';
import { PeepholeLSTMCell } from '../../cells/peephole';
import { explicitWindow } from '../explicit-window';
import { SavedRecord, WindowForward, WindowGradients, WindowInputs, WindowKernel } from '../window';
import { Int64, boolAttr, floatAttr, floatType, runOp } from './native-ops';

/**
 * The LSTM and peephole-LSTM time loop on TensorFlow's fused CPU cells, computing exactly the equations of
 * src/cells/lstm.ts and peephole.ts (tests compare every output and gradient):
 * - without recurrent dropout, the whole window is one BlockLSTMV2 op (its gate columns are ours: i, f, g, o);
 * - with recurrent dropout, a LSTMBlockCell per step, fed h⊙m as h_prev: in that op h_prev enters only the
 *   [x, h_prev]·W matmul, which is where Gal & Ghahramani's mask goes (BlockLSTMV2 cannot take a mask);
 * - backward, a LSTMBlockCellGrad per step for the gate gradients, then the weight gradients as one
 *   [in+u, T·B]·[T·B, 4u] product each (BlockLSTMGradV2 instead adds a [in+u, 4u] product at every step,
 *   memory-bound at 650 units, and its matmuls ignore the bf16 mode).
 * Both ops get forget_bias 0 (our forget bias is part of b) and cell_clip 0 (no clipping; the defaults are 1
 * and 3). LSTMBlockCell orders its gate columns i, ci (= our g), f, o: `toCellOrder` permutes.
 */
export function fusedLstmWindow(units: number, peephole: boolean): WindowKernel {
  const windowAttrs = [floatAttr('cell_clip', 0), boolAttr('use_peephole', peephole), floatType()]; // BlockLSTMV2
  const stepAttrs = [floatAttr('forget_bias', 0), ...windowAttrs]; // LSTMBlockCell
  const gradAttrs = [boolAttr('use_peephole', peephole), floatType()]; // LSTMBlockCellGrad
  const peepholes = (extras: tf.Tensor[]): tf.Tensor1D[] =>
    peephole ? (tf.split(extras[0], 3) as tf.Tensor1D[]) : [0, 1, 2].map(() => tf.zeros([units]) as tf.Tensor1D);

  return {
    name: 'fused LSTM',
    forward({ x, initialState: [h0, c0], wx, b, recurrent: [wh, ...extras], masks }: WindowInputs): WindowForward {
      const [wci, wcf, wco] = peepholes(extras);
      const time = x.shape[0];
      if (!masks) {
        const w = tf.concat([wx, wh], 0); // [x, h]·W with W = [W_x; W_h]
        const [i, cs, f, o, ci, co, h] = runOp(
          'BlockLSTMV2', windowAttrs,
          [new Int64(time), x, c0, h0, w, wci, wcf, wco, b], 7) as tf.Tensor3D[];
        const last = (t: tf.Tensor3D): tf.Tensor2D => tf.reshape(tf.slice(t, [time - 1, 0, 0], [1, -1, -1]), [-1, units]);
        const hFed = time > 1 ? tf.concat([tf.expandDims(h0, 0), tf.slice(h, [0, 0, 0], [time - 1, -1, -1])], 0) : tf.expandDims(h0, 0);
        return {
          outputs: h, state: [last(h), last(cs)],
          saved: { x, wx, wh, peephole: extras[0] ?? null, c0, hFed, gates: { i, cs, f, o, ci, co } },
        };
      }
      const w = toCellOrder(tf.concat([wx, wh], 0));
      const bias = toCellOrder(b);
      let [h, c] = [h0, c0];
      const names = ['i', 'cs', 'f', 'o', 'ci', 'co'] as const;
      const per = { i: [], cs: [], f: [], o: [], ci: [], co: [], hFed: [], h: [] } as Record<(typeof names)[number] | 'hFed' | 'h', tf.Tensor2D[]>;
      tf.unstack(x).forEach((xt, t) => {
        const hFed = tf.mul(h, masks[t]) as tf.Tensor2D;
        const outs = runOp('LSTMBlockCell', stepAttrs, [xt, c, hFed, w, wci, wcf, wco, bias], 7) as tf.Tensor2D[];
        names.forEach((name, k) => per[name].push(outs[k]));
        per.hFed.push(hFed);
        [h, c] = [outs[6], outs[1]];
        per.h.push(h);
      });
      return {
        outputs: tf.stack(per.h) as tf.Tensor3D,
        state: [h, c],
        saved: { x, wx, wh, peephole: extras[0] ?? null, c0, masks, hFed: per.hFed, gates: Object.fromEntries(names.map((name) => [name, per[name]])) },
      };
    },
    backward(saved: SavedRecord, dOutputs: tf.Tensor3D, [dhT, dcT]: CellState): WindowGradients {
      const x = saved.x as tf.Tensor3D;
      const [wx, wh] = [saved.wx, saved.wh] as tf.Tensor2D[];
      const masks = saved.masks as tf.Tensor2D[] | null | undefined;
      const gates = saved.gates as Record<'i' | 'cs' | 'f' | 'o' | 'ci' | 'co', StepSequence>;
      const [wci, wcf, wco] = peepholes(saved.peephole ? [saved.peephole as tf.Tensor] : []);
      const [time, batch, inputSize] = x.shape;
      const xs = tf.unstack(x) as tf.Tensor2D[];
      const hFeds = perStep(saved.hFed as StepSequence);
      const per = Object.fromEntries(Object.entries(gates).map(([k, v]) => [k, perStep(v)])) as Record<keyof typeof gates, tf.Tensor2D[]>;
      const dOut = tf.unstack(dOutputs) as tf.Tensor2D[];
      const w = tf.concat([wx, wh], 0); // LSTMBlockCellGrad only checks the shapes of w and b
      const b = tf.zeros([4 * units]);
      const whCellOrder = toCellOrder(wh) as tf.Tensor2D; // [u, 4u]
      let [dhNext, dcNext] = [dhT, dcT];
      const dGates: tf.Tensor2D[] = new Array(time);
      const dPeep: tf.Tensor[] = [];
      for (let t = time - 1; t >= 0; t--) {
        const cPrev = t === 0 ? (saved.c0 as tf.Tensor2D) : per.cs[t - 1];
        const [dcPrev, dGate, dwci, dwcf, dwco] = runOp('LSTMBlockCellGrad', gradAttrs, [
          xs[t], cPrev, hFeds[t], w, wci, wcf, wco, b, per.i[t], per.cs[t], per.f[t], per.o[t], per.ci[t], per.co[t],
          dcNext, tf.add(dOut[t], dhNext),
        ], 5) as tf.Tensor2D[];
        dGates[t] = dGate; // ∂L/∂(gate pre-activations), columns i, ci, f, o
        if (peephole) dPeep.push(tf.concat([dwci, dwcf, dwco]));
        // h reaches the step only through the matmul. The transpose flag is the faster form natively ([20 × 2600]
        // by [650 × 2600]ᵀ: 525 against 690 µs in bf16, 670 against 708 in float32).
        const dhFed = tf.matMul(dGate, whCellOrder, false, true) as tf.Tensor2D;
        dhNext = masks ? (tf.mul(dhFed, masks[t]) as tf.Tensor2D) : dhFed;
        dcNext = dcPrev;
      }
      // [T·B, 4u], time-major rows, back in our column order: one permutation here instead of one per weight gradient.
      const dz = toCellOrder(tf.concat(dGates, 0)) as tf.Tensor2D;
      const flatX = tf.reshape(x, [time * batch, inputSize]) as tf.Tensor2D;
      const flatHFed = tf.concat(hFeds, 0) as tf.Tensor2D;
      return {
        dx: tf.reshape(tf.matMul(dz, tf.transpose(wx)), [time, batch, inputSize]) as tf.Tensor3D,
        dWx: tf.matMul(flatX, dz, true, false),
        dB: tf.sum(dz, 0) as tf.Tensor1D,
        dRecurrent: [tf.matMul(flatHFed, dz, true, false), ...(peephole ? [tf.addN(dPeep)] : [])],
        dInitialState: [dhNext, dcNext],
      };
    },
  };
}

/**
 * Our explicit forward with the fused backward, for the LSTMs where the forward's per-step h·W_h must take
 * the bf16 mode (BlockLSTMV2 and LSTMBlockCell multiply in float32): the forward is src/cells' equations step
 * by step; the backward is one LSTMBlockCellGrad per step instead of ~25 tfjs ops of hand-written gate
 * gradients, with h·W_h's own gradient and the weight gradients still tfjs products (so in bf16 too).
 */
export function hybridLstmWindow(cell: LSTMCell): WindowKernel {
  const explicit = explicitWindow(cell);
  const fused = fusedLstmWindow(cell.units, cell instanceof PeepholeLSTMCell);
  return {
    name: 'explicit forward, fused LSTM backward',
    forward(inputs: WindowInputs): WindowForward {
      const { outputs, state, saved } = explicit.forward(inputs);
      const steps = saved.steps as SavedTensors[];
      const each = (name: string): tf.Tensor[] => steps.map((step) => step[name]);
      // c_t of each step is the next step's c_{t−1}; the last is the final state.
      const cs = [...steps.slice(1).map((step) => step.cPrev), state[1]];
      return {
        outputs, state,
        saved: {
          x: inputs.x, wx: inputs.wx, wh: inputs.recurrent[0], peephole: inputs.recurrent[1] ?? null, c0: inputs.initialState[1],
          masks: inputs.masks, hFed: each('hFed'),
          gates: { i: each('i'), cs, f: each('f'), o: each('o'), ci: each('g'), co: each('tanhC') },
        },
      };
    },
    infer: explicit.infer,
    backward: fused.backward,
  };
}

/** A sequence of per-step [B, u] tensors, stacked as [T, B, u] (BlockLSTMV2's outputs) or as a list. */
type StepSequence = tf.Tensor3D | tf.Tensor2D[];

function perStep(sequence: StepSequence): tf.Tensor2D[] {
  return Array.isArray(sequence) ? sequence : (tf.unstack(sequence) as tf.Tensor2D[]);
}

/**
 * Column order i, f, g, o (ours) ↔ i, ci, f, o (LSTMBlockCell's) on the last axis: the map is its own inverse.
 * Four column blocks swapped by a split and a concat (a gather of the same columns took 3x as long).
 */
function toCellOrder(t: tf.Tensor): tf.Tensor {
  const [i, f, g, o] = tf.split(t, 4, t.rank - 1);
  return tf.concat([i, g, f, o], t.rank - 1);
}
