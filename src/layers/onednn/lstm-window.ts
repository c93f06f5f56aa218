import * as tf from '@tensorflow/tfjs';
import { CellState } from '../../cells/cell';
import { SavedRecord, WindowForward, WindowGradients, WindowInputs, WindowKernel } from '../window';
import { OnednnAddon, OnednnLstmData } from './addon';
import { ArrayPool } from './array-pool';
import { host, hostWeight } from './host';
import { outputArrays } from './reused-outputs';
import { onednnWindow } from './window';

/**
 * Whether oneDNN runs its AVX-512 kernels here ("avx512_core…"): with them its LSTM primitive beats this loop
 * for small layers and in inference; with its AVX2 kernels it did neither (README, Backends).
 */
export function hasAvx512Kernels(addon: OnednnAddon): boolean {
  return addon.cpuIsa().startsWith('avx512');
}

/**
 * The LSTM's window as oneDNN matmuls around our own per-step code (native/onednn/lstm.cc): the input and weight
 * gradients are three products over the whole window, and recurrent dropout masks enter where h meets W_h, which
 * oneDNN's LSTM primitive (window.ts) cannot take. Sequences are batch-major, the model's layout, so the layer
 * transposes nothing around it. Tests hold it to the explicit equations.
 */
export function onednnLstmWindow(addon: OnednnAddon, units: number, bf16: boolean): WindowKernel {
  // Without masks and with AVX-512 kernels, inference runs on oneDNN's LSTM primitive: faster without a backward
  // pass to prepare for (17 against 21 ms a window at 650 units in bf16, 3.3 against 5–6 at 200). With AVX2
  // kernels this loop was the faster at batch 1–10 (8.6 against 21.2 ms at 650 units, batch 1: how test is
  // scored), 4–13% the slower at batch 20 (README, Backends).
  const primitive = hasAvx512Kernels(addon) ? onednnWindow(addon, 'lstm', units, bf16, true) : null;
  /** Every step's mask as one [T, B, u] array. */
  const stacked = (masks: tf.Tensor2D[]): Float32Array => {
    const all = tf.stack(masks);
    const values = host(all);
    all.dispose();
    return values;
  };
  const gather = ({ x, initialState: [h0, c0], wx, b, recurrent: [wh], masks }: WindowInputs): OnednnLstmData & { b: Float32Array } => {
    const [batch, time, inputs] = x.shape;
    return {
      time, batch, inputs, units, bf16, x: host(x), h0: host(h0), c0: host(c0), wx: hostWeight(wx), wh: hostWeight(wh), b: hostWeight(b),
      ...(masks ? { masks: stacked(masks) } : {}),
    };
  };
  /** Workspaces of finished backward passes: σ(i), σ(f), tanh(g), σ(o), c', tanh(c') of every step. */
  const workspaces = new ArrayPool((length) => new Float32Array(length));
  const run = (inputs: WindowInputs): {
    args: ReturnType<typeof gather>; result: ReturnType<OnednnAddon['lstmForward']>; workspace: Float32Array; outputs: tf.Tensor3D; state: CellState;
  } => {
    const args = gather(inputs);
    const { time, batch } = args;
    const workspace = workspaces.take(time * batch * 6 * units);
    const result = addon.lstmForward({ ...args, workspace });
    return {
      args, result, workspace, outputs: tf.tensor3d(result.outputs, [batch, time, units]),
      state: [tf.tensor2d(result.h, [batch, units]), tf.tensor2d(result.c, [batch, units])],
    };
  };

  return {
    name: `oneDNN matmul LSTM${bf16 ? ' (bf16)' : ''}`,
    batchMajor: true,
    forward(inputs: WindowInputs): WindowForward {
      const { args, result, workspace, outputs, state } = run(inputs);
      const { time, batch } = args;
      // Tensors made from the addon's arrays stay on the JavaScript side until an op reads them, so the backward
      // pass gets these arrays back without a copy.
      const vector = (data: Float32Array): tf.Tensor1D => tf.tensor1d(data);
      return {
        outputs,
        state,
        saved: {
          x: tf.tensor3d(args.x, [batch, time, args.inputs]), h0: tf.tensor2d(args.h0, [batch, units]), c0: tf.tensor2d(args.c0, [batch, units]),
          wx: vector(args.wx), wh: vector(args.wh), masks: args.masks ? vector(args.masks) : null,
          outputs: tf.tensor3d(result.outputs, [batch, time, units]), workspace: vector(workspace),
        },
      };
    },
    infer(inputs: WindowInputs): { outputs: tf.Tensor3D; state: CellState } {
      if (!inputs.masks && primitive?.infer) return primitive.infer(inputs);
      const { workspace, outputs, state } = run(inputs);
      workspaces.give(workspace);
      return { outputs, state };
    },
    backward(saved: SavedRecord, dOutputs: tf.Tensor3D, [dh, dc]: CellState): WindowGradients {
      const array = (name: string): Float32Array => host(saved[name] as tf.Tensor);
      const [batch, time, inputs] = (saved.x as tf.Tensor3D).shape;
      const workspace = array('workspace');
      const into = outputArrays({ dx: batch * time * inputs, dWx: inputs * 4 * units, dWh: units * 4 * units });
      const g = addon.lstmBackward({
        time, batch, inputs, units, bf16,
        x: array('x'), h0: array('h0'), c0: array('c0'), wx: array('wx'), wh: array('wh'), ...(saved.masks ? { masks: array('masks') } : {}),
        outputs: array('outputs'), workspace, dOutputs: host(dOutputs), dh: host(dh), dc: host(dc), into,
      });
      workspaces.give(workspace);
      return {
        dx: tf.tensor3d(g.dx, [batch, time, inputs]),
        dWx: tf.tensor2d(g.dWx, [inputs, 4 * units]),
        dB: tf.tensor1d(g.dB),
        dRecurrent: [tf.tensor2d(g.dWh, [units, 4 * units])],
        dInitialState: [tf.tensor2d(g.dh0, [batch, units]), tf.tensor2d(g.dc0, [batch, units])],
      };
    },
  };
}
