import * as tf from '@tensorflow/tfjs';
import { activationPenalty, temporalActivationPenalty } from '../../src/regularizers/activation';
import { relativeError } from '../helpers';
import { smallModel } from '../model/fixtures';

// h[b][t][u] for 2 sequences, 3 steps, 2 units.
const H = [
  [[1, -2], [3, 0], [0, 1]],
  [[0.5, 0.5], [-1, 2], [2, 2]],
];

test('AR is α·mean(h²) over every element', () => {
  const squares = H.flat(2).reduce((sum, v) => sum + v * v, 0); // 1+4+9+0+0+1 + 0.25+0.25+1+4+4+4 = 28.5
  expect(squares).toBe(28.5);
  expect(activationPenalty(tf.tensor3d(H), 2).dataSync()[0]).toBeCloseTo((2 * 28.5) / 12, 6);
});

test('TAR is β·mean((h_t − h_{t−1})²) over the consecutive pairs of each sequence', () => {
  // Differences: (2, 2), (−3, 1); (−1.5, 1.5), (3, 0) → squares 4+4+9+1 + 2.25+2.25+9+0 = 31.5 over 8 elements.
  expect(temporalActivationPenalty(tf.tensor3d(H), 0.5).dataSync()[0]).toBeCloseTo((0.5 * 31.5) / 8, 6);
  expect(temporalActivationPenalty(tf.tensor3d([[[1, 2]]]), 1).dataSync()[0]).toBe(0); // one step: no pair
});

test('their gradients are the formulas\' (written out rather than through tf.mean, whose gradient fills ones in JavaScript)', () => {
  tf.tidy(() => {
    const h = tf.tensor3d(H);
    const meanSquare = (x: tf.Tensor): tf.Tensor => tf.mean(tf.square(x));
    const pairs = (x: tf.Tensor): tf.Tensor => tf.sub(tf.slice(x, [0, 1, 0], [2, 2, 2]), tf.slice(x, [0, 0, 0], [2, 2, 2]));
    const cases: [(x: tf.Tensor) => tf.Tensor, (x: tf.Tensor) => tf.Tensor][] = [
      [(x) => activationPenalty(x, 2), (x) => tf.mul(2, meanSquare(x))],
      [(x) => temporalActivationPenalty(x as tf.Tensor3D, 0.5), (x) => tf.mul(0.5, meanSquare(pairs(x)))],
    ];
    for (const [penalty, formula] of cases) {
      const [ours, reference] = [tf.grad(penalty)(h), tf.grad(formula)(h)];
      expect(relativeError(ours.dataSync(), Array.from(reference.dataSync()))).toBeLessThan(1e-6);
    }
    // AR's by hand: 2α·h/n.
    expect(relativeError(tf.grad((x: tf.Tensor) => activationPenalty(x, 2))(h).dataSync(), H.flat(2).map((v) => (2 * 2 * v) / 12))).toBeLessThan(1e-6);
  });
});

test('the model adds AR on the dropped output and TAR on the undropped one to the training loss, not to the nll', () => {
  const model = smallModel({ dropout: { input: 0, hidden: 0, output: 0.5, recurrent: 0, embedding: 0, weight: 0, kind: 'variational' } });
  tf.tidy(() => {
    const inputs = tf.tensor2d([[1, 2, 3, 4], [5, 6, 7, 8]], [2, 4], 'int32');
    const targets = tf.tensor1d([2, 3, 4, 5, 6, 7, 8, 9], 'int32');
    const plain = model.loss(inputs, targets, null, 11, 8);
    const penalised = model.loss(inputs, targets, null, 11, 8, { alpha: 2, beta: 3 });
    const { hidden, undropped } = model.features(inputs, null, 11);
    const dropped = hidden.arraySync().flat();
    const raw = undropped.arraySync() as number[][][];
    const ar = (2 * dropped.reduce((s, v) => s + v * v, 0)) / dropped.length;
    let tar = 0;
    for (const sequence of raw) for (let t = 1; t < sequence.length; t++) sequence[t].forEach((v, u) => { tar += (v - sequence[t - 1][u]) ** 2; });
    tar = (3 * tar) / (2 * 3 * 16);
    expect(dropped.some((v) => v === 0)).toBe(true); // AR sees the dropout mask
    expect(penalised.nll.dataSync()[0]).toBeCloseTo(plain.loss.dataSync()[0], 6);
    expect(penalised.loss.dataSync()[0] - plain.loss.dataSync()[0]).toBeCloseTo(ar + tar, 5);
  });
  model.dispose();
});
