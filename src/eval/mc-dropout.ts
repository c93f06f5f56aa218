import * as tf from '@tensorflow/tfjs';
import { StreamBatcher } from '../data/batches';
import { ModelConfig } from '../config/model';
import { LanguageModel, ModelState } from '../model/lm';
import { PerplexityResult, WindowProgress } from './perplexity';

/**
 * At most this many logits, rows × steps × vocabulary, in one call of stacked passes: 2^26 floats, 256 MB
 * (about 190 rows of PTB's 35-step windows). Stacking paid less than the batch size suggests, the output
 * layer's products being compute-bound already: 10 passes of a 2×650 tied LSTM (vocabulary 10,000) over 8
 * windows of 10 streams × 35 steps took 2.82–2.97 s one pass per call, 2.22–2.43 s five per call and 1.95–2.21 s
 * all ten in one (AMD EPYC family 26 model 2, 2 threads, 2026-12-06).
 */
export const MC_LOGITS_PER_CALL = 2 ** 26;

export interface McDropoutOptions {
  /** Seeds every pass's masks (`sampleSeed`). */
  seed?: number;
  onWindow?: WindowProgress;
  /** Passes stacked in one call; by default as many as `MC_LOGITS_PER_CALL` allows, and 1 under weight drop. */
  passesPerCall?: number;
}

/**
 * Monte-Carlo dropout (Gal & Ghahramani 2016, "MC dropout"): the probability of each token is the mean of
 * its probabilities under K passes with the model's training dropout on, p = (1/K)·Σ_k p_k, and its nll is
 * −log p. Each pass carries its own hidden state across windows and draws its own masks per window (a
 * function of the seed, the pass and the window), as in training. The split is cut into streams as in
 * `evaluatePerplexity`, so every token but the first is predicted once. Passes run stacked along the batch,
 * each with the masks it would draw alone (`MaskSeeds`), except under weight drop, whose one mask of W_h
 * serves a whole batch.
 */
export function mcDropoutPerplexity(
  model: LanguageModel, ids: Int32Array, batchSize: number, bptt: number, samples: number, options: McDropoutOptions = {},
): PerplexityResult {
  const { seed = 1, onWindow } = options;
  const batcher = new StreamBatcher(ids, batchSize, bptt, { exact: true });
  const perCall = options.passesPerCall ?? mcPassesPerCall(model.config, batchSize, bptt, samples);
  const groups = Array.from({ length: Math.ceil(samples / perCall) }, (_, g) =>
    Array.from({ length: Math.min(perCall, samples - g * perCall) }, (_, k) => g * perCall + k));
  let states: (ModelState | null)[] = groups.map(() => null);
  let nll = 0;
  for (let k = 0; k < batcher.numWindows; k++) {
    const window = batcher.window(k);
    const result = tf.tidy(() => {
      const inputs = tf.tensor2d(window.inputs, [window.batchSize, window.steps], 'int32');
      const targets = tf.tensor1d(window.targets, 'int32');
      const calls = groups.map((passes, g) => {
        const stacked = passes.length;
        const { nll, state: next } = model.tokenNll(
          tf.tile(inputs, [stacked, 1]), tf.tile(targets, [stacked]), states[g], passes.map((pass) => sampleSeed(seed, pass, k)),
          { inference: true },
        );
        return { logProb: tf.reshape(tf.neg(nll), [stacked, -1]), next: next.layers };
      });
      // −log((1/K)·Σ_k exp(log p_k)), computed stably.
      const logProbs = calls.length === 1 ? calls[0].logProb : tf.concat(calls.map((call) => call.logProb), 0);
      const perToken = tf.neg(tf.sub(tf.logSumExp(logProbs, 0), Math.log(samples)));
      const sum = window.mask ? tf.sum(tf.mul(perToken, window.mask)) : tf.sum(perToken);
      return { sum, next: calls.map((call) => call.next) };
    });
    nll += result.sum.dataSync()[0];
    result.sum.dispose();
    disposeStates(states);
    states = result.next.map((layers) => ({ layers }));
    onWindow?.(k + 1, batcher.numWindows);
  }
  disposeStates(states);
  const tokens = batcher.predictedTokens;
  return { perplexity: Math.exp(nll / tokens), nll, tokens };
}

/**
 * Passes per call: as few calls as `MC_LOGITS_PER_CALL` allows, sharing the passes evenly (10 passes that fit 9
 * to a call run as 5 and 5, not 9 and 1); one pass per call under weight drop (one W_h mask per batch).
 */
export function mcPassesPerCall(config: ModelConfig, batchSize: number, bptt: number, samples: number): number {
  if ((config.dropout.weight ?? 0) > 0) return 1;
  const fit = Math.max(1, Math.floor(MC_LOGITS_PER_CALL / (batchSize * bptt * config.vocabSize)));
  return Math.ceil(samples / Math.ceil(samples / fit));
}

function disposeStates(states: (ModelState | null)[]): void {
  states.forEach((state) => state && tf.dispose(state.layers));
}

/** The dropout seed of pass `sample` on window `window`. */
export function sampleSeed(seed: number, sample: number, window: number): number {
  return ((seed * 1000003 + sample * 7919 + window * 31) % 2147483647) + 1;
}
