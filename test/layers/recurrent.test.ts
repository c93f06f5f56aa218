import * as tf from '@tensorflow/tfjs';
import { CELL_KINDS, LSTMCell, Recurrent, createCell } from '../../src';
import { RunResult } from '../../src/layers/recurrent';
import { randomSequences } from '../cells/fixtures';
import { relativeError, rng } from '../helpers';

describe('truncated BPTT', () => {
  test('window 2 starts from window 1\'s final state, but its gradient does not reach window 1', () => {
    const next = rng(41);
    const layer = new Recurrent({ cell: new LSTMCell({ units: 4, init: 'uniform', initScale: 0.5, seed: 1 }) });
    const window1 = randomSequences(next, 2, 3, 5).tensor;
    const window2 = randomSequences(next, 2, 3, 5).tensor;

    // Forward: seeding with window 1's state changes window 2's outputs (the state is carried).
    const carried = layer.run(window1).state;
    const seeded = layer.run(window2, { initialState: carried }).outputs;
    const fresh = layer.run(window2).outputs;
    expect(tf.max(tf.abs(tf.sub(seeded, fresh))).dataSync()[0]).toBeGreaterThan(1e-3);

    // Backward: d(loss of window 2)/d(window 1 input) is exactly zero through the carried state,
    // while the same loss does depend on window 2's own input.
    const [gradWindow1, gradWindow2] = tf.grads((a: tf.Tensor, b: tf.Tensor) => {
      const state = layer.run(a as tf.Tensor3D).state;
      return tf.sum(layer.run(b as tf.Tensor3D, { initialState: state }).outputs);
    })([window1, window2]);
    expect(Array.from(gradWindow1.dataSync()).every((g) => g === 0)).toBe(true);
    expect(tf.max(tf.abs(gradWindow2)).dataSync()[0]).toBeGreaterThan(1e-3);
  });

  test('a stateful layer carries its state between calls, and resetStates() starts over from zeros', () => {
    const next = rng(42);
    const cell = new LSTMCell({ units: 4, init: 'uniform', initScale: 0.5, seed: 2 });
    const stateful = new Recurrent({ cell, stateful: true });
    const window1 = randomSequences(next, 2, 3, 5).tensor;
    const window2 = randomSequences(next, 2, 3, 5).tensor;

    const whole = stateful.run(tf.concat([window1, window2], 1)).outputs; // one 6-step run
    stateful.call(window1);
    const second = stateful.call(window2) as tf.Tensor; // continues from window 1
    expect(tf.max(tf.abs(tf.sub(second, whole.slice([0, 3, 0], [2, 3, 4])))).dataSync()[0]).toBeLessThan(1e-6);

    stateful.resetStates();
    expect(stateful.carriedState).toBeNull();
    const afterReset = stateful.call(window2) as tf.Tensor;
    const fromZeros = stateful.run(window2).outputs;
    expect(Array.from(afterReset.dataSync())).toEqual(Array.from(fromZeros.dataSync()));
    stateful.dispose();
  });
});

describe.each(CELL_KINDS)('%s memory', (kind) => {
  test('tf.memory().numTensors is flat over repeated forward+backward', () => {
    const layer = new Recurrent({ cell: createCell(kind, { units: 6 }), stateful: true });
    const x = randomSequences(rng(7), 3, 5, 4).tensor;
    const variables = () => layer.trainableWeights.map((w) => w.read() as tf.Variable);
    const step = (): void => {
      tf.tidy(() => {
        layer.build(x.shape);
        tf.variableGrads(() => tf.sum(layer.call(x) as tf.Tensor) as tf.Scalar, variables());
      });
    };
    step(); // builds the weights and the first carried state
    step();
    const before = tf.memory().numTensors;
    for (let k = 0; k < 10; k++) step();
    expect(tf.memory().numTensors).toBe(before);
    layer.dispose();
  });
});

/**
 * The time loop's hand-written backward against tfjs autodiff through the same cell equations stepped one by one
 * (`makeStep`, itself checked against finite differences in test/cells): with recurrent-dropout masks that differ
 * per step (standard) or repeat (variational), and a loss that reads the outputs and every final-state tensor.
 */
describe.each(CELL_KINDS)('%s backward through time', (kind) => {
  test.each(['standard', 'variational'])('equals autodiff of the step-by-step loop with %s recurrent masks', (maskKind) => {
    const [batch, time, features, units] = [3, 4, 5, 6];
    const next = rng(kind.length * 17 + maskKind.length);
    const cell = createCell(kind, { units, init: 'uniform', initScale: 0.6, seed: 3 });
    const layer = new Recurrent({ cell });
    const x = randomSequences(next, batch, time, features).tensor;
    layer.build(x.shape);
    const initial = Array.from({ length: cell.stateCount }, () => randomSequences(next, batch, 1, units).tensor.reshape([batch, units]) as tf.Tensor2D);
    const maskOf = (t: number): tf.Tensor2D => randomSequences(rng(maskKind === 'standard' ? t + 1 : 1), batch, 1, units).tensor
      .reshape([batch, units]).greater(0).cast('float32').mul(2) as tf.Tensor2D;
    const masks = Array.from({ length: time }, (_, t) => maskOf(t));
    const readout = randomSequences(next, batch, time + cell.stateCount, units).tensor;
    const lossOf = (outputs: tf.Tensor3D, state: tf.Tensor2D[]): tf.Scalar =>
      tf.sum(tf.mul(tf.concat([outputs, tf.stack(state, 1)], 1), readout));

    const variables = cell.trainableWeights.map((w) => w.read() as tf.Variable);
    const fused = tf.variableGrads(() => {
      const { outputs, state } = layer.run(x, { initialState: initial, recurrentMask: (t) => masks[t] });
      return lossOf(outputs, state);
    }, variables);
    const stepped = tf.variableGrads(() => {
      const step = cell.makeStep();
      const projected = tf.unstack(cell.projectInput(x.reshape([batch * time, features])).reshape([batch, time, -1]), 1);
      let state: tf.Tensor2D[] = initial;
      const outputs: tf.Tensor2D[] = [];
      projected.forEach((p, t) => {
        state = step(p as tf.Tensor2D, state, tf.mul(state[0], masks[t]) as tf.Tensor2D);
        outputs.push(state[0]);
      });
      return lossOf(tf.stack(outputs, 1) as tf.Tensor3D, state);
    }, variables);
    expect(relativeError(fused.value.dataSync(), stepped.value.dataSync())).toBeLessThan(1e-5);
    for (const v of variables) {
      expect({ weight: v.name, error: relativeError(fused.grads[v.name].dataSync(), stepped.grads[v.name].dataSync()) < 1e-4 })
        .toEqual({ weight: v.name, error: true });
    }
    layer.dispose();
  });
});

describe.each(CELL_KINDS)('inference run of a %s layer', (kind) => {
  test('gives the differentiable run\'s outputs and final state, and frees each step\'s intermediates as it goes', async () => {
    const next = rng(77);
    const layer = new Recurrent({ cell: createCell(kind, { units: 5, init: 'uniform', initScale: 0.5, seed: 3 }) });
    const x = randomSequences(next, 3, 12, 4).tensor;
    const initialState = layer.cell.zeroState(3).map(() => tf.randomUniform([3, 5], -0.5, 0.5, 'float32', 9) as tf.Tensor2D);
    for (const kernel of ['explicit', 'auto'] as const) {
      let trained: RunResult | null = null;
      let inferred: RunResult | null = null;
      const peakTrained = (await tf.profile(() => { trained = layer.run(x, { initialState, kernel }); })).peakBytes;
      const peakInferred = (await tf.profile(() => { inferred = layer.run(x, { initialState, kernel, inference: true }); })).peakBytes;
      const [a, b] = [trained as unknown as RunResult, inferred as unknown as RunResult];
      expect(relativeError(b.outputs.dataSync(), a.outputs.dataSync())).toBeLessThan(1e-6);
      b.state.forEach((s, k) => expect(relativeError(s.dataSync(), a.state[k].dataSync())).toBeLessThan(1e-6));
      // Gated cells keep every step's gates for the backward pass until the window ends; inference does not
      // (the tanh RNN keeps only h, which is its output anyway).
      if (layer.lastKernel?.startsWith('explicit') && layer.cell.gates > 1) expect(peakInferred).toBeLessThan(peakTrained);
    }
    layer.dispose();
  });
});
