import * as tf from '@tensorflow/tfjs';
import { Vocabulary } from '../../src/data/vocabulary';
import { ConfigError } from '../../src/errors';
import { generateText } from '../../src/model/generate';
import { LanguageModel } from '../../src/model/lm';
import { smallModel } from './fixtures';

const WORDS = ['<eos>', '<unk>', 'a', 'b', 'c', 'd'];
const vocab = new Vocabulary(WORDS, 'word');
let model: LanguageModel;

beforeAll(() => {
  model = smallModel({ vocabSize: WORDS.length, initScale: 0.8 });
});
afterAll(() => model.dispose());

/** log P(continuation | prime) computed directly: one forward pass over the whole sequence. */
function logProb(prime: number[], continuation: number[]): number {
  return tf.tidy(() => {
    const ids = [...prime, ...continuation];
    const { logits } = model.forward(tf.tensor2d([ids.slice(0, -1)], [1, ids.length - 1], 'int32'), null, null);
    const logProbs = tf.logSoftmax(logits).arraySync() as number[][];
    return continuation.reduce((sum, id, k) => sum + logProbs[prime.length - 1 + k][id], 0);
  });
}

test('tokens are streamed as they are sampled, and the same seed gives the same text', () => {
  const pieces: string[] = [];
  let prime = '';
  const text = generateText(model, vocab, { prime: 'a b', length: 12, seed: 5 }, {
    onPrime: (t) => { prime = t; }, onToken: (_token, piece) => pieces.push(piece),
  });
  expect(prime).toBe('a b');
  expect(pieces).toHaveLength(12);
  expect(prime + pieces.join('')).toBe(text);
  expect(generateText(model, vocab, { prime: 'a b', length: 12, seed: 5 })).toBe(text);
  expect(generateText(model, vocab, { prime: 'a b', length: 12, seed: 6 })).not.toBe(text);
});

test('top-k 1 is greedy decoding, which beam 1 is too', () => {
  const greedy = generateText(model, vocab, { prime: 'c', length: 6, topK: 1, seed: 1 });
  expect(generateText(model, vocab, { prime: 'c', length: 6, topK: 1, seed: 2 })).toBe(greedy);
  expect(generateText(model, vocab, { prime: 'c', length: 6, beam: 1 })).toBe(greedy);
});

test('beam search finds the most likely continuation (checked against all of them)', () => {
  const length = 3;
  let best = { ids: [] as number[], logProb: -Infinity };
  for (let k = 0; k < WORDS.length ** length; k++) {
    const ids = [Math.floor(k / 36) % 6, Math.floor(k / 6) % 6, k % 6];
    const lp = logProb([vocab.id('d')], ids);
    if (lp > best.logProb) best = { ids, logProb: lp };
  }
  const text = generateText(model, vocab, { prime: 'd', length, beam: 8 });
  const expected = generateTextFromIds('d', best.ids);
  expect(text).toBe(expected);
});

function generateTextFromIds(prime: string, ids: number[]): string {
  return ids.reduce((text, id) => (WORDS[id] === '<eos>' ? `${text}\n` : `${text}${text.endsWith('\n') ? '' : ' '}${WORDS[id]}`), prime);
}

test('--stop-at-eos ends a sample at the end of the line', () => {
  for (let seed = 1; seed <= 5; seed++) {
    const text = generateText(model, vocab, { length: 40, stopAtEos: true, seed });
    expect(text.indexOf('\n')).toBe(text.includes('\n') ? text.length - 1 : -1);
  }
});

test('beam search does not sample, so top-k/top-p with it are refused', () => {
  expect(() => generateText(model, vocab, { beam: 2, topP: 0.9 })).toThrow(ConfigError);
  expect(() => generateText(model, vocab, { beam: 2, topP: 0.9 })).toThrow('beam searches for the most likely continuation and does not sample: drop topP');
  expect(() => generateText(model, vocab, { topP: 0 })).toThrow('topP must be in (0, 1], got 0');
});

test('onToken returning false stops the generation there, sampled or beam', () => {
  const tensorsAtStart = tf.memory().numTensors;
  const seen: string[] = [];
  const text = generateText(model, vocab, { prime: 'a b', length: 12, seed: 5 }, { onToken: (_token, piece) => seen.push(piece) < 3 });
  expect(seen).toHaveLength(3);
  expect(text).toBe(`a b${seen.join('')}`);
  const beamSeen: string[] = [];
  generateText(model, vocab, { prime: 'd', length: 6, beam: 4 }, { onToken: (_token, piece) => beamSeen.push(piece) < 2 });
  expect(beamSeen).toHaveLength(2);
  expect(tf.memory().numTensors).toBe(tensorsAtStart);
});
