import * as tf from '@tensorflow/tfjs';
import { cachePerplexity } from '../../src/eval/cache';
import { evaluatePerplexity } from '../../src/eval/perplexity';
import { tokenNll, outputLogits } from '../../src/model/loss';
import { smallModel } from '../model/fixtures';

const ids = Int32Array.from([1, 4, 2, 8, 5, 7, 1, 4, 2, 8, 5, 7, 1, 4, 9]);

test('p = (1 − λ)·p_model + λ·Σ_{i: next word = target} softmax(θ·h_t·h_i) over the last N states, by hand', () => {
  const model = smallModel({ initScale: 0.3 });
  const [size, theta, lambda] = [4, 2, 0.3];
  const result = cachePerplexity(model, ids, 1, 50, { size, theta, lambda });
  const expected = tf.tidy(() => {
    const inputs = tf.tensor2d(ids.slice(0, -1), [1, ids.length - 1], 'int32');
    const targets = ids.slice(1);
    const { hidden, undropped } = model.features(inputs, null, null);
    const pModel = Array.from(tf.exp(tf.neg(tokenNll(outputLogits(hidden, model.output), tf.tensor1d(targets, 'int32')))).dataSync());
    const h = (undropped.arraySync() as number[][][])[0];
    let nll = 0;
    targets.forEach((target, t) => {
      const memory = Array.from({ length: t }, (_, i) => i).slice(-size);
      let p = pModel[t];
      if (memory.length > 0) {
        const scores = memory.map((i) => theta * h[t].reduce((s, v, u) => s + v * h[i][u], 0));
        const top = Math.max(...scores);
        const weights = scores.map((s) => Math.exp(s - top));
        const total = weights.reduce((a, b) => a + b, 0);
        const pointer = memory.reduce((s, i, j) => s + (targets[i] === target ? weights[j] / total : 0), 0);
        p = (1 - lambda) * p + lambda * pointer;
      }
      nll -= Math.log(p);
    });
    return nll;
  });
  expect(result.nll).toBeCloseTo(expected, 3);
  // The memory carries across windows and streams are independent: short windows give the same result.
  expect(cachePerplexity(model, ids, 1, 3, { size, theta, lambda }).nll).toBeCloseTo(expected, 3);
  model.dispose();
});

test('λ = 0 is the plain perplexity; a repeating text is predicted better with the cache; nothing leaks', () => {
  const model = smallModel();
  const before = tf.memory().numTensors;
  const plain = evaluatePerplexity(model, ids, 2, 4).perplexity;
  expect(cachePerplexity(model, ids, 2, 4, { size: 10, theta: 1, lambda: 0 }).perplexity).toBeCloseTo(plain, 4);
  expect(cachePerplexity(model, ids, 1, 4, { size: 10, theta: 1, lambda: 0.5 }).perplexity).toBeLessThan(evaluatePerplexity(model, ids, 1, 4).perplexity);
  expect(tf.memory().numTensors).toBe(before);
  model.dispose();
});
