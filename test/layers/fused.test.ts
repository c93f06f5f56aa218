import * as tf from '@tensorflow/tfjs';
import { Recurrent, dropoutMask, nativeAvailability } from '../../src';
import { explicitWindow } from '../../src/layers/explicit-window';
import { fusedWindow } from '../../src/layers/fused';
import { hybridLstmWindow } from '../../src/layers/fused/lstm';
import { LSTMCell } from '../../src/cells/lstm';
import { WindowInputs } from '../../src/layers/window';
import { randomCell } from '../cells/fixtures';
import { randomTensor, relativeError } from '../helpers';
import { layerLossAndGradients } from './fixtures';

/**
 * TensorFlow's fused cells compute the same thing as our explicit equations: outputs, final state and every
 * gradient (input, W_x, b, W_h, peepholes, initial state) agree to 1e-5 relative, with and without
 * recurrent-dropout masks (one per window, or one per step).
 */
const backendChoice = process.env.RNNLM_BACKEND ?? 'auto';
const availability = ['auto', 'tensorflow'].includes(backendChoice) ? nativeAvailability() : `RNNLM_BACKEND=${backendChoice}`;
const native = availability === true;
if (!native) console.log(`fused-kernel tests skipped: they need the native tensorflow backend (${availability})`);
const describeNative = native ? describe : describe.skip;

const [BATCH, TIME, INPUT, UNITS] = [3, 6, 5, 7];
const MASKS = ['none', 'variational', 'per step'] as const;

describeNative.each(['lstm', 'peephole', 'gru'] as const)('fused %s window', (kind) => {
  test.each(MASKS)('equals the explicit window, masks: %s', (maskKind) => {
    tf.tidy(() => {
      const { cell, next } = randomCell(kind, INPUT, UNITS, 17);
      const [wx, , b] = cell.trainableWeights.map((w) => w.read());
      const variational = dropoutMask([BATCH, UNITS], 0.3, 5) as tf.Tensor2D;
      const masks = maskKind === 'none' ? null : Array.from({ length: TIME }, (_, t) =>
        maskKind === 'variational' ? variational : (dropoutMask([BATCH, UNITS], 0.3, 100 + t) as tf.Tensor2D));
      const inputs: WindowInputs = {
        x: randomTensor(next, [TIME, BATCH, INPUT]) as tf.Tensor3D,
        initialState: Array.from({ length: cell.stateCount }, () => randomTensor(next, [BATCH, UNITS], 0.8) as tf.Tensor2D),
        wx: wx as tf.Tensor2D, b: b as tf.Tensor1D, recurrent: cell.recurrentWeights(), masks,
      };
      const dOutputs = randomTensor(next, [TIME, BATCH, UNITS]) as tf.Tensor3D;
      const dState = inputs.initialState.map(() => randomTensor(next, [BATCH, UNITS]) as tf.Tensor2D);

      const fused = fusedWindow(cell);
      expect(fused).not.toBeNull();
      // The LSTMs also run our forward with TensorFlow's backward (auto's choice for them in bf16 at 650 units).
      const hybrid = cell instanceof LSTMCell ? [hybridLstmWindow(cell)] : [];
      const results = [explicitWindow(cell), fused!, ...hybrid].map((kernel) => {
        const forward = kernel.forward(inputs);
        const g = kernel.backward(forward.saved, dOutputs, dState);
        return {
          outputs: forward.outputs, ...Object.fromEntries(forward.state.map((s, k) => [`state${k}`, s])),
          dx: g.dx, dWx: g.dWx, dB: g.dB, ...Object.fromEntries(g.dRecurrent.map((d, k) => [`dRecurrent${k}`, d])),
          ...Object.fromEntries(g.dInitialState.map((d, k) => [`dInitialState${k}`, d])),
        } as Record<string, tf.Tensor>;
      });
      const [explicit, ...others] = results;
      expect(others).toHaveLength(kind === 'gru' ? 1 : 2);
      for (const other of others) {
        expect(Object.keys(other).sort()).toEqual(Object.keys(explicit).sort());
        for (const name of Object.keys(explicit)) {
          expect(other[name].shape).toEqual(explicit[name].shape);
          expect({ name, ok: relativeError(other[name].dataSync(), explicit[name].dataSync()) < 1e-5 }).toEqual({ name, ok: true });
        }
      }
    });
  });
});

describeNative('the kernel choice', () => {
  test('a layer runs the kernel asked for, and both give the same outputs and weight gradients through the tape', () => {
    const { cell, next } = randomCell('lstm', INPUT, UNITS, 3);
    const layer = new Recurrent({ cell });
    const x = randomTensor(next, [BATCH, TIME, INPUT]) as tf.Tensor3D;
    const lossAndGrads = (kernel: 'fused' | 'explicit'): ReturnType<typeof layerLossAndGradients> => layerLossAndGradients(layer, x, kernel);
    const fused = lossAndGrads('fused');
    expect(fused.used).toBe('fused LSTM');
    const explicit = lossAndGrads('explicit');
    expect(explicit.used).toBe('explicit');
    expect(Math.abs(fused.loss - explicit.loss) / Math.abs(explicit.loss)).toBeLessThan(1e-5);
    fused.grads.forEach((g, k) => expect(relativeError(g, explicit.grads[k])).toBeLessThan(1e-5));
    layer.dispose();
  });

  test('the tanh RNN has no fused cell and always runs explicit', () => {
    const { cell } = randomCell('rnn', INPUT, UNITS, 4);
    expect(fusedWindow(cell)).toBeNull();
  });

  test('a fused window leaves no tensor behind', () => {
    const { cell, next } = randomCell('gru', INPUT, UNITS, 5);
    const layer = new Recurrent({ cell });
    const x = randomTensor(next, [BATCH, TIME, INPUT]) as tf.Tensor3D;
    const mask = dropoutMask([BATCH, UNITS], 0.3, 9) as tf.Tensor2D;
    const step = (): void => tf.tidy(() => {
      const { grads } = tf.variableGrads(() => tf.sum(layer.run(x, { kernel: 'fused', recurrentMask: () => mask }).outputs) as tf.Scalar,
        cell.trainableWeights.map((w) => w.read() as tf.Variable));
      tf.dispose(grads);
    });
    step();
    const before = tf.memory().numTensors;
    step();
    step();
    expect(tf.memory().numTensors).toBe(before);
    layer.dispose();
  });
});
