import * as tf from '@tensorflow/tfjs';
import alea from 'seedrandom/lib/alea';
import { DropoutKind } from '../config/names';

/*
 * `variational`: one mask per sequence and window, reused at every time step (Gal & Ghahramani 2016;
 * "locked dropout" in AWD-LSTM). `standard`: a fresh mask at every time step (Zaremba et al. 2014).
 */

/** Alea's state (seedrandom's lib/alea.js): a carry and three numbers in [0, 1). */
export type AleaState = { c: number; s0: number; s1: number; s2: number };

/**
 * Fills `values` from alea's state: `kept` where the draw exceeds `threshold` in float32, else 0. Returns false if
 * it could not (then the loop below runs). Node installs the process addon's copy of the loop
 * (native/process/process.cc, `fillDropoutMask`), which gives the same values.
 */
export type MaskFill = (values: Float32Array, state: AleaState, threshold: number, kept: number) => boolean;

let nativeFill: MaskFill | null = null;

/**
 * Installs (or with null removes) a native mask fill and returns the one it replaces; src/backend.ts installs the
 * process addon's when it loads.
 */
export function useNativeMaskFill(fill: MaskFill | null): MaskFill | null {
  const previous = nativeFill;
  nativeFill = fill;
  return previous;
}

/**
 * Inverted dropout mask: 0 with probability `rate`, else 1/(1−rate), so activations keep their expectation.
 * Kept where u > rate for seeded uniform u in float32: the values of step(u − rate) / (1 − rate) as TensorFlow
 * ops, and u the stream `tf.randomUniform(shape, 0, 1, 'float32', seed)` draws: seedrandom's alea (the version
 * tfjs-core uses) seeded with the seed's text, so runs keep their masks. Its recurrence runs in a loop from the
 * seeded state (`fillMask`): tfjs's draw through alea's closure, its copy out and a pass to threshold it took
 * 84 ms for a 650 × 2,600 weight-drop mask, three of which (650, 650, 400 units) were ~15% of an `awd-medium`
 * step (Intel Xeon family 6 model 207); with the loop in JavaScript 44 ms, with the process addon's 7 ms.
 */
export function dropoutMask(shape: number[], rate: number, seed: number): tf.Tensor {
  const state = alea(String(seed), { state: true }).state() as AleaState;
  const threshold = Math.fround(rate);
  const kept = Math.fround(1 / Math.fround(1 - rate));
  const values = new Float32Array(shape.reduce((size, n) => size * n, 1));
  if (!nativeFill?.(values, state, threshold, kept)) fillMask(values, state, threshold, kept);
  return tf.tensor(values, shape, 'float32');
}

/** The mask's loop: alea's recurrence (seedrandom's lib/alea.js) in local variables, each draw thresholded. */
export function fillMask(values: Float32Array, state: AleaState, threshold: number, kept: number): void {
  let { c, s0, s1, s2 } = state;
  for (let i = 0; i < values.length; i++) {
    const t = 2091639 * s0 + c * 2.3283064365386963e-10; // 2^−32
    s0 = s1;
    s1 = s2;
    c = Math.trunc(t); // alea's t | 0 (0 ≤ t < 2^31), without a round trip through an integer register
    s2 = t - c;
    values[i] = Math.fround(s2) > threshold ? kept : 0;
  }
}

/**
 * The seeds of a window's masks: one, or one per replica when the batch stacks replicas of the same streams
 * (Monte-Carlo dropout's passes, src/eval/mc-dropout.ts). Replica r is the r-th block of batch/K rows, and its
 * mask is the one a batch of those rows alone would draw from seeds[r], so stacking passes changes no mask.
 */
export type MaskSeeds = number | readonly number[];

/** `draw(seed, rows, first)` for each replica's block of `rows` rows from row `first`, stacked along the batch. */
function perReplica(seeds: MaskSeeds, batch: number, draw: (seed: number, rows: number, first: number) => tf.Tensor): tf.Tensor {
  if (typeof seeds === 'number') return draw(seeds, batch, 0);
  if (batch % seeds.length !== 0) throw new Error(`a batch of ${batch} rows cannot hold ${seeds.length} equal replicas`);
  const rows = batch / seeds.length;
  if (seeds.length === 1) return draw(seeds[0], rows, 0);
  return tf.tidy(() => tf.concat(seeds.map((seed, replica) => draw(seed, rows, replica * rows)), 0));
}

/** Each seed plus `offset`: the seeds of one mask of the window. */
export function offsetSeeds(seeds: MaskSeeds, offset: number): MaskSeeds {
  return typeof seeds === 'number' ? seeds + offset : seeds.map((seed) => seed + offset);
}

/**
 * Dropout on a [batch, time, features] sequence. Variational: the mask has shape [batch, 1, features] and
 * broadcasts over time; standard: [batch, time, features].
 */
export function sequenceDropout(x: tf.Tensor3D, rate: number, kind: DropoutKind, seeds: MaskSeeds): tf.Tensor3D {
  if (rate === 0) return x;
  const [batch, time, features] = x.shape;
  const mask = perReplica(seeds, batch, (seed, rows) => dropoutMask([rows, kind === 'variational' ? 1 : time, features], rate, seed));
  return tf.mul(x, mask) as tf.Tensor3D;
}

/**
 * Recurrent dropout on the h fed back into the cell: variational returns one [batch, units] mask for every
 * step of the window; standard a new mask per step.
 */
export function recurrentMasks(
  batch: number, units: number, rate: number, kind: DropoutKind, seeds: MaskSeeds,
): ((t: number) => tf.Tensor2D) | undefined {
  if (rate === 0) return undefined;
  if (kind === 'variational') {
    const mask = perReplica(seeds, batch, (seed, rows) => dropoutMask([rows, units], rate, seed)) as tf.Tensor2D;
    return () => mask;
  }
  return (t: number) => perReplica(seeds, batch, (seed, rows) => dropoutMask([rows, units], rate, seed + 7919 * (t + 1))) as tf.Tensor2D;
}

/**
 * Embedding dropout (Gal & Ghahramani 2016, section 4.2): whole word types are dropped — every occurrence of
 * a dropped word in the window gets a zero vector. Returns a [batch, time, 1] multiplier for the looked-up
 * embeddings: the mask over the vocabulary gathered at the window's ids (cheaper than masking the matrix);
 * each replica gathers from its own mask.
 */
export function embeddingDropoutMask(ids: tf.Tensor2D, vocabSize: number, rate: number, seeds: MaskSeeds): tf.Tensor3D {
  return tf.tidy(() => {
    const [batch, time] = ids.shape;
    const gathered = perReplica(seeds, batch, (seed, rows, first) =>
      tf.gather(dropoutMask([vocabSize], rate, seed), rows === batch ? ids : tf.slice(ids, [first, 0], [rows, time])));
    return tf.expandDims(gathered, 2) as tf.Tensor3D;
  });
}
