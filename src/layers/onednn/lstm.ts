import * as tf from '@tensorflow/tfjs';
import { CellState } from '../../cells/cell';
import { SavedRecord, WindowForward, WindowGradients, WindowInputs, WindowKernel } from '../window';
import { LstmWindowData, OnednnAddon, OnednnWindowSizes } from './addon';

/**
 * The LSTM time loop of src/cells/lstm.ts as one oneDNN primitive per window (forward) and one for its
 * back-propagation through time: oneDNN packs the weights once per window, in bf16 for the AMX units when
 * asked, instead of once per step as TensorFlow's eager matmul does. Tests hold it to the explicit equations.
 *
 * Data crosses as float32 arrays. Tensors made here from the addon's arrays keep them on the JavaScript side
 * until an op needs them, so what the backward pass reads back (saved inputs, outputs, the workspace) is not
 * copied again. oneDNN's LSTM has no per-step hook on h, so windows with recurrent dropout masks run elsewhere
 * (`chooseWindow`).
 */
export function onednnLstmWindow(addon: OnednnAddon, units: number, bf16: boolean): WindowKernel {
  const gather = ({ x, initialState: [h0, c0], wx, b, recurrent: [wh], masks }: WindowInputs): OnednnWindowSizes & LstmWindowData => {
    if (masks) throw new Error("oneDNN's LSTM cannot take recurrent dropout masks; run this window on another kernel");
    const [time, batch, inputs] = x.shape;
    return {
      time, batch, inputs, units, bf16,
      x: host(x), h0: host(h0), c0: host(c0), wx: host(wx), wh: host(wh), b: host(b),
    };
  };
  const sequence = (data: Float32Array, { time, batch }: OnednnWindowSizes, width: number): tf.Tensor3D =>
    tf.tensor3d(data, [time, batch, width]);
  const state = (data: Float32Array, { batch }: OnednnWindowSizes): tf.Tensor2D => tf.tensor2d(data, [batch, units]);

  return {
    name: bf16 ? 'oneDNN LSTM (bf16)' : 'oneDNN LSTM',
    forward(inputs: WindowInputs): WindowForward {
      const args = gather(inputs);
      const result = addon.lstmForward({ ...args, training: true });
      // The saved copies wrap the same arrays: they stay on the JavaScript side for the backward pass, while
      // the returned tensors move into the backend when the model uses them.
      return {
        outputs: sequence(result.outputs, args, units),
        state: [state(result.h, args), state(result.c, args)],
        saved: {
          x: sequence(args.x, args, args.inputs), h0: state(args.h0, args), c0: state(args.c0, args),
          wx: tf.tensor2d(args.wx, [args.inputs, 4 * units]), wh: tf.tensor2d(args.wh, [units, 4 * units]), b: tf.tensor1d(args.b),
          outputs: sequence(result.outputs, args, units), h: state(result.h, args), c: state(result.c, args),
          workspace: tf.tensor1d(result.workspace as Int32Array, 'int32'),
        },
      };
    },
    infer(inputs: WindowInputs): { outputs: tf.Tensor3D; state: CellState } {
      const args = gather(inputs);
      const result = addon.lstmForward({ ...args, training: false });
      return { outputs: sequence(result.outputs, args, units), state: [state(result.h, args), state(result.c, args)] };
    },
    backward(saved: SavedRecord, dOutputs: tf.Tensor3D, [dh, dc]: CellState): WindowGradients {
      const tensor = (name: string): tf.Tensor => saved[name] as tf.Tensor;
      const [time, batch, inputs] = tensor('x').shape;
      const sizes: OnednnWindowSizes = { time, batch, inputs, units, bf16 };
      const gradients = addon.lstmBackward({
        ...sizes,
        x: host(tensor('x')), h0: host(tensor('h0')), c0: host(tensor('c0')),
        wx: host(tensor('wx')), wh: host(tensor('wh')), b: host(tensor('b')),
        outputs: host(tensor('outputs')), h: host(tensor('h')), c: host(tensor('c')),
        workspace: tensor('workspace').dataSync() as Int32Array,
        dOutputs: host(dOutputs), dh: host(dh), dc: host(dc),
      });
      return {
        dx: sequence(gradients.dx, sizes, inputs),
        dWx: tf.tensor2d(gradients.dWx, [inputs, 4 * units]),
        dB: tf.tensor1d(gradients.dB),
        dRecurrent: [tf.tensor2d(gradients.dWh, [units, 4 * units])],
        dInitialState: [state(gradients.dh0, sizes), state(gradients.dc0, sizes)],
      };
    },
  };
}

/** A float32 tensor's values (no copy for one whose values are still on the JavaScript side). */
function host(t: tf.Tensor): Float32Array {
  return t.dataSync() as Float32Array;
}
