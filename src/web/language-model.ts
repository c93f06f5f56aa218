import * as tf from '@tensorflow/tfjs';
import { GENERATE_OPTIONS, GenerateOptions } from '../config/commands';
import { checkOptions, withDefaults } from '../config/options';
import { ConfigError } from '../errors';
import { EOS, TextJoiner, TokenLevel, UNK, primeTokens } from '../data/tokens';
import type { GenerateHooks } from '../model/generate';
import { sampleToken, seededRandom, softmax } from '../model/sampling';

/** vocab.json of an export: the words by id and the token level. */
export interface WebVocabulary {
  words: string[];
  level: TokenLevel;
}

/** The sampling options a page can use: those of `rnnlm generate` but beam search. */
export type WebGenerateOptions = Omit<GenerateOptions, 'beam'>;

/**
 * An exported model (see toLayersModel) with its vocabulary, for the browser: the page carries the recurrent
 * state from call to call, and samples exactly as `generateText` does in Node (same options, same seeded
 * random source, same sampler), so a seed gives the same text in both.
 */
export class WebLanguageModel {
  private readonly ids: Map<string, number>;

  constructor(readonly model: tf.LayersModel, readonly vocab: WebVocabulary) {
    this.ids = new Map(vocab.words.map((word, id) => [word, id]));
  }

  /** The id of a token; unknown ones are `<unk>`, or an error when the vocabulary has none. */
  id(token: string): number {
    const id = this.ids.get(token) ?? this.ids.get(UNK);
    if (id === undefined) throw new Error(`"${token}" is not in the model's vocabulary (which has no ${UNK})`);
    return id;
  }

  /** The ids a prime starts from: its tokens, or `<eos>` (a sentence start) for an empty prime. */
  primeIds(prime: string): number[] {
    const tokens = primeTokens(prime, this.vocab.level);
    return tokens.length > 0 ? tokens.map((t) => this.id(t)) : [this.id(EOS)];
  }

  private zeroState(): tf.Tensor[] {
    return this.model.inputs.slice(1).map((input) => tf.zeros([1, input.shape[1] as number]));
  }

  /** Feeds `ids` from `state`; returns the logits after the last one and the new state (the old one is freed). */
  async feed(ids: number[], state: tf.Tensor[]): Promise<{ logits: Float32Array; state: tf.Tensor[] }> {
    const input = tf.tensor2d([ids], [1, ids.length], 'int32');
    const [logits, ...next] = this.model.predict([input, ...state]) as tf.Tensor[];
    const last = tf.tidy(() => tf.slice(logits, [0, ids.length - 1, 0], [1, 1, -1]));
    const values = (await last.data()) as Float32Array;
    tf.dispose([input, logits, last, ...state]);
    return { logits: values, state: next };
  }

  /** The distribution of the token after a prime (`oneByOne` feeds it a token per call, carrying the state). */
  async nextTokenProbabilities(prime: string, oneByOne = false): Promise<number[]> {
    const ids = this.primeIds(prime);
    let step = { logits: new Float32Array(0), state: this.zeroState() };
    for (const chunk of oneByOne ? ids.map((id) => [id]) : [ids]) step = await this.feed(chunk, step.state);
    tf.dispose(step.state);
    return Array.from(softmax(step.logits));
  }

  /** Continues a prime token by token; the hooks see the prime's text, then each token as it is sampled. */
  async generate(given: Partial<WebGenerateOptions>, hooks: GenerateHooks = {}): Promise<string> {
    if ((given as Partial<GenerateOptions>).beam != null) throw new ConfigError('beam search is not available in the browser');
    checkOptions(GENERATE_OPTIONS, given);
    const options = withDefaults(GENERATE_OPTIONS, given);
    const joiner = new TextJoiner(this.vocab.level);
    if (options.prime) primeTokens(options.prime, this.vocab.level).forEach((token) => joiner.add(token));
    const primeIds = this.primeIds(options.prime ?? ''); // unknown words fail before anything is shown
    hooks.onPrime?.(joiner.text);
    const random = seededRandom(options.seed);
    let step = await this.feed(primeIds, this.zeroState());
    try {
      for (let k = 0; k < options.length; k++) {
        const id = sampleToken(step.logits, options, random);
        const token = this.vocab.words[id];
        const piece = joiner.add(token); // not inside `onToken?.(…)`: without a hook that would skip it
        const goOn = hooks.onToken?.(token, piece) !== false;
        if (!goOn || (options.stopAtEos && token === EOS) || k === options.length - 1) break;
        step = await this.feed([id], step.state);
      }
    } finally {
      tf.dispose(step.state);
    }
    return joiner.text;
  }
}
