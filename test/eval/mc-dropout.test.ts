import * as tf from '@tensorflow/tfjs';
import { evaluatePerplexity } from '../../src/eval/perplexity';
import { mcDropoutPerplexity, mcPassesPerCall, sampleSeed } from '../../src/eval/mc-dropout';
import { tokenNll } from '../../src/model/loss';
import { patternIds, smallConfig, smallModel } from '../model/fixtures';

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

test('passes stacked along the batch give the passes run one at a time: the same masks, states and result', () => {
  // Every dropout but weight drop, in both kinds: each stacked pass must draw exactly its own masks.
  for (const kind of ['variational', 'standard'] as const) {
    const model = smallModel({ dropout: { ...dropout, weight: 0, kind } });
    const longer = patternIds(25, [1, 4, 2, 8, 5, 7, 3, 9, 6]);
    const before = tf.memory().numTensors;
    const oneAtATime = mcDropoutPerplexity(model, longer, 2, 6, 3, { passesPerCall: 1 });
    // 3 passes as calls of 2 and 1 (states carried per call across 2 windows), and by default as one call.
    for (const passesPerCall of [2, undefined]) {
      const stacked = mcDropoutPerplexity(model, longer, 2, 6, 3, { passesPerCall });
      expect(stacked.tokens).toBe(oneAtATime.tokens);
      expect(stacked.nll).toBeCloseTo(oneAtATime.nll, 4);
    }
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  }
});

test('under weight drop the passes run one at a time, and a stacked call is refused with the reason', () => {
  const model = smallModel({ dropout });
  expect(mcDropoutPerplexity(model, ids, 1, 20, 3).nll).toBeCloseTo(mcDropoutPerplexity(model, ids, 1, 20, 3, { passesPerCall: 1 }).nll, 6);
  expect(() => mcDropoutPerplexity(model, ids, 1, 20, 3, { passesPerCall: 3 })).toThrow(/weight drop masks W_h for the whole batch/);
  model.dispose();
});

test('by default as few calls as the logits budget allows, the passes shared evenly; one pass a call under weight drop', () => {
  const ptb = smallConfig({ vocabSize: 10000, dropout: { ...dropout, weight: 0 } }); // 19 passes of 10 × 35 fit in 2^26 logits
  expect([10, 19, 20, 25, 50].map((samples) => mcPassesPerCall(ptb, 10, 35, samples))).toEqual([10, 19, 10, 13, 17]);
  expect(mcPassesPerCall(ptb, 1000, 35, 10)).toBe(1); // not even two passes fit: one a call
  expect(mcPassesPerCall(smallConfig({ vocabSize: 10000, dropout }), 10, 35, 10)).toBe(1);
});
