import * as tf from '@tensorflow/tfjs';
import { StreamBatcher, Window } from '../data/batches';
import { onednnInForce } from '../layers/kernel-choice';
import { OnednnAddon } from '../layers/onednn/addon';
import { host, rememberHostWeight } from '../layers/onednn/host';
import { reusingOutputArrays } from '../layers/onednn/reused-outputs';
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
  const weightStep = stepper(variables, trained, rms, options);
  const batcher = new StreamBatcher(ids, batchSize, bptt, { exact: true });
  let state: ModelState | null = null;
  let nll = 0;
  try {
    for (let k = 0; k < batcher.numWindows; k++) {
      // The addon's large gradients go into reused arrays: each window's are disposed inside.
      const scored = reusingOutputArrays(() => {
        const step = gradientStep(model, batcher.window(k), state);
        weightStep.apply(step.grads);
        tf.dispose(Object.values(step.grads));
        return step;
      });
      nll += scored.nll;
      if (state) tf.dispose(state.layers);
      state = scored.state;
      onWindow?.(k + 1, batcher.numWindows);
    }
  } finally {
    if (state) tf.dispose(state.layers);
    variables.forEach((v, j) => v.assign(trained[j]));
    tf.dispose(trained);
    weightStep.dispose();
  }
  const tokens = batcher.predictedTokens;
  return { perplexity: Math.exp(nll / tokens), nll, tokens };
}

/** One window's step on every weight, given the window's gradients, and what it holds until disposed. */
interface WeightStep {
  apply(grads: tf.NamedTensorMap): void;
  dispose(): void;
}

/** The step's constant factors for one weight tensor: w ← keep⊙w + anchor + step⊙g (a type, so tf.tidy can return it). */
type StepFactors = { keep: tf.Tensor; anchor: tf.Tensor; step: tf.Tensor };

/**
 * The step regrouped as w ← (1 − λd)⊙w + λd⊙w₀ − (lr/(RMS + ε))⊙g, with the three factors computed once: three
 * passes over the weights a window instead of eight, which were half of a batch-1 window's time at 2×650. On the
 * addon where its kernels are in force, else as tfjs ops.
 */
function stepper(variables: tf.Variable[], trained: tf.Tensor[], rms: tf.Tensor[], options: Omit<DynamicOptions, 'statsWindows'>): WeightStep {
  const factors = tf.tidy(() => {
    const total = tf.div(tf.addN(rms.map((r) => tf.mean(r))), rms.length) as tf.Scalar;
    return rms.map((r, j): StepFactors => {
      const pull = tf.mul(tf.minimum(tf.div(r, total), 1 / Math.max(options.lambda, 1e-12)), options.lambda); // λ·d
      return { keep: tf.keep(tf.sub(1, pull)), anchor: tf.keep(tf.mul(pull, trained[j])), step: tf.keep(tf.div(-options.lr, tf.add(r, EPSILON))) };
    });
  });
  const addon = onednnInForce();
  return addon ? nativeStepper(addon, variables, factors) : tfjsStepper(variables, factors);
}

function tfjsStepper(variables: tf.Variable[], factors: StepFactors[]): WeightStep {
  return {
    apply: (grads) => tf.tidy(() => variables.forEach((v, j) => {
      const { keep, anchor, step } = factors[j];
      v.assign(tf.addN([tf.mul(keep, v), anchor, tf.mul(step, grads[v.name])]));
    })),
    dispose: () => tf.dispose(factors.flatMap(({ keep, anchor, step }) => [keep, anchor, step])),
  };
}

/**
 * The step on the addon (native/onednn/dynamic.cc): one pass per weight tensor over arrays kept on the JavaScript
 * side, where the next window's kernels read the weights, instead of three tfjs ops and then a copy of every
 * stepped weight out of TensorFlow. The weights are stepped in a copy, never in the trained weights' own array;
 * the copy changes only inside `apply`, which then replaces the tensor made from it: nothing reads it in between.
 */
function nativeStepper(addon: OnednnAddon, variables: tf.Variable[], factors: StepFactors[]): WeightStep {
  const copy = (t: tf.Tensor): Float32Array => host(t).slice();
  const arrays = variables.map((v, j) => ({ weights: copy(v), keep: copy(factors[j].keep), anchor: copy(factors[j].anchor), step: copy(factors[j].step) }));
  tf.dispose(factors.flatMap(({ keep, anchor, step }) => [keep, anchor, step]));
  return {
    apply: (grads) => variables.forEach((v, j) => {
      addon.dynamicStep({ ...arrays[j], gradient: host(grads[v.name]) });
      const stepped = tf.tensor(arrays[j].weights, v.shape);
      rememberHostWeight(stepped, arrays[j].weights);
      v.assign(stepped);
      stepped.dispose();
    }),
    dispose: () => undefined,
  };
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
    const step = reusingOutputArrays(() => {
      const { grads, ...rest } = gradientStep(model, batcher.window(k), state);
      const next = tf.tidy(() => variables.map((v, j) => tf.add(squares[j], tf.square(grads[v.name]))));
      tf.dispose(Object.values(grads));
      return { ...rest, next };
    });
    if (state) tf.dispose(state.layers);
    state = step.state;
    tf.dispose(squares);
    squares = step.next;
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
