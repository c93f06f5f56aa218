import * as tf from '@tensorflow/tfjs';
import { nativeOpsAvailable } from '../layers/fused/native-ops';
import { nativeCrossEntropy, nativeOutput, nativeTokenNll } from './native-output';

/**
 * Per-position negative log-likelihood of sparse targets: nll_n = logsumexp(logits_n) − logits_n[target_n].
 * No [N, V] one-hot is built; the target logit is read by a flat gather. (TensorFlow's
 * SparseSoftmaxCrossEntropyWithLogits also writes the [N, V] gradient: evaluation ran 40% slower with it.)
 */
export function tokenNll(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => {
    const [rows, vocab] = logits.shape;
    const flatIndex = tf.add(tf.mul(tf.range(0, rows, 1, 'int32'), tf.scalar(vocab, 'int32')), targets);
    const picked = tf.gather(tf.reshape(logits, [-1]), flatIndex);
    return tf.sub(tf.logSumExp(logits, 1), picked) as tf.Tensor1D;
  });
}

/**
 * How the output matrix is stored: `vocab-rows` is [V, H] (the embedding matrix, when tied: logits = h·Eᵀ),
 * `vocab-columns` is [H, V] (an untied projection: logits = h·P).
 */
export type OutputLayout = 'vocab-rows' | 'vocab-columns';

export interface OutputLayer {
  weight: tf.Tensor2D;
  layout: OutputLayout;
  bias: tf.Tensor1D;
}

/** The output matrix as [H, V] for a plain h·W (on wasm a transpose flag makes the product ~15x slower). */
export function hiddenByVocab(output: OutputLayer): tf.Tensor2D {
  return output.layout === 'vocab-rows' ? (tf.transpose(output.weight) as tf.Tensor2D) : output.weight;
}

/**
 * logits = h·W + b as one fused op. A [V, H] matrix is transposed for the product except on the native
 * backend, where the transpose flag is the faster form (medium, [700 × 650]·[650 × 10,000]: 31 against 38 ms
 * in float32, 14 against 27 in bf16).
 */
export function outputLogits(hidden: tf.Tensor2D, output: OutputLayer): tf.Tensor2D {
  if (output.layout === 'vocab-rows' && nativeOpsAvailable()) {
    return tf.fused.matMul({ a: hidden, b: output.weight, transposeB: true, bias: output.bias }) as tf.Tensor2D;
  }
  return tf.fused.matMul({ a: hidden, b: hiddenByVocab(output), bias: output.bias }) as tf.Tensor2D;
}

/**
 * Per-token NLL of `targets` under the output layer: on oneDNN (native-output.ts) where its kernels are in
 * force, else the logits by `outputLogits` and `tokenNll`. For evaluation: nothing is kept for a gradient.
 */
export function outputNll(hidden: tf.Tensor2D, output: OutputLayer, targets: tf.Tensor1D): tf.Tensor1D {
  const native = nativeOutput();
  return native ? nativeTokenNll(native, hidden, output, targets) : tokenNll(outputLogits(hidden, output), targets);
}

/**
 * The output layer and its softmax cross-entropy as one op, L = Σ_n w_n·nll_n / count with logits = h·W + b,
 * for training. The [N, V] tensors are the cost of a word-level LM, so the backward pass never builds
 * softmax − one-hot: with e = exp(logits − max) and s = Σ_v e (both kept from the forward pass),
 * c_n = w_n/count and a_n = w_n/(s_n·count),
 *   ∂L/∂h = a ⊙ (e·Wᵀ) − c ⊙ W_{targets}ᵀ,   ∂L/∂W = (a⊙h)ᵀ·e − scatter(c⊙h → target columns),   ∂L/∂b = aᵀ·e − scatter(c).
 * Each [N, V] tensor is read by a matmul and by nothing else. (On the native backend this beat TensorFlow's
 * SparseSoftmaxCrossEntropyWithLogits, which gives g = softmax − one-hot in one op: small trained 16% faster.)
 * Where oneDNN's kernels are in force, the same equations run on the addon (native-output.ts).
 */
export function outputCrossEntropy(
  hidden: tf.Tensor2D, output: OutputLayer, targets: tf.Tensor1D, weights: tf.Tensor1D | null, count: number,
): tf.Scalar {
  const native = nativeOutput();
  if (native) return nativeCrossEntropy(native, hidden, output, targets, weights, count);
  const vocab = output.bias.shape[0];
  const loss = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [h, weight, bias] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
    const save = args[3] as tf.GradSaveFunc;
    const layer: OutputLayer = { weight, layout: output.layout, bias };
    const logits = outputLogits(h, layer);
    const vocabRows = output.layout === 'vocab-rows' ? weight : tf.transpose(weight);
    const weighted = (nll: tf.Tensor1D): tf.Scalar => tf.div(tf.sum(weights ? tf.mul(nll, weights) : nll), count) as tf.Scalar;
    /** c_n = dy·w_n/count as an [N, 1] column. */
    const rowScale = (dy: tf.Tensor, savedWeights: tf.Tensor1D | null, rows: number): tf.Tensor2D =>
      tf.mul(tf.ones([rows, 1]), savedWeights ? tf.mul(tf.expandDims(savedWeights, 1), tf.div(dy, count)) : tf.div(dy, count)) as tf.Tensor2D;
    const shifted = tf.sub(logits, tf.max(logits, 1, true));
    const e = tf.exp(shifted);
    const s = tf.sum(e, 1, true);
    const [rows] = logits.shape;
    const flatIndex = tf.add(tf.mul(tf.range(0, rows, 1, 'int32'), tf.scalar(vocab, 'int32')), targets);
    const nll = tf.sub(tf.log(tf.reshape(s, [-1])), tf.gather(tf.reshape(shifted, [-1]), flatIndex)) as tf.Tensor1D; // logsumexp − target logit
    // Saved rather than captured: a caller's tidy may free targets/weights before the gradient is taken.
    save([h, vocabRows, e, s, targets, ...(weights ? [weights] : [])]);
    return {
      value: weighted(nll),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedH, savedVocabRows, savedE, savedS] = saved as tf.Tensor2D[];
        const savedTargets = saved[4] as tf.Tensor1D;
        const c = rowScale(dy, (saved[5] ?? null) as tf.Tensor1D | null, rows);
        const a = tf.div(c, savedS) as tf.Tensor2D;
        const dHidden = tf.sub(tf.mul(a, tf.matMul(savedE, savedVocabRows)), tf.mul(c, tf.gather(savedVocabRows, savedTargets)));
        const scatteredH = tf.unsortedSegmentSum(tf.mul(c, savedH), savedTargets, vocab); // [V, H]
        // Each layout's gradient by its own product, not a transpose of the other's (tied medium, [10,000 × 650]:
        // eᵀ·(a⊙h) took 73–85 ms against 106–132 for the transposed (a⊙h)ᵀ·e in float32, 40–53 against 45–69 in bf16).
        const weightedH = tf.mul(a, savedH);
        const dWeight = output.layout === 'vocab-rows'
          ? tf.sub(tf.matMul(savedE, weightedH, true, false), scatteredH) // [V, H]
          : tf.sub(tf.matMul(weightedH, savedE, true, false), tf.transpose(scatteredH)); // [H, V]
        const dBias = tf.sub(tf.reshape(tf.matMul(a, savedE, true, false), [vocab]), tf.unsortedSegmentSum(tf.reshape(c, [-1]), savedTargets, vocab));
        return [dHidden, dWeight, dBias];
      },
    };
  });
  return (loss as unknown as (h: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Scalar)(hidden, output.weight, output.bias);
}
