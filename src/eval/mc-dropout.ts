import * as tf from '@tensorflow/tfjs';
import { StreamBatcher } from '../data/batches';
import { LanguageModel, ModelState } from '../model/lm';
import { PerplexityResult, WindowProgress } from './perplexity';

/**
 * Monte-Carlo dropout (Gal & Ghahramani 2016, "MC dropout"): the probability of each token is the mean of
 * its probabilities under K passes with the model's training dropout on, p = (1/K)·Σ_k p_k, and its nll is
 * −log p. Each pass carries its own hidden state across windows and draws its own masks per window (a
 * function of the seed, the pass and the window), as in training. The split is cut into streams as in
 * `evaluatePerplexity`, so every token but the first is predicted once.
 */
export function mcDropoutPerplexity(
  model: LanguageModel, ids: Int32Array, batchSize: number, bptt: number, samples: number, seed = 1, onWindow?: WindowProgress,
): PerplexityResult {
  const batcher = new StreamBatcher(ids, batchSize, bptt, { exact: true });
  let states: (ModelState | null)[] = Array.from({ length: samples }, () => null);
  let nll = 0;
  for (let k = 0; k < batcher.numWindows; k++) {
    const window = batcher.window(k);
    const result = tf.tidy(() => {
      const inputs = tf.tensor2d(window.inputs, [window.batchSize, window.steps], 'int32');
      const targets = tf.tensor1d(window.targets, 'int32');
      const passes = states.map((state, s) => {
        const { nll, state: next } = model.tokenNll(inputs, targets, state, sampleSeed(seed, s, k), { inference: true });
        return { logProb: tf.neg(nll), next: next.layers };
      });
      // −log((1/K)·Σ_k exp(log p_k)), computed stably.
      const perToken = tf.neg(tf.sub(tf.logSumExp(tf.stack(passes.map((p) => p.logProb)), 0), Math.log(samples)));
      const sum = window.mask ? tf.sum(tf.mul(perToken, window.mask)) : tf.sum(perToken);
      return { sum, next: passes.map((p) => p.next) };
    });
    nll += result.sum.dataSync()[0];
    result.sum.dispose();
    states.forEach((state) => state && tf.dispose(state.layers));
    states = result.next.map((layers) => ({ layers }));
    onWindow?.(k + 1, batcher.numWindows);
  }
  states.forEach((state) => state && tf.dispose(state.layers));
  const tokens = batcher.predictedTokens;
  return { perplexity: Math.exp(nll / tokens), nll, tokens };
}

/** The dropout seed of pass `sample` on window `window`. */
export function sampleSeed(seed: number, sample: number, window: number): number {
  return ((seed * 1000003 + sample * 7919 + window * 31) % 2147483647) + 1;
}
