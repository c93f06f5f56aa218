import * as tf from '@tensorflow/tfjs';
import { GENERATE_OPTIONS, GenerateOptions, checkOptions, withDefaults } from '../config';
import { EOS, TextJoiner, primeTokens } from '../data/tokens';
import { Vocabulary } from '../data/vocabulary';
import { ConfigError } from '../errors';
import { LanguageModel, ModelState } from './lm';
import { sampleToken, seededRandom } from './sampling';

export interface GenerateHooks {
  /** Called once, before the first token, with the prime as text (tokens joined, as the result starts). */
  onPrime?(text: string): void;
  /**
   * Called for each generated token as soon as it is known, with the text it appends (a space and the word, or a
   * line break). Returning false stops the generation there (the reader of the output has gone, say).
   */
  onToken?(token: string, piece: string): unknown;
}

/** Feeds token ids to a model one window at a time, keeping its state; returns the last position's logits. */
class Feeder {
  private state: ModelState | null = null;

  constructor(private readonly model: LanguageModel) {}

  /** Logits [rows, vocab] of the last step after feeding `ids` ([rows, steps]). */
  feed(ids: number[][]): tf.Tensor2D {
    const [rows, steps] = [ids.length, ids[0].length];
    const { last, next } = tf.tidy(() => {
      const { logits, state } = this.model.forward(tf.tensor2d(ids, [rows, steps], 'int32'), this.state, null, { inference: true });
      const perRow = tf.reshape(logits, [rows, steps, -1]);
      return { last: tf.reshape(tf.slice(perRow, [0, steps - 1, 0], [rows, 1, -1]), [rows, -1]) as tf.Tensor2D, next: state.layers };
    });
    this.dispose();
    this.state = { layers: next };
    return last;
  }

  /** Keeps only the rows `parents` of the state, in that order (the surviving beams). */
  select(parents: number[]): void {
    if (!this.state) return;
    const old = this.state;
    this.state = { layers: tf.tidy(() => old.layers.map((layer) => layer.map((s) => tf.gather(s, parents) as tf.Tensor2D))) };
    tf.dispose(old.layers);
  }

  dispose(): void {
    if (this.state) tf.dispose(this.state.layers);
    this.state = null;
  }
}

interface Hypothesis {
  ids: number[];
  logProb: number;
}

/**
 * Beam search: keeps the `width` most likely continuations (sums of log-probabilities) step by step. With
 * `stopAtEos`, a continuation that ends a line is finished; the search stops once no open one can beat the
 * best finished one (log-probabilities only fall as a continuation grows).
 */
function beamSearch(feeder: Feeder, first: tf.Tensor2D, options: GenerateOptions, eosId: number): number[] {
  const width = options.beam as number;
  let open: Hypothesis[] = [{ ids: [], logProb: 0 }];
  let best: Hypothesis | null = null;
  let logits = first;
  for (let step = 0; step < options.length; step++) {
    const vocab = logits.shape[1];
    const { values, indices } = tf.tidy(() => {
      const scores = tf.add(tf.logSoftmax(tf.div(logits, options.temperature)), tf.tensor2d(open.map((h) => [h.logProb])));
      return tf.topk(tf.reshape(scores, [-1]), Math.min(2 * width, open.length * vocab));
    });
    const [scores, flat] = [values.dataSync(), indices.dataSync()];
    tf.dispose([values, indices, logits]);
    const next: Hypothesis[] = [];
    const parents: number[] = [];
    for (let k = 0; k < flat.length && next.length < width; k++) {
      const parent = Math.floor(flat[k] / vocab);
      const id = flat[k] % vocab;
      const hypothesis = { ids: [...open[parent].ids, id], logProb: scores[k] };
      if (options.stopAtEos && id === eosId) {
        if (!best || hypothesis.logProb > best.logProb) best = hypothesis;
      } else {
        next.push(hypothesis);
        parents.push(parent);
      }
    }
    if (next.length === 0 || (best && best.logProb >= next[0].logProb)) return (best as Hypothesis).ids;
    open = next;
    if (step === options.length - 1) break;
    feeder.select(parents);
    logits = feeder.feed(open.map((h) => [h.ids[h.ids.length - 1]]));
  }
  return best && best.logProb >= open[0].logProb ? best.ids : open[0].ids;
}

/**
 * Continues a prime (default: a sentence start, `<eos>`): samples one token at a time from
 * softmax(logits / temperature), truncated by top-k / top-p, or with `beam` finds the most likely
 * continuation. `<eos>` becomes a line break. Returns the prime and the continuation as text; `onToken`
 * sees each token as it is generated (a beam search knows its tokens only at the end).
 */
export function generateText(model: LanguageModel, vocab: Vocabulary, given: Partial<GenerateOptions> = {}, hooks: GenerateHooks = {}): string {
  checkOptions(GENERATE_OPTIONS, given);
  const options = withDefaults(GENERATE_OPTIONS, given);
  if (options.beam !== null && (options.topK !== null || options.topP !== null)) {
    throw new ConfigError((name) => `${name('beam')} searches for the most likely continuation and does not sample: drop ${name(options.topK !== null ? 'topK' : 'topP')}`);
  }
  const prime = options.prime ? primeTokens(options.prime, vocab.level) : [];
  const joiner = new TextJoiner(vocab.level);
  prime.forEach((token) => joiner.add(token));
  const primeIds = prime.length > 0 ? prime.map((t) => vocab.id(t)) : [vocab.eosId]; // unknown words fail before anything is printed
  hooks.onPrime?.(joiner.text);
  /** Adds a token; false when `onToken` asks to stop. */
  const emit = (id: number): boolean => {
    const token = vocab.word(id);
    const piece = joiner.add(token);
    return hooks.onToken?.(token, piece) !== false;
  };
  const feeder = new Feeder(model);
  try {
    const first = feeder.feed([primeIds]);
    if (options.beam !== null) {
      for (const id of beamSearch(feeder, first, options, vocab.eosId)) if (!emit(id)) break;
      return joiner.text;
    }
    const random = seededRandom(options.seed);
    let logits = first;
    for (let k = 0; k < options.length; k++) {
      const row = logits.dataSync();
      logits.dispose();
      const id = sampleToken(row, options, random);
      if (!emit(id) || (options.stopAtEos && vocab.word(id) === EOS) || k === options.length - 1) break;
      logits = feeder.feed([[id]]);
    }
    return joiner.text;
  } finally {
    feeder.dispose();
  }
}
