import * as tf from '@tensorflow/tfjs';
import alea from 'seedrandom/lib/alea';
import { loadProcessAddon } from '../../src/backend/process-addon';
import {
  AleaState, dropoutMask, embeddingDropoutMask, fillMask, recurrentMasks, sequenceDropout, useNativeMaskFill,
} from '../../src/layers/dropout';

const addon = loadProcessAddon();
if (typeof addon === 'string' && process.env.CI) throw new Error(`CI expects the process addon's mask loop, but the addon is ${addon}`);
const testIfAddon = typeof addon === 'string' ? test.skip : test;

const ones = (shape: [number, number, number]): tf.Tensor3D => tf.ones(shape) as tf.Tensor3D;

test('a mask is step(u − rate) / (1 − rate) over the seeded uniform u, as TensorFlow ops compute it, value for value', () => {
  // The masks a run draws (and a resume draws again) are tfjs's seeded stream's: so they stay when its draw moves.
  for (const [rate, seed, shape] of [[0.5, 3, [7, 1, 300]], [0.3, 17, [7, 1, 300]], [0.65, 1111, [7, 1, 300]], [0.1, 42, [7, 1, 300]],
    [0.5, 2024001, [65, 260]]] as [number, number, number[]][]) {
    const reference = tf.tidy(() => tf.div(tf.step(tf.sub(tf.randomUniform(shape, 0, 1, 'float32', seed), rate)), 1 - rate));
    const mask = dropoutMask(shape, rate, seed);
    expect(mask.shape).toEqual(shape);
    expect(mask.dtype).toBe('float32');
    expect(Array.from(mask.dataSync())).toEqual(Array.from(reference.dataSync()));
    const dropped = Array.from(mask.dataSync()).filter((v) => v === 0).length / mask.size;
    expect(Math.abs(dropped - rate)).toBeLessThan(0.1);
    tf.dispose([reference, mask]);
  }
});

test('variational dropout: the same mask at every time step of a window, a different one in the next window', () => {
  const window1 = sequenceDropout(ones([4, 6, 32]), 0.5, 'variational', 101).arraySync() as number[][][];
  const window2 = sequenceDropout(ones([4, 6, 32]), 0.5, 'variational', 102).arraySync() as number[][][];
  for (const sequence of window1) for (const step of sequence) expect(step).toEqual(sequence[0]);
  expect(window1).not.toEqual(window2);
  const values = new Set(window1.flat(2));
  expect([...values].sort()).toEqual([0, 2]); // inverted dropout: kept units scaled by 1/(1−p)
});

test('standard dropout: a new mask at every time step', () => {
  const out = sequenceDropout(ones([2, 5, 64]), 0.5, 'standard', 7).arraySync() as number[][][];
  expect(out[0][1]).not.toEqual(out[0][0]);
});

test('recurrent masks: variational reuses one mask, standard draws one per step', () => {
  const variational = recurrentMasks(3, 40, 0.3, 'variational', 5)!;
  expect(variational(0).arraySync()).toEqual(variational(9).arraySync());
  const standard = recurrentMasks(3, 40, 0.3, 'standard', 5)!;
  expect(standard(0).arraySync()).not.toEqual(standard(1).arraySync());
  expect(recurrentMasks(3, 40, 0, 'variational', 5)).toBeUndefined();
});

test('embedding dropout drops whole word types: every occurrence of a word gets the same factor', () => {
  const ids = tf.tensor2d([[1, 2, 1, 3, 1, 2, 4, 4]], [1, 8], 'int32');
  const mask = (embeddingDropoutMask(ids, 10, 0.5, 11).arraySync() as number[][][])[0].map((v) => v[0]);
  const byWord = new Map<number, Set<number>>();
  [1, 2, 1, 3, 1, 2, 4, 4].forEach((word, k) => byWord.set(word, (byWord.get(word) ?? new Set()).add(mask[k])));
  for (const factors of byWord.values()) expect(factors.size).toBe(1);
});

testIfAddon('the process addon\'s mask loop gives the JavaScript loop\'s masks, value for value, and TensorFlow\'s', () => {
  const native = addon as Exclude<typeof addon, string>;
  const state = (seed: number): AleaState => alea(String(seed), { state: true }).state() as unknown as AleaState;
  for (const [rate, seed, size] of [[0.5, 1, 0], [0.5, 2, 1], [0.3, 3, 2], [0.65, 4, 3], [0.1, 5, 1001], [0.5, 2024001, 650 * 2600]]) {
    const threshold = Math.fround(rate);
    const kept = Math.fround(1 / Math.fround(1 - rate));
    const seeded = state(seed); // fillMask reads it into locals and leaves it as it was
    const expected = new Float32Array(size);
    fillMask(expected, seeded, threshold, kept);
    const { c, s0, s1, s2 } = seeded;
    // A view into a larger buffer: the addon writes from the view's offset, and only its length.
    const buffer = new Float32Array(size + 8).fill(-1);
    const view = buffer.subarray(4, 4 + size);
    expect(native.fillDropoutMask(view, c, s0, s1, s2, threshold, kept)).toBe(true);
    expect(view.findIndex((v, i) => !Object.is(v, expected[i]))).toBe(-1); // the first index where they differ
    expect([...buffer.subarray(0, 4), ...buffer.subarray(4 + size)]).toEqual(new Array(8).fill(-1));
  }
  // A state off alea's 2^−32 grid, or a carry out of its range, is refused.
  expect(native.fillDropoutMask(new Float32Array(4), 1, 0.1, 0.2, 0.3, 0.5, 2)).toBe(false);
  expect(native.fillDropoutMask(new Float32Array(4), 2 ** 30, 0.5, 0.25, 0.125, 0.5, 2)).toBe(false);
  // The backend (test/setup.ts selects it) installed it: dropoutMask draws TensorFlow's seeded masks through it.
  let calls = 0;
  const installed = useNativeMaskFill((...args) => {
    calls += 1;
    return installedFill(...args);
  });
  const installedFill = installed as NonNullable<typeof installed>;
  try {
    expect(installed).not.toBeNull();
    const reference = tf.tidy(() => tf.div(tf.step(tf.sub(tf.randomUniform([65, 260], 0, 1, 'float32', 77), 0.4)), 0.6));
    const mask = dropoutMask([65, 260], 0.4, 77);
    expect(calls).toBe(1);
    expect(Array.from(mask.dataSync())).toEqual(Array.from(reference.dataSync()));
    tf.dispose([reference, mask]);
  } finally {
    useNativeMaskFill(installed);
  }
});

test('with one seed per replica, each block of rows gets the mask that block alone draws from its seed', () => {
  const seeds = [11, 12, 13];
  const blocks = (t: tf.Tensor): number[][] => tf.split(t, seeds.length, 0).map((block) => Array.from(block.dataSync()));
  for (const kind of ['variational', 'standard'] as const) {
    expect(blocks(sequenceDropout(ones([6, 4, 8]), 0.5, kind, seeds)))
      .toEqual(seeds.map((seed) => Array.from(sequenceDropout(ones([2, 4, 8]), 0.5, kind, seed).dataSync())));
    const stacked = recurrentMasks(6, 8, 0.4, kind, seeds)!;
    for (const t of [0, 3]) {
      expect(blocks(stacked(t))).toEqual(seeds.map((seed) => Array.from(recurrentMasks(2, 8, 0.4, kind, seed)!(t).dataSync())));
    }
  }
  // Embedding dropout: each replica's rows are gathered from its own vocabulary mask.
  const rows = [[1, 2, 3, 1], [4, 1, 2, 5]];
  const ids = tf.tensor2d([...rows, ...rows, ...rows], [6, 4], 'int32');
  const alone = seeds.map((seed) => Array.from(embeddingDropoutMask(tf.tensor2d(rows, [2, 4], 'int32'), 10, 0.5, seed).dataSync()));
  expect(blocks(embeddingDropoutMask(ids, 10, 0.5, seeds))).toEqual(alone);
  expect(new Set(alone.map((mask) => mask.join()))).toHaveProperty('size', 3); // the replicas' masks differ
  expect(() => sequenceDropout(ones([5, 4, 8]), 0.5, 'variational', seeds)).toThrow('a batch of 5 rows cannot hold 3 equal replicas');
});
