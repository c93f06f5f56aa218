import * as tf from '@tensorflow/tfjs';
import { evaluatePerplexity } from '../../src/eval/perplexity';
import { ConfigError } from '../../src/errors';
import { rng } from '../helpers';
import { smallModel } from './fixtures';

const randomIds = (n: number, vocab: number, seed: number): Int32Array => {
  const next = rng(seed);
  return Int32Array.from({ length: n }, () => Math.floor(next() * vocab));
};

test('an untrained model with small uniform init has perplexity within 10% of the vocabulary size', () => {
  const model = smallModel({ vocabSize: 200, initScale: 0.01 });
  const { perplexity, tokens } = evaluatePerplexity(model, randomIds(1000, 200, 1), 10, 35);
  expect(tokens).toBe(999);
  expect(Math.abs(perplexity - 200) / 200).toBeLessThan(0.1);
  model.dispose();
});

test('a model whose logits are all equal has perplexity exactly the vocabulary size', () => {
  const model = smallModel({ vocabSize: 64 });
  model.projection!.assign(tf.zeros(model.projection!.shape));
  model.outputBias.assign(tf.fill([64], 0.3));
  const { perplexity } = evaluatePerplexity(model, randomIds(500, 64, 2), 3, 20);
  expect(perplexity).toBeCloseTo(64, 3);
  model.dispose();
});

test('perplexity does not depend on the evaluation batch size or window length', () => {
  const model = smallModel({ initScale: 0.3 });
  const ids = randomIds(400, 50, 3);
  const sequential = evaluatePerplexity(model, ids, 1, 400).nll;
  // Other batch sizes cut the stream into parallel pieces (fresh state per piece), so only bptt must not matter:
  expect(Math.abs(evaluatePerplexity(model, ids, 1, 7).nll - sequential) / sequential).toBeLessThan(1e-5);
  expect(evaluatePerplexity(model, ids, 4, 9).tokens).toBe(399);
  model.dispose();
});

test('a tied model has one matrix for embedding and projection, an untied one two', () => {
  const tied = smallModel({ tied: true });
  const untied = smallModel({ tied: false });
  const matricesOfVocab = (m: typeof tied): number => m.variables().filter((v) => v.shape.includes(50) && v.rank === 2).length;
  expect(matricesOfVocab(tied)).toBe(1);
  expect(matricesOfVocab(untied)).toBe(2);
  expect(untied.parameterCount - tied.parameterCount).toBe(16 * 50);
  tied.dispose();
  untied.dispose();
});

test('tied weights with a last layer narrower than the embedding fail with a clear message', () => {
  expect(() => smallModel({ tied: true, hiddenSizes: [16, 8] })).toThrow(ConfigError);
  expect(() => smallModel({ tied: true, hiddenSizes: [16, 8] })).toThrow(/last layer's size \(8\) to equal embeddingSize \(16\)/);
});

test.each(['lstm', 'gru', 'peephole', 'rnn'] as const)('a %s model with per-layer sizes runs forward', (cell) => {
  const model = smallModel({ cell, hiddenSizes: [12, 20, 16], tied: true });
  const logits = tf.tidy(() => model.forward(tf.tensor2d([[1, 2, 3], [4, 5, 6]], [2, 3], 'int32'), null, 7).logits);
  expect(logits.shape).toEqual([6, 50]);
  logits.dispose();
  model.dispose();
});
