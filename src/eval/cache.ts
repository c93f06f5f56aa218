import * as tf from '@tensorflow/tfjs';
import { StreamBatcher } from '../data/batches';
import { LanguageModel, ModelState } from '../model/lm';
import { outputNll } from '../model/loss';
import { PerplexityResult, WindowProgress } from './perplexity';

/** The continuous cache's settings: its size N, the flatness θ of its attention and its share λ. */
export interface CacheOptions {
  size: number;
  theta: number;
  lambda: number;
}

/**
 * Continuous cache pointer (Grave, Joulin & Usunier 2017, eq. 2–3; salesforce/awd-lstm-lm pointer.py): the
 * last N hidden states h_i of the last layer, each with the word that followed it, are a memory; the
 * probability of the next word w after h_t is
 *   p(w) = (1 − λ)·p_model(w) + λ·Σ_{i: x_{i+1} = w} softmax_i(θ·h_t·h_i)
 * over the (up to) N states before t in the same stream (fewer at the start; none: p = p_model). The model is
 * not changed. Streams as in `evaluatePerplexity`; each stream has its own memory.
 */
export function cachePerplexity(
  model: LanguageModel, ids: Int32Array, batchSize: number, bptt: number, cache: CacheOptions, onWindow?: WindowProgress,
): PerplexityResult {
  const batcher = new StreamBatcher(ids, batchSize, bptt, { exact: true });
  let state: ModelState | null = null;
  let memory: { keys: tf.Tensor3D; words: tf.Tensor2D } | null = null; // [B, M, H] and the words that followed, [B, M]
  let nll = 0;
  for (let k = 0; k < batcher.numWindows; k++) {
    const window = batcher.window(k);
    const previous = memory;
    const result = tf.tidy(() => {
      const [batch, time] = [window.batchSize, window.steps];
      const inputs = tf.tensor2d(window.inputs, [batch, time], 'int32');
      const targets = tf.tensor2d(window.targets, [batch, time], 'int32');
      const { hidden, undropped, state: next } = model.features(inputs, state, null, { inference: true });
      const modelNll = outputNll(hidden, model.output, tf.reshape(targets, [-1]) as tf.Tensor1D);
      const pModel = tf.reshape(tf.exp(tf.neg(modelNll)), [batch, time]);
      const keys = previous ? tf.concat([previous.keys, undropped], 1) : undropped; // [B, M + T, H]
      const words = previous ? tf.concat([previous.words, targets], 1) : targets;
      const held = previous ? previous.keys.shape[1] : 0;
      // Step t attends to the keys M + t − N … M + t − 1: the states strictly before it, at most N back.
      const allowed = new Float32Array(time * (held + time));
      for (let t = 0; t < time; t++) {
        for (let j = Math.max(0, held + t - cache.size); j < held + t; j++) allowed[t * (held + time) + j] = 1;
      }
      const allowedMask = tf.tensor2d(allowed, [time, held + time]);
      const scores = tf.add(tf.mul(tf.matMul(undropped, keys, false, true), cache.theta), tf.mul(tf.sub(allowedMask, 1), 1e9));
      const attention = tf.softmax(scores); // [B, T, M + T]
      const sameWord = tf.cast(tf.equal(tf.expandDims(words, 1), tf.expandDims(targets, 2)), 'float32');
      const pCache = tf.sum(tf.mul(attention, sameWord), 2); // [B, T]
      const lambda = tf.mul(cache.lambda, tf.minimum(tf.sum(allowedMask, 1), 1)); // λ, or 0 before any memory
      const p = tf.add(tf.mul(tf.sub(1, lambda), pModel), tf.mul(lambda, pCache));
      const perToken = tf.reshape(tf.neg(tf.log(p)), [-1]);
      const sum = window.mask ? tf.sum(tf.mul(perToken, window.mask)) : tf.sum(perToken);
      const keep = Math.min(cache.size, held + time);
      return {
        sum, next: next.layers,
        memory: { keys: tf.slice(keys, [0, held + time - keep, 0], [-1, keep, -1]), words: tf.slice(words, [0, held + time - keep], [-1, keep]) },
      };
    });
    nll += result.sum.dataSync()[0];
    result.sum.dispose();
    if (state) tf.dispose(state.layers);
    if (previous) tf.dispose([previous.keys, previous.words]);
    state = { layers: result.next };
    memory = result.memory as { keys: tf.Tensor3D; words: tf.Tensor2D };
    onWindow?.(k + 1, batcher.numWindows);
  }
  if (state) tf.dispose(state.layers);
  if (memory) tf.dispose([memory.keys, memory.words]);
  const tokens = batcher.predictedTokens;
  return { perplexity: Math.exp(nll / tokens), nll, tokens };
}
