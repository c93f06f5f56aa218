import * as tf from '@tensorflow/tfjs';
import { encodeText } from '../data/corpus';
import { lineTokens, splitLines } from '../data/tokens';
import { Vocabulary } from '../data/vocabulary';
import { LanguageModel } from '../model/lm';

export interface LineScore {
  /** The line as given. */
  text: string;
  /** Natural-log probability of the line's tokens and its `<eos>`, from a sentence start. */
  logProb: number;
  /** Predicted tokens: the line's words (or characters) and its `<eos>`. */
  tokens: number;
  /** exp(−logProb / tokens). */
  perplexity: number;
}

/**
 * Scores each line of a text on its own: the log-probability of its tokens and its `<eos>` given a sentence
 * start (the state after `<eos>`), as evaluation counts them. Unknown words map to `<unk>` as in evaluation,
 * and are an error (naming how many and which) when the vocabulary has no `<unk>`.
 */
export function scoreText(model: LanguageModel, vocab: Vocabulary, text: string, source = 'input'): LineScore[] {
  const ids = encodeText(text, vocab, vocab.level, source);
  let offset = 0;
  return splitLines(text).map((line) => {
    const count = lineTokens(line, vocab.level).length + 1;
    const targets = Array.from(ids.subarray(offset, offset + count));
    offset += count;
    const nll = tf.tidy(() => {
      const inputs = tf.tensor2d([[vocab.eosId, ...targets.slice(0, -1)]], [1, count], 'int32');
      return tf.sum(model.tokenNll(inputs, tf.tensor1d(targets, 'int32'), null, null, { inference: true }).nll);
    });
    const logProb = -nll.dataSync()[0];
    nll.dispose();
    return { text: line, logProb, tokens: count, perplexity: Math.exp(-logProb / count) };
  });
}
