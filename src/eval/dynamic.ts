import * as tf from '@tensorflow/tfjs';
import { StreamBatcher, Window } from '../data/batches';
import { LanguageModel, ModelState } from '../model/lm';
import { outputCrossEntropy } from '../model/loss';
import { PerplexityResult, WindowProgress } from './perplexity';

/** Dynamic evaluation's settings: step size, decay back to the trained weights, windows for the statistics. */
export interface DynamicOptions {
  lr: number;
  lambda: number;
  /** Training windows (of `TRAINING_STREAMS` streams) that estimate the gradient statistics; null = all. */
  statsWindows: number | null;
}

/** Added to the RMS before dividing (Krause et al.'s ε). */
export const EPSILON = 2e-5;
/** Streams of the training split while the gradient statistics are gathered. */
export const TRAINING_STREAMS = 20;

/**
 * Dynamic evaluation (Krause, Kahembwe, Murray & Renals 2018, "Dynamic Evaluation of Neural Sequence Models",
 * section 5, RMS with decay; benkrause/dynamic-evaluation): after each window is scored, the weights take
 * one step on that window's loss,
 *   w ← w − lr·g/(RMS + ε) + λ·d ⊙ (w₀ − w),
 * where RMS is the root mean square of each weight's gradient over training windows (gathered once, with the
 * trained weights w₀), and d = RMS / mean_tensors mean(RMS), at most 1/λ, pulls each weight back to w₀ in
 * proportion to how much it moves in training. That normaliser, the mean over the weight tensors of each one's
 * mean RMS, is their code's since 81e7b35 ("hyperparameters now reflect definitions in paper equations"); before,
 * it divided by the sum, so that λ meant less the more weight tensors a model has. A window's score is taken
 * before its own step, so it never uses its own targets. The model's weights are restored afterwards.
 */
export function dynamicPerplexity(
  model: LanguageModel, ids: Int32Array, train: Int32Array, batchSize: number, bptt: number, options: DynamicOptions,
  progress: { onStatsWindow?: WindowProgress; onWindow?: WindowProgress } = {},
): PerplexityResult {
  const rms = gradientRms(model, train, bptt, options.statsWindows, progress.onStatsWindow);
  try {
    return dynamicPerplexityWith(model, ids, rms, batchSize, bptt, options, progress.onWindow);
  } finally {
    tf.dispose(rms);
  }
}

/**
 * `dynamicPerplexity` with the gradient RMS already gathered (`gradientRms`), so that several settings can share
 * it: gathering it takes a pass over the training split, more than a pass of dynamic evaluation over valid.
 */
export function dynamicPerplexityWith(
  model: LanguageModel, ids: Int32Array, rms: tf.Tensor[], batchSize: number, bptt: number, options: Omit<DynamicOptions, 'statsWindows'>,
  onWindow?: WindowProgress,
): PerplexityResult {
  const variables = model.variables();
  const trained = variables.map((v) => tf.clone(v));
  // The step regrouped as w ← (1 − λd)⊙w + λd⊙w₀ − (lr/(RMS + ε))⊙g, with the three factors computed once: three
  // passes over the weights a window instead of eight, which were half of a batch-1 window's time at 2×650.
  const { keep, anchor, negativeStep } = tf.tidy(() => {
    const total = tf.div(tf.addN(rms.map((r) => tf.mean(r))), rms.length) as tf.Scalar;
    const pull = rms.map((r) => tf.mul(tf.minimum(tf.div(r, total), 1 / Math.max(options.lambda, 1e-12)), options.lambda)); // λ·d
    return {
      keep: pull.map((p) => tf.keep(tf.sub(1, p))),
      anchor: pull.map((p, j) => tf.keep(tf.mul(p, trained[j]))),
      negativeStep: rms.map((r) => tf.keep(tf.div(-options.lr, tf.add(r, EPSILON)))),
    };
  });
  const batcher = new StreamBatcher(ids, batchSize, bptt, { exact: true });
  let state: ModelState | null = null;
  let nll = 0;
  try {
    for (let k = 0; k < batcher.numWindows; k++) {
      const window = batcher.window(k);
      const step = gradientStep(model, window, state);
      nll += step.nll;
      if (state) tf.dispose(state.layers);
      state = step.state;
      tf.tidy(() => variables.forEach((v, j) => {
        v.assign(tf.addN([tf.mul(keep[j], v), anchor[j], tf.mul(negativeStep[j], step.grads[v.name])]));
      }));
      tf.dispose(Object.values(step.grads));
      onWindow?.(k + 1, batcher.numWindows);
    }
  } finally {
    if (state) tf.dispose(state.layers);
    variables.forEach((v, j) => v.assign(trained[j]));
    tf.dispose([...trained, ...keep, ...anchor, ...negativeStep]);
  }
  const tokens = batcher.predictedTokens;
  return { perplexity: Math.exp(nll / tokens), nll, tokens };
}

/** RMS of each weight's gradient over (up to `maxWindows`) training windows, no dropout, the weights fixed. */
export function gradientRms(
  model: LanguageModel, train: Int32Array, bptt: number, maxWindows: number | null, onWindow?: WindowProgress,
): tf.Tensor[] {
  const batcher = new StreamBatcher(train, Math.min(TRAINING_STREAMS, train.length - 1), bptt, { exact: true });
  const windows = maxWindows === null ? batcher.numWindows : Math.min(maxWindows, batcher.numWindows);
  const variables = model.variables();
  let squares: tf.Tensor[] = variables.map((v) => tf.zeros(v.shape));
  let state: ModelState | null = null;
  for (let k = 0; k < windows; k++) {
    const step = gradientStep(model, batcher.window(k), state);
    if (state) tf.dispose(state.layers);
    state = step.state;
    const next = tf.tidy(() => variables.map((v, j) => tf.add(squares[j], tf.square(step.grads[v.name]))));
    tf.dispose([...squares, ...Object.values(step.grads)]);
    squares = next;
    onWindow?.(k + 1, windows);
  }
  if (state) tf.dispose(state.layers);
  const rms = tf.tidy(() => squares.map((s) => tf.sqrt(tf.div(s, windows))));
  tf.dispose(squares);
  return rms;
}

/** A window's summed nll (before any update), the gradient of its mean nll, and the state after it. */
function gradientStep(model: LanguageModel, window: Window, state: ModelState | null): { nll: number; grads: tf.NamedTensorMap; state: ModelState } {
  const after: { state?: ModelState } = {};
  const { value, grads } = tf.tidy(() => {
    const inputs = tf.tensor2d(window.inputs, [window.batchSize, window.steps], 'int32');
    const targets = tf.tensor1d(window.targets, 'int32');
    const weights: tf.Tensor1D | null = window.mask ? tf.tensor1d(window.mask) : null;
    return model.variableGrads(inputs, (lookup) => {
      const features = model.features(inputs, state, null, { lookup });
      after.state = { layers: features.state.layers.map((layer) => layer.map((s) => tf.keep(s))) };
      return outputCrossEntropy(features.hidden, model.output, targets, weights, window.tokens);
    });
  });
  const nll = value.dataSync()[0] * window.tokens;
  value.dispose();
  return { nll, grads, state: after.state as ModelState };
}
