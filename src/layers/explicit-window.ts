import * as tf from '@tensorflow/tfjs';
import { CellState, RecurrentCell, SavedTensors } from '../cells/cell';
import { windowMatrices } from './window-matrices';
import { SavedRecord, WindowForward, WindowGradients, WindowInputs, WindowKernel } from './window';

/**
 * The time loop on the cell's own equations (`CellKernel`), on any backend. The input half of the fused
 * affine (x·W_x + b) is one matmul over all T·B rows; the loop does only the recurrent half and the gate
 * equations, step by step. The backward pass is back-propagation through time written out: each step's
 * hand-written backward, then the weight gradients as a few large matmuls over all steps — instead of
 * autodiff bookkeeping for ~15 small ops per step.
 */
export function explicitWindow(cell: RecurrentCell): WindowKernel {
  const { units } = cell;
  return {
    name: 'explicit',
    forward({ x, initialState, wx, b, recurrent, masks }: WindowInputs): WindowForward {
      const [time, batch, features] = x.shape;
      const kernel = cell.makeKernel(recurrent, windowMatrices());
      const flatInput = tf.reshape(x, [time * batch, features]) as tf.Tensor2D;
      const projected = tf.add(tf.matMul(flatInput, wx), b); // x·W_x + b for every step: [T·B, G·u]
      let state: CellState = initialState;
      const outputs: tf.Tensor2D[] = [];
      const steps: SavedTensors[] = [];
      tf.split(projected, time, 0).forEach((projectedStep, t) => {
        const hFed = masks ? (tf.mul(state[0], masks[t]) as tf.Tensor2D) : state[0];
        const record = kernel.forward(projectedStep as tf.Tensor2D, state, hFed);
        steps.push(record.saved);
        state = record.state;
        outputs.push(state[0]);
      });
      return {
        outputs: tf.reshape(tf.concat(outputs, 0), [time, batch, units]) as tf.Tensor3D,
        state,
        saved: { flatInput, wx, recurrent, masks, steps },
      };
    },
    infer({ x, initialState, wx, b, recurrent, masks }: WindowInputs): { outputs: tf.Tensor3D; state: CellState } {
      const [time, batch, features] = x.shape;
      const kernel = cell.makeKernel(recurrent, windowMatrices());
      const projected = tf.add(tf.matMul(tf.reshape(x, [time * batch, features]) as tf.Tensor2D, wx), b);
      let state: CellState = initialState;
      const outputs: tf.Tensor2D[] = [];
      tf.split(projected, time, 0).forEach((projectedStep, t) => {
        const previous = state;
        state = tf.tidy(() => {
          const hFed = masks ? (tf.mul(previous[0], masks[t]) as tf.Tensor2D) : previous[0];
          return kernel.forward(projectedStep as tf.Tensor2D, previous, hFed).state;
        });
        outputs.push(state[0]);
      });
      return { outputs: tf.reshape(tf.concat(outputs, 0), [time, batch, units]) as tf.Tensor3D, state };
    },
    backward(saved: SavedRecord, dOutputs: tf.Tensor3D, dFinal: CellState): WindowGradients {
      const flatInput = saved.flatInput as tf.Tensor2D;
      const wx = saved.wx as tf.Tensor2D;
      const masks = saved.masks as tf.Tensor2D[] | null;
      const steps = saved.steps as SavedTensors[];
      const kernel = cell.makeKernel(saved.recurrent as tf.Tensor[], windowMatrices());
      const [time, batch] = dOutputs.shape;
      const dOut = tf.split(tf.reshape(dOutputs, [-1, units]), time, 0) as tf.Tensor2D[];
      let dState: tf.Tensor2D[] = dFinal;
      const dProjected: tf.Tensor2D[] = new Array(time);
      for (let t = time - 1; t >= 0; t--) {
        dState = [tf.add(dState[0], dOut[t]) as tf.Tensor2D, ...dState.slice(1)];
        const step = kernel.backward(steps[t], dState);
        dProjected[t] = step.dProjected;
        const dHViaMatmul = masks ? (tf.mul(step.dHFed, masks[t]) as tf.Tensor2D) : step.dHFed;
        const [dHDirect, ...dRest] = step.dStatePrev;
        dState = [dHDirect ? (tf.add(dHDirect, dHViaMatmul) as tf.Tensor2D) : dHViaMatmul, ...(dRest as tf.Tensor2D[])];
      }
      const dFlat = tf.concat(dProjected, 0); // time-major rows, like flatInput
      return {
        dx: tf.reshape(tf.matMul(dFlat, tf.transpose(wx)), [time, batch, flatInput.shape[1]]) as tf.Tensor3D,
        dWx: tf.matMul(flatInput, dFlat, true, false),
        dB: tf.sum(dFlat, 0) as tf.Tensor1D,
        dRecurrent: kernel.weightGradients(steps, dProjected),
        dInitialState: dState,
      };
    },
  };
}
