import * as tf from '@tensorflow/tfjs';
import { GENERATE_OPTIONS, GenerateOptions, checkOptions, withDefaults } from '../config';
import { tokenize } from '../data/corpus';
import { EOS, Vocabulary } from '../data/vocabulary';
import { LanguageModel, ModelState } from './lm';

/** mulberry32: a small seeded PRNG, so `--seed` reproduces a sample on any backend. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Draws an index from unnormalised log-probabilities divided by the temperature. */
function sample(logits: Float32Array, temperature: number, random: () => number): number {
  let max = -Infinity;
  for (const v of logits) max = Math.max(max, v / temperature);
  const weights = Array.from(logits, (v) => Math.exp(v / temperature - max));
  const total = weights.reduce((a, b) => a + b, 0);
  let threshold = random() * total;
  for (let k = 0; k < weights.length; k++) {
    threshold -= weights[k];
    if (threshold <= 0) return k;
  }
  return weights.length - 1;
}

/**
 * Samples text: feeds the prime (or `<eos>`, a sentence start) through the model, then draws one token at a
 * time from softmax(logits / temperature), feeding each back. `<eos>` becomes a line break.
 */
export function generateText(model: LanguageModel, vocab: Vocabulary, given: Partial<GenerateOptions> = {}): string {
  checkOptions(GENERATE_OPTIONS, given);
  const options = withDefaults(GENERATE_OPTIONS, given);
  const primeTokens = options.prime ? tokenize(options.prime, vocab.level).filter((t, k, all) => !(t === EOS && k === all.length - 1)) : [];
  const primeIds = primeTokens.length > 0 ? primeTokens.map((t) => vocab.id(t)) : [vocab.eosId];
  const random = seededRandom(options.seed);
  let state: ModelState | null = null;
  const advance = (ids: number[]): Float32Array => {
    const { last, next } = tf.tidy(() => {
      const { logits, state: s } = model.forward(tf.tensor2d([ids], [1, ids.length], 'int32'), state, null);
      return { last: logits.slice([ids.length - 1, 0], [1, -1]), next: s.layers };
    });
    if (state) tf.dispose(state.layers);
    state = { layers: next };
    const values = last.dataSync() as Float32Array;
    last.dispose();
    return values;
  };
  let logits = advance(primeIds);
  const out: string[] = [];
  for (let k = 0; k < options.length; k++) {
    const id = sample(logits, options.temperature, random);
    out.push(vocab.word(id));
    logits = advance([id]);
  }
  if (state) tf.dispose((state as ModelState).layers);
  const separator = vocab.level === 'char' ? '' : ' ';
  let text = '';
  for (const token of [...primeTokens, ...out]) {
    if (token === EOS) text += '\n';
    else text += (text === '' || text.endsWith('\n') ? '' : separator) + token;
  }
  return text;
}
