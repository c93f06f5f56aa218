import * as tf from '@tensorflow/tfjs';
import { EPSILON, dynamicPerplexity, gradientRms } from '../../src/eval/dynamic';
import { evaluatePerplexity } from '../../src/eval/perplexity';
import { tokenNll } from '../../src/model/loss';
import { smallModel, patternIds } from '../model/fixtures';
import { loadOnednn } from '../../src/backend/onednn';
import { kernelChoice, setKernelChoice } from '../../src/layers/kernel-choice';
import { OnednnAddon } from '../../src/layers/onednn/addon';
import { relativeError, rng } from '../helpers';
import { values } from '../train/resume';

const train = patternIds(400, [1, 4, 2, 8, 5, 7, 3]);
const text = patternIds(21, [1, 4, 2, 8, 5, 7, 3]);
const options = { lr: 0.01, lambda: 0.05, statsWindows: 5 };
const loaded = loadOnednn();
const addon = typeof loaded === 'string' ? null : loaded;
const describeOnednn = addon ? describe : describe.skip;

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

describeOnednn('dynamic evaluation on the oneDNN addon', () => {
  test("the addon's step is w ← keep⊙w + anchor + step⊙g, in place", () => {
    const next = rng(31);
    const draw = (): Float32Array => Float32Array.from({ length: 1000 }, () => next() - 0.5);
    const [weights, keep, anchor, step, gradient] = [draw(), draw(), draw(), draw(), draw()];
    const expected = weights.map((w, k) => Math.fround(Math.fround(keep[k] * w) + anchor[k]) + Math.fround(step[k] * gradient[k]));
    addon!.dynamicStep({ weights, keep, anchor, step, gradient });
    expect(relativeError(weights, expected)).toBeLessThan(1e-6);
    expect(() => addon!.dynamicStep({ weights, keep: new Float32Array(999), anchor, step, gradient })).toThrow('keep holds 999 elements, expected 1000');
  });

  test("it scores what the tfjs ops' step scores, with every tensor disposed either way", () => {
    const saved = kernelChoice();
    const run = (onednn: OnednnAddon | null): number => {
      setKernelChoice('auto', 'fp32', onednn);
      try {
        const model = smallModel({ vocabSize: 10 });
        const before = tf.memory().numTensors;
        const { nll } = dynamicPerplexity(model, text, train, 1, 5, options);
        expect(tf.memory().numTensors).toBe(before);
        model.dispose();
        return nll;
      } finally {
        setKernelChoice(saved.kernel, saved.precision, saved.onednn);
      }
    };
    const [native, tfjs] = [run(addon), run(null)];
    expect(Math.abs(native - tfjs) / tfjs).toBeLessThan(1e-5);
  });
});
