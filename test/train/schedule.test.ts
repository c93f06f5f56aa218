import * as tf from '@tensorflow/tfjs';
import { clipByGlobalNorm } from '../../src/train/clip';
import { afterValidation, scheduledLearningRate } from '../../src/train/schedule';

test('fixed decay multiplies by lrDecay each epoch after decayStart (Zaremba)', () => {
  const config = { schedule: 'fixed' as const, lr: 1, lrDecay: 0.5, decayStart: 4 };
  expect([1, 2, 3, 4, 5, 6].map((e) => scheduledLearningRate(config, e, 1))).toEqual([1, 1, 1, 1, 0.5, 0.25]);
});

test('plateau divides by 4 only when validation did not improve', () => {
  const config = { schedule: 'plateau' as const, lr: 20, lrDecay: 1, decayStart: 0 };
  expect(afterValidation(config, 20, true)).toBe(20);
  expect(afterValidation(config, 20, false)).toBe(5);
  expect(afterValidation({ ...config, schedule: 'none' }, 20, false)).toBe(20);
});

test('global-norm clipping scales all gradients together, and only above the threshold', () => {
  const grads = { a: tf.tensor1d([3, 0]), b: tf.tensor1d([0, 4]) }; // global norm 5
  const clipped = clipByGlobalNorm(grads, 1);
  expect(clipped.norm.dataSync()[0]).toBeCloseTo(5, 5);
  expect(Array.from(clipped.grads.a.dataSync())[0]).toBeCloseTo(0.6, 5);
  expect(Array.from(clipped.grads.b.dataSync())[1]).toBeCloseTo(0.8, 5);
  const untouched = clipByGlobalNorm(grads, 10);
  expect(Array.from(untouched.grads.b.dataSync())).toEqual([0, 4]);
});
