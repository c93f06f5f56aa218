import * as tf from '@tensorflow/tfjs';
import { StreamBatcher } from '../data/batches';
import { LanguageModel, ModelState } from '../model/lm';

export interface PerplexityResult {
  /** exp(nll / tokens). */
  perplexity: number;
  /** Total negative log-likelihood in nats. */
  nll: number;
  /** Number of predicted tokens: every token of the split but the first. */
  tokens: number;
}

/** Hears an evaluation pass after each window: the windows done, and in all (for a progress line). */
export type WindowProgress = (done: number, total: number) => void;

/** Takes the name of each pass of an evaluation ("dynamic evaluation on test") and gives that pass's window hook. */
export type PassProgress = (pass: string) => WindowProgress | undefined;

/**
 * Exact perplexity over a whole split: exp(Σ NLL / number of predicted tokens), stateful across windows, no
 * dropout. Any batch size: the split is cut into `batchSize` streams whose lengths differ by at most one and
 * the ragged end is masked, so no token is dropped or counted twice.
 */
export function evaluatePerplexity(
  model: LanguageModel, ids: Int32Array, batchSize: number, bptt: number, onWindow?: WindowProgress,
): PerplexityResult {
  const batcher = new StreamBatcher(ids, batchSize, bptt, { exact: true });
  let state: ModelState | null = null;
  let nll = 0;
  for (let k = 0; k < batcher.numWindows; k++) {
    const window = batcher.window(k);
    const result = tf.tidy(() => {
      const inputs = tf.tensor2d(window.inputs, [window.batchSize, window.steps], 'int32');
      const { nll: perToken, state: next } = model.tokenNll(inputs, tf.tensor1d(window.targets, 'int32'), state, null, { inference: true });
      const sum = window.mask ? tf.sum(tf.mul(perToken, window.mask)) : tf.sum(perToken);
      return { sum, next: next.layers };
    });
    nll += result.sum.dataSync()[0];
    result.sum.dispose();
    if (state) tf.dispose(state.layers);
    state = { layers: result.next };
    onWindow?.(k + 1, batcher.numWindows);
  }
  if (state) tf.dispose(state.layers);
  const tokens = batcher.predictedTokens;
  return { perplexity: Math.exp(nll / tokens), nll, tokens };
}
