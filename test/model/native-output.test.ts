import * as tf from '@tensorflow/tfjs';
import { bf16Support } from '../../src';
import { loadOnednn } from '../../src/backend/onednn';
import { KernelChoice, Precision } from '../../src/config';
import { kernelChoice, setKernelChoice } from '../../src/layers/kernel-choice';
import { OnednnAddon } from '../../src/layers/onednn/addon';
import { OutputLayout, outputCrossEntropy, outputNll } from '../../src/model/loss';
import { nativeOutput } from '../../src/model/native-output';
import { randomTensor, relativeError, rng } from '../helpers';

/**
 * The output layer and softmax cross-entropy on oneDNN (native/onednn/output.cc) compute what the tfjs
 * composition computes: loss, per-token NLL and the gradients of h, W and b, to 1e-5 relative in float32 and
 * to bfloat16's resolution in bf16, in both weight layouts, with and without per-position weights.
 */
const loaded = loadOnednn();
const addon = typeof loaded === 'string' ? null : loaded;
if (!addon && process.env.CI) throw new Error(`CI expects the oneDNN kernels, but they are ${loaded}`);
const describeOnednn = addon ? describe : describe.skip;
const bf16 = bf16Support() === true && kernelChoice().precision === 'fp32';

/** Runs `f` with the kernel setting (and precision) given, then puts the setting back. */
function withKernel<T>(kernel: KernelChoice, precision: Precision, f: () => T): T {
  const saved = kernelChoice();
  setKernelChoice(kernel, precision, kernel === 'explicit' ? saved.onednn : addon);
  try {
    return f();
  } finally {
    setKernelChoice(saved.kernel, saved.precision, saved.onednn);
  }
}

const [ROWS, HIDDEN, VOCAB] = [24, 10, 37];
/** Rows enough for the float32 products to read W packed (`packWeights` in output.cc: from 512 rows). */
const PACKED_ROWS = 520;

/** Loss, gradients of (h, W, b) and per-token NLL under one kernel setting. */
function everything(layout: OutputLayout, weighted: boolean, seed: number, rows = ROWS): (kernel: KernelChoice, precision: Precision) => Float32Array[] {
  const next = rng(seed);
  const hidden = randomTensor(next, [rows, HIDDEN], 2) as tf.Tensor2D;
  const weight = randomTensor(next, layout === 'vocab-rows' ? [VOCAB, HIDDEN] : [HIDDEN, VOCAB], 1) as tf.Tensor2D;
  const bias = randomTensor(next, [VOCAB], 0.5) as tf.Tensor1D;
  // Repeated targets: the scatters must add, not overwrite.
  const targets = tf.tensor1d(Array.from({ length: rows }, (_, n) => (n * 7) % 11), 'int32');
  const weights = weighted ? tf.tensor1d(Array.from({ length: rows }, (_, n) => (n % 5 === 0 ? 0 : n % 3 === 0 ? 0.5 : 1))) : null;
  return (kernel, precision) => withKernel(kernel, precision, () => tf.tidy(() => {
    const output = (w: tf.Tensor, b: tf.Tensor) => ({ weight: w as tf.Tensor2D, layout, bias: b as tf.Tensor1D });
    const loss = (h: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Scalar => outputCrossEntropy(h as tf.Tensor2D, output(w, b), targets, weights, 20);
    const { value, grads } = tf.valueAndGrads(loss)([hidden, weight, bias]);
    return [value, ...grads, outputNll(hidden, output(weight, bias), targets)].map((t) => t.dataSync() as Float32Array);
  }));
}

const NAMES = ['loss', 'dHidden', 'dWeight', 'dBias', 'nll'];

describeOnednn.each<[OutputLayout, boolean]>([
  ['vocab-rows', false],
  ['vocab-columns', false],
  ['vocab-rows', true],
  ['vocab-columns', true],
])('output layer on oneDNN, %s weights (position weights: %s)', (layout, weighted) => {
  test.each([ROWS, PACKED_ROWS])('float32, %i rows: loss, NLL and every gradient equal the tfjs composition to 1e-5', (rows) => {
    const run = everything(layout, weighted, layout === 'vocab-rows' ? 31 : 32, rows);
    const [composed, native] = [run('explicit', 'fp32'), run('onednn', 'fp32')];
    NAMES.forEach((name, k) => expect({ name, rows, ok: relativeError(native[k], composed[k]) < 1e-5 }).toEqual({ name, rows, ok: true }));
  });

  (bf16 ? test : test.skip)('bf16: the same within bfloat16 resolution (8 bits of mantissa)', () => {
    const run = everything(layout, weighted, 33);
    const [composed, native] = [run('explicit', 'fp32'), run('onednn', 'bf16')];
    NAMES.forEach((name, k) => {
      const error = relativeError(native[k], composed[k]);
      expect({ name, ok: error < 3e-2 }).toEqual({ name, ok: true });
    });
    // bfloat16 products leave a visible trace; a mis-wired product would be off by far more.
    expect(relativeError(native[1], composed[1])).toBeGreaterThan(0);
  });
});

describeOnednn('output layer on oneDNN', () => {
  test('runs with --kernel auto and onednn, and not with explicit or fused', () => {
    expect(withKernel('auto', 'fp32', () => nativeOutput()?.addon)).toBe(addon);
    expect(withKernel('onednn', 'fp32', () => nativeOutput()?.bf16)).toBe(false);
    expect(withKernel('explicit', 'fp32', () => nativeOutput())).toBeNull();
    expect(withKernel('fused', 'fp32', () => nativeOutput())).toBeNull();
  });

  test('stays finite for logits far beyond exp’s float32 range, and leaves no tensor behind', () => {
    withKernel('onednn', 'fp32', () => {
      const hidden = tf.tensor2d([[100, -100], [-100, 100]]);
      const weight = tf.tensor2d([[5, 0], [0, 5], [1, 1]]);
      const bias = tf.zeros([3]) as tf.Tensor1D;
      const targets = tf.tensor1d([1, 1], 'int32');
      const before = tf.memory().numTensors;
      const { value, grads } = tf.valueAndGrads((h: tf.Tensor) => outputCrossEntropy(h as tf.Tensor2D, { weight, layout: 'vocab-rows', bias }, targets, null, 2))([hidden]);
      // Row 0: logits (500, −500, 0), target 1 → nll = 1000; row 1: target is the max → nll ≈ 0.
      expect(value.dataSync()[0]).toBeCloseTo(500, 3);
      expect(Array.from(grads[0].dataSync()).every(Number.isFinite)).toBe(true);
      tf.dispose([value, ...grads]);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([hidden, weight, bias, targets]);
    });
  });

  test.each<Precision>(bf16 ? ['fp32', 'bf16'] : ['fp32'])(
    '%s: the arrays kept between the passes (P, W\'s bf16 copy), reused from step to step, never mix', (precision) => {
      const next = rng(41);
      const weights = [0, 1].map(() => randomTensor(next, [VOCAB, HIDDEN], 1) as tf.Tensor2D);
      const bias = randomTensor(next, [VOCAB], 0.5) as tf.Tensor1D;
      const targets = tf.tensor1d(Array.from({ length: ROWS }, (_, n) => (n * 5) % VOCAB), 'int32');
      const loss = (h: tf.Tensor, weight: tf.Tensor): tf.Scalar =>
        outputCrossEntropy(h as tf.Tensor2D, { weight: weight as tf.Tensor2D, layout: 'vocab-rows', bias }, targets, null, ROWS);
      // Both forwards (with different weights) run before either backward, so each backward must read its own arrays.
      const twoLosses = (first: tf.Tensor, second: tf.Tensor, w0: tf.Tensor, w1: tf.Tensor): tf.Scalar =>
        tf.add(loss(first, w0), tf.mul(2, loss(second, w1)));
      const inputs = [0, 1, 2].map(() => randomTensor(next, [ROWS, HIDDEN], 2));
      const run = (kernel: KernelChoice, at: Precision): Float32Array[] => withKernel(kernel, at, () => tf.tidy(() => {
        const pair = tf.grads(twoLosses)([...inputs.slice(0, 2), ...weights]);
        const after = tf.grads((h: tf.Tensor, w: tf.Tensor) => loss(h, w))([inputs[2], weights[1]]);
        return [...pair, ...after].map((t) => t.dataSync() as Float32Array);
      }));
      const [composed, native] = [run('explicit', 'fp32'), run('onednn', precision)];
      composed.forEach((expected, k) => expect(relativeError(native[k], expected)).toBeLessThan(precision === 'fp32' ? 1e-5 : 3e-2));
      tf.dispose([...weights, bias, targets, ...inputs]);
    });

  (bf16 ? test : test.skip)('bf16 inference: W\'s bfloat16 copy, kept while W is unchanged, follows each new W', () => {
    const next = rng(43);
    const weights = [0, 1].map(() => randomTensor(next, [VOCAB, HIDDEN], 1) as tf.Tensor2D);
    const bias = randomTensor(next, [VOCAB], 0.5) as tf.Tensor1D;
    const hidden = randomTensor(next, [ROWS, HIDDEN], 2) as tf.Tensor2D;
    const targets = tf.tensor1d(Array.from({ length: ROWS }, (_, n) => (n * 3) % VOCAB), 'int32');
    const nll = (weight: tf.Tensor2D, kernel: KernelChoice, precision: Precision): Float32Array => withKernel(kernel, precision, () =>
      tf.tidy(() => outputNll(hidden, { weight, layout: 'vocab-rows', bias }, targets).dataSync() as Float32Array));
    // W₀, W₀ again (the kept copy), W₁ (a new one), W₀ (converted again).
    for (const k of [0, 0, 1, 0]) expect(relativeError(nll(weights[k], 'onednn', 'bf16'), nll(weights[k], 'explicit', 'fp32'))).toBeLessThan(3e-2);
    tf.dispose([...weights, bias, hidden, targets]);
  });

  test('a target outside the vocabulary, or a mis-sized array, is refused with a message naming it', () => {
    const sizes = { rows: 2, hidden: 3, vocab: 4, bf16: false, vocabRows: true, training: false };
    const ok = { h: new Float32Array(6), w: new Float32Array(12), b: new Float32Array(4), targets: Int32Array.from([0, 3]) };
    const native = addon as OnednnAddon;
    expect(() => native.outputForward({ ...sizes, ...ok })).not.toThrow();
    expect(() => native.outputForward({ ...sizes, ...ok, targets: Int32Array.from([0, 4]) }))
      .toThrow('oneDNN addon: targets[1] is 4, outside the vocabulary of 4');
    expect(() => native.outputForward({ ...sizes, ...ok, w: new Float32Array(11) })).toThrow('oneDNN addon: w holds 11 elements, expected 12');
    expect(() => native.outputForward({ ...sizes, ...ok, training: true, probabilities: new Int32Array(7) }))
      .toThrow('oneDNN addon: probabilities holds 7 elements, expected at least 8');
    if (bf16Support() !== true) return;
    const bf16Training = { ...sizes, ...ok, bf16: true, training: true, probabilities: new Int32Array(4) };
    expect(() => native.outputForward({ ...bf16Training, weights16: new Int32Array(6) })).not.toThrow();
    expect(() => native.outputForward(bf16Training)).toThrow('oneDNN addon: weights16 must be an Int32Array');
    expect(() => native.outputForward({ ...bf16Training, weights16: new Int32Array(5) }))
      .toThrow('oneDNN addon: weights16 holds 5 elements, expected at least 6');
  });
});
