import * as tf from '@tensorflow/tfjs';
import { clipFactor, globalNorm, scaleGradients } from '../../src/train/clip';
import { applyClipped, createOptimizer } from '../../src/train/optimizers';
import { addWeightDecay } from '../../src/train/weight-decay';
import { relativeError } from '../helpers';
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
  expect(globalNorm(grads).dataSync()[0]).toBeCloseTo(5, 5);
  const factor = clipFactor(5, 1);
  expect(factor).toBeCloseTo(0.2, 6);
  const clipped = scaleGradients(grads, factor);
  expect(Array.from(clipped.a.dataSync())[0]).toBeCloseTo(0.6, 5);
  expect(Array.from(clipped.b.dataSync())[1]).toBeCloseTo(0.8, 5);
  expect(clipFactor(5, 10)).toBe(1);
  expect(scaleGradients(grads, clipFactor(5, 10))).toBe(grads);
  expect([0, -1, Infinity].map((off) => clipFactor(1e9, off))).toEqual([1, 1, 1]);
});

test('the global norm of large gradients is √Σ sum(g²), whichever kernel sums the squares', () => {
  const grads = { w: tf.randomNormal([300, 700], 0, 1, 'float32', 5), b: tf.randomNormal([700], 0, 3, 'float32', 6), e: tf.randomUniform([5000, 40], -2, 2, 'float32', 7) };
  const reference = Math.sqrt(Object.values(grads).reduce((sum, g) => sum + Array.from(g.dataSync()).reduce((s, v) => s + v * v, 0), 0));
  const before = tf.memory().numTensors;
  const norm = globalNorm(grads);
  expect(relativeError(norm.dataSync(), [reference])).toBeLessThan(1e-5);
  norm.dispose();
  expect(tf.memory().numTensors).toBe(before);
  tf.dispose(Object.values(grads));
});

test('plain SGD folds the clip factor into its step, and ends where it would with clipped gradients', () => {
  const start = [0.5, -1, 2];
  const g = { w: tf.tensor1d([3, 0, 4]) }; // norm 5, clipped to 1
  const factor = clipFactor(5, 1);
  const results = (['sgd', 'ntasgd', 'adam'] as const).flatMap((name) => [0, 0.1].map((decay) => {
    const folded = tf.variable(tf.tensor1d(start), true, `folded-${name}-${decay}`);
    const reference = tf.variable(tf.tensor1d(start), true, `reference-${name}-${decay}`);
    const foldedOptimizer = createOptimizer(name, 2);
    const referenceOptimizer = createOptimizer(name, 2);
    applyClipped(foldedOptimizer, name, { [folded.name]: g.w }, factor, [folded], decay);
    referenceOptimizer.applyGradients(addWeightDecay({ [reference.name]: tf.mul(g.w, factor) }, [reference], decay));
    // The step size is restored after the folded step.
    expect((foldedOptimizer as unknown as { learningRate: number }).learningRate).toBe(2);
    return { name, decay, error: relativeError(folded.dataSync(), reference.dataSync()) };
  }));
  for (const r of results) expect({ ...r, ok: r.error < 1e-6 }).toEqual({ ...r, ok: true });
});
