import * as tf from '@tensorflow/tfjs';
import { EPSILON, dynamicPerplexity, gradientRms } from '../../src/eval/dynamic';
import { evaluatePerplexity } from '../../src/eval/perplexity';
import { tokenNll } from '../../src/model/loss';
import { smallModel, patternIds } from '../model/fixtures';
import { values } from '../train/resume';

const train = patternIds(400, [1, 4, 2, 8, 5, 7, 3]);
const text = patternIds(21, [1, 4, 2, 8, 5, 7, 3]);
const options = { lr: 0.01, lambda: 0.05, statsWindows: 5 };

test('a window is scored before its own update: one window scores as the plain model; the weights are restored', () => {
  const model = smallModel({ vocabSize: 10 });
  const weights = values(model.variables());
  const oneWindow = dynamicPerplexity(model, text, train, 1, 50, options);
  expect(oneWindow.nll).toBeCloseTo(evaluatePerplexity(model, text, 1, 50).nll, 4);
  expect(values(model.variables())).toEqual(weights);
  model.dispose();
});

test('the second window is scored after the step w − lr·g/(RMS + ε) + λ·d⊙(w₀ − w) on the first, by hand', () => {
  const model = smallModel({ vocabSize: 10 });
  const before = tf.memory().numTensors;
  const result = dynamicPerplexity(model, text, train, 1, 10, options); // windows of 10, 10
  expect(tf.memory().numTensors).toBe(before);

  // The same by hand: score window 1, take the step on its gradient, score window 2 from window 1's state.
  const variables = model.variables();
  const trained = variables.map((v) => tf.clone(v));
  const rms = gradientRms(model, train, 10, options.statsWindows);
  const first = text.slice(0, 11);
  const firstNll = evaluatePerplexity(model, first, 1, 10).nll;
  const inputs = tf.tensor2d(first.slice(0, -1), [1, 10], 'int32');
  const carried = model.forward(inputs, null, null).state; // window 2 starts from the state of the trained weights
  const { grads } = tf.variableGrads(() => tf.div(tf.sum(tf.mul(tf.oneHot(tf.tensor1d(first.slice(1), 'int32'), 10),
    tf.neg(tf.logSoftmax(model.forward(inputs, null, null).logits)))), 10) as tf.Scalar, variables);
  const total = rms.reduce((s, r) => s + tf.mean(r).dataSync()[0], 0) / rms.length; // the mean over tensors
  variables.forEach((v, j) => {
    const decay = tf.minimum(tf.div(rms[j], total), 1 / options.lambda);
    v.assign(tf.add(tf.sub(v, tf.div(tf.mul(grads[v.name], options.lr), tf.add(rms[j], EPSILON))),
      tf.mul(tf.mul(decay, options.lambda), tf.sub(trained[j], v))));
  });
  const second = text.slice(10);
  const secondNll = tf.sum(tokenNll(model.forward(tf.tensor2d(second.slice(0, -1), [1, 10], 'int32'), carried, null).logits,
    tf.tensor1d(second.slice(1), 'int32'))).dataSync()[0];
  expect(result.nll).toBeCloseTo(firstNll + secondNll, 3);
  expect(Math.abs(result.nll - evaluatePerplexity(model, text, 1, 10).nll)).toBeGreaterThan(1e-3);
  model.dispose();
});
