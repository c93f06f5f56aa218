import * as tf from '@tensorflow/tfjs';
import { dropoutMask, embeddingDropoutMask, recurrentMasks, sequenceDropout } from '../../src/layers/dropout';

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
