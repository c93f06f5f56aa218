import * as tf from '@tensorflow/tfjs';
import { CellState } from '../../cells/cell';
import { SavedRecord, WindowForward, WindowGradients, WindowInputs, WindowKernel } from '../window';
import { OnednnAddon, OnednnCell, OnednnWindowData, OnednnWindowSizes } from './addon';
import { host, hostWeight } from './host';
import { outputArrays } from './reused-outputs';

const GATES: Record<OnednnCell, number> = { lstm: 4, peephole: 4, gru: 3, rnn: 1 };
const NAMES: Record<OnednnCell, string> = { lstm: 'LSTM', peephole: 'peephole LSTM', gru: 'GRU', rnn: 'tanh RNN' };

/**
 * A cell's time loop (src/cells/) as one oneDNN primitive per window, and one for its back-propagation
 * through time: oneDNN packs the weights once per window, in bf16 for the AMX units when asked, instead of
 * once per step as TensorFlow's eager matmul does. Tests hold it to the explicit equations.
 *
 * Data crosses as float32 arrays. Tensors made here from the addon's arrays keep them on the JavaScript side
 * until an op needs them, so what the backward pass reads back (saved inputs, outputs, the workspace) is not
 * copied again. oneDNN's primitives have no per-step hook on h, so windows with recurrent dropout masks run
 * on another kernel (`chooseWindow`).
 */
export function onednnWindow(addon: OnednnAddon, cell: OnednnCell, units: number, bf16: boolean, batchMajor = true): WindowKernel {
  const lstm = cell === 'lstm' || cell === 'peephole';
  const width = GATES[cell] * units;
  const sizesOf = (x: tf.Tensor3D): OnednnWindowSizes => {
    const [outer, inner, inputs] = x.shape;
    return { cell, time: batchMajor ? inner : outer, batch: batchMajor ? outer : inner, inputs, units, bf16, batchMajor };
  };
  const gather = ({ x, initialState, wx, b, recurrent: [wh, peephole], masks }: WindowInputs): OnednnWindowSizes & OnednnWindowData => {
    if (masks) throw new Error(`oneDNN's ${NAMES[cell]} cannot take recurrent dropout masks; run this window on another kernel`);
    return {
      ...sizesOf(x),
      x: host(x), h0: host(initialState[0]), wx: hostWeight(wx), wh: hostWeight(wh), b: hostWeight(b),
      ...(lstm ? { c0: host(initialState[1]) } : {}),
      ...(cell === 'peephole' ? { peephole: hostWeight(peephole) } : {}),
    };
  };
  const sequence = (data: Float32Array, { time, batch }: OnednnWindowSizes, columns: number): tf.Tensor3D =>
    tf.tensor3d(data, batchMajor ? [batch, time, columns] : [time, batch, columns]);
  const state = (data: Float32Array | undefined, { batch }: OnednnWindowSizes): tf.Tensor2D[] => (data ? [tf.tensor2d(data, [batch, units])] : []);

  return {
    name: `oneDNN ${NAMES[cell]}${bf16 ? ' (bf16)' : ''}`,
    batchMajor,
    forward(inputs: WindowInputs): WindowForward {
      const args = gather(inputs);
      const result = addon.forward({ ...args, training: true });
      // The saved copies wrap the same arrays: they stay on the JavaScript side for the backward pass, while
      // the returned tensors move into the backend when the model uses them.
      return {
        outputs: sequence(result.outputs, args, units),
        state: [...state(result.h, args), ...state(result.c, args)],
        saved: {
          x: sequence(args.x, args, args.inputs), h0: state(args.h0, args)[0], c0: state(args.c0, args)[0] ?? null,
          wx: tf.tensor2d(args.wx, [args.inputs, width]), wh: tf.tensor2d(args.wh, [units, width]), b: tf.tensor1d(args.b),
          peephole: args.peephole ? tf.tensor1d(args.peephole) : null,
          outputs: sequence(result.outputs, args, units), h: state(result.h, args)[0], c: state(result.c, args)[0] ?? null,
          workspace: tf.tensor1d(result.workspace as Int32Array, 'int32'),
        },
      };
    },
    infer(inputs: WindowInputs): { outputs: tf.Tensor3D; state: CellState } {
      const args = gather(inputs);
      const result = addon.forward({ ...args, training: false });
      return { outputs: sequence(result.outputs, args, units), state: [...state(result.h, args), ...state(result.c, args)] };
    },
    backward(saved: SavedRecord, dOutputs: tf.Tensor3D, [dh, dc]: CellState): WindowGradients {
      const optional = (name: string): Float32Array | undefined => (saved[name] ? host(saved[name] as tf.Tensor) : undefined);
      const required = (name: string): Float32Array => host(saved[name] as tf.Tensor);
      const sizes = sizesOf(saved.x as tf.Tensor3D);
      const into = outputArrays({ dx: sizes.time * sizes.batch * sizes.inputs, dWx: sizes.inputs * width, dWh: units * width });
      const g = addon.backward({
        ...sizes,
        x: required('x'), h0: required('h0'), c0: optional('c0'), wx: required('wx'), wh: required('wh'), b: required('b'),
        peephole: optional('peephole'), outputs: required('outputs'), h: required('h'), c: optional('c'),
        workspace: (saved.workspace as tf.Tensor).dataSync() as Int32Array,
        dOutputs: host(dOutputs), dh: host(dh), dc: dc ? host(dc) : undefined, into,
      });
      return {
        dx: sequence(g.dx, sizes, sizes.inputs),
        dWx: tf.tensor2d(g.dWx, [sizes.inputs, width]),
        dB: tf.tensor1d(g.dB),
        dRecurrent: [tf.tensor2d(g.dWh, [units, width]), ...(g.dPeephole ? [tf.tensor1d(g.dPeephole)] : [])],
        dInitialState: [...state(g.dh0, sizes), ...state(g.dc0, sizes)],
      };
    },
  };
}
