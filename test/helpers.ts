import * as tf from '@tensorflow/tfjs';

/** A small deterministic PRNG (mulberry32) so every test draws the same numbers on every run. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform(−scale, scale) values in a flat array. */
export function randomArray(next: () => number, size: number, scale = 1): number[] {
  return Array.from({ length: size }, () => (next() * 2 - 1) * scale);
}

export function randomTensor(next: () => number, shape: number[], scale = 1): tf.Tensor {
  return tf.tensor(randomArray(next, shape.reduce((a, b) => a * b, 1), scale), shape);
}

/** Largest |a−b| relative to the largest |b|: the yardstick of the equivalence and gradient tests. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let scale = 0;
  for (let k = 0; k < a.length; k++) {
    diff = Math.max(diff, Math.abs(a[k] - b[k]));
    scale = Math.max(scale, Math.abs(b[k]));
  }
  return diff / Math.max(scale, 1e-12);
}
