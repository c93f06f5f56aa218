import * as tf from '@tensorflow/tfjs';
import { CELL_KINDS, LSTMCell, Recurrent, createCell } from '../../src';
import { randomSequences } from '../cells/fixtures';
import { rng } from '../helpers';

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
