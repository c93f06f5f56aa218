import * as tf from '@tensorflow/tfjs';
import { evaluatePerplexity } from '../../src/eval/perplexity';
import { mcDropoutPerplexity, sampleSeed } from '../../src/eval/mc-dropout';
import { tokenNll } from '../../src/model/loss';
import { smallModel } from '../model/fixtures';

const ids = Int32Array.from([1, 4, 2, 8, 5, 7, 1, 4, 2, 8, 5, 7, 3]);
const dropout = { input: 0.3, hidden: 0.3, output: 0.3, recurrent: 0.2, embedding: 0.1, weight: 0.2, kind: 'variational' as const };

test('each token\'s probability is the mean over the passes of its probability with dropout on', () => {
  const model = smallModel({ dropout });
  const samples = 3;
  const result = mcDropoutPerplexity(model, ids, 1, 20, samples); // one window
  const expected = tf.tidy(() => {
    const inputs = tf.tensor2d(ids.slice(0, -1), [1, ids.length - 1], 'int32');
    const targets = tf.tensor1d(ids.slice(1), 'int32');
    const probabilities = Array.from({ length: samples }, (_, s) =>
      Array.from(tf.exp(tf.neg(tokenNll(model.forward(inputs, null, sampleSeed(1, s, 0)).logits, targets))).dataSync()));
    return probabilities[0].reduce((nll, _, t) => nll - Math.log(probabilities.reduce((p, pass) => p + pass[t], 0) / samples), 0);
  });
  expect(result.tokens).toBe(ids.length - 1);
  expect(result.nll).toBeCloseTo(expected, 4);
  expect(result.perplexity).not.toBeCloseTo(evaluatePerplexity(model, ids, 1, 20).perplexity, 2);
  model.dispose();
});

test('without dropout every pass is the plain model; any window length and batch give the same result; nothing leaks', () => {
  const model = smallModel();
  const before = tf.memory().numTensors;
  const plain = evaluatePerplexity(model, ids, 2, 4);
  expect(mcDropoutPerplexity(model, ids, 2, 4, 2).perplexity).toBeCloseTo(plain.perplexity, 4);
  expect(tf.memory().numTensors).toBe(before);
  const dropped = smallModel({ dropout });
  expect(mcDropoutPerplexity(dropped, ids, 1, 3, 4).tokens).toBe(ids.length - 1);
  model.dispose();
  dropped.dispose();
});
