import * as tf from '@tensorflow/tfjs';
import { KernelSettings, kernelChoice, setKernelChoice } from '../../src/layers/kernel-choice';
import { OutputLayout, outputCrossEntropy, tokenNll } from '../../src/model/loss';
import { randomTensor, relativeError, rng } from '../helpers';

// The tfjs composition: with the oneDNN kernels in force the output layer runs on the addon (native-output.test.ts).
let saved: KernelSettings;
beforeAll(() => {
  saved = kernelChoice();
  setKernelChoice('explicit', saved.precision, saved.onednn);
});
afterAll(() => setKernelChoice(saved.kernel, saved.precision, saved.onednn));

/**
 * The fused output layer + softmax cross-entropy (hand-written backward) against the same loss composed of
 * plain tfjs ops and differentiated by autodiff: value and every gradient, both weight layouts, with and
 * without per-position weights, with repeated targets (the scatter must add, not overwrite).
 */
describe.each<[OutputLayout, boolean]>([
  ['vocab-rows', false],
  ['vocab-columns', false],
  ['vocab-rows', true],
  ['vocab-columns', true],
])('outputCrossEntropy with %s weights (position weights: %s)', (layout, weighted) => {
  test('equals autodiff of matMul → logsumexp − target logit', () => {
    const next = rng(layout === 'vocab-rows' ? 11 : 12);
    const [rows, hiddenSize, vocab] = [12, 5, 9];
    const hidden = randomTensor(next, [rows, hiddenSize], 2) as tf.Tensor2D;
    const weight = randomTensor(next, layout === 'vocab-rows' ? [vocab, hiddenSize] : [hiddenSize, vocab], 1) as tf.Tensor2D;
    const bias = randomTensor(next, [vocab], 0.5) as tf.Tensor1D;
    const targets = tf.tensor1d([0, 3, 3, 8, 1, 3, 0, 7, 2, 2, 5, 3], 'int32');
    const weights = weighted ? tf.tensor1d([1, 0, 1, 1, 0.5, 1, 1, 0, 1, 1, 1, 1]) : null;
    const count = 10;

    const fused = (h: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Scalar =>
      outputCrossEntropy(h as tf.Tensor2D, { weight: w as tf.Tensor2D, layout, bias: b as tf.Tensor1D }, targets, weights, count);
    const composed = (h: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Scalar => {
      const logits = tf.add(tf.matMul(h, w, false, layout === 'vocab-rows'), b) as tf.Tensor2D;
      const nll = tf.sub(tf.logSumExp(logits, 1), tf.sum(tf.mul(logits, tf.oneHot(targets, vocab)), 1)); // plain ops, autodiff
      return tf.div(tf.sum(weights ? tf.mul(nll, weights) : nll), count);
    };
    const got = tf.valueAndGrads(fused)([hidden, weight, bias]);
    const want = tf.valueAndGrads(composed)([hidden, weight, bias]);
    expect(relativeError(got.value.dataSync(), want.value.dataSync())).toBeLessThan(1e-5);
    got.grads.forEach((g, k) => {
      expect(g.shape).toEqual(want.grads[k].shape);
      expect(relativeError(g.dataSync(), want.grads[k].dataSync())).toBeLessThan(1e-4);
    });
    tf.dispose([hidden, weight, bias, targets, got.value, want.value, ...got.grads, ...want.grads]);
    if (weights) weights.dispose();
  });
});

test('outputCrossEntropy stays finite for logits far beyond exp’s float32 range', () => {
  const hidden = tf.tensor2d([[100, -100], [-100, 100]]);
  const weight = tf.tensor2d([[5, 0], [0, 5], [1, 1]]);
  const bias = tf.zeros([3]) as tf.Tensor1D;
  const loss = outputCrossEntropy(hidden, { weight, layout: 'vocab-rows', bias }, tf.tensor1d([1, 1], 'int32'), null, 2);
  // Row 0: logits (500, −500, 0), target 1 → nll = 1000; row 1: target is the max → nll ≈ 0.
  expect(loss.dataSync()[0]).toBeCloseTo(500, 3);
  tf.dispose([hidden, weight, bias, loss]);
});

test('outputCrossEntropy keeps what its gradient needs even when the caller’s tidy frees targets and weights', () => {
  const next = rng(13);
  const hidden = randomTensor(next, [4, 3]) as tf.Tensor2D;
  const weight = randomTensor(next, [5, 3]) as tf.Tensor2D;
  const bias = tf.zeros([5]) as tf.Tensor1D;
  const lossOf = (h: tf.Tensor): tf.Scalar => tf.tidy(() => {
    const targets = tf.tensor1d([1, 4, 0, 4], 'int32');
    const weights = tf.tensor1d([1, 1, 0, 1]);
    return outputCrossEntropy(h as tf.Tensor2D, { weight, layout: 'vocab-rows', bias }, targets, weights, 3);
  });
  const grad = tf.grad(lossOf)(hidden);
  expect(Array.from(grad.dataSync()).every(Number.isFinite)).toBe(true);
  expect(Array.from(grad.slice([2, 0], [1, 3]).dataSync()).map(Math.abs)).toEqual([0, 0, 0]); // weight 0: no gradient
  tf.dispose([hidden, weight, bias, grad]);
});

test('tokenNll equals logsumexp − target logit (the native backend computes it with TensorFlow’s fused op)', () => {
  const next = rng(14);
  const logits = randomTensor(next, [6, 9], 4) as tf.Tensor2D;
  const targets = tf.tensor1d([0, 8, 3, 3, 5, 1], 'int32');
  const want = tf.sub(tf.logSumExp(logits, 1), tf.sum(tf.mul(logits, tf.oneHot(targets, 9)), 1));
  const got = tokenNll(logits, targets);
  expect(relativeError(got.dataSync(), want.dataSync())).toBeLessThan(1e-6);
  tf.dispose([logits, targets, want, got]);
});
