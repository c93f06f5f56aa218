import * as tf from '@tensorflow/tfjs';
import { kernelChoice, onednnInForce } from '../layers/kernel-choice';
import { OnednnAddon, OnednnOutputSizes } from '../layers/onednn/addon';
import { ArrayPool } from '../layers/onednn/array-pool';
import { host, hostWeight } from '../layers/onednn/host';
import { outputArrays } from '../layers/onednn/reused-outputs';
import type { OutputLayer } from './loss';

/** The oneDNN addon and its precision, when the output layer runs on it: wherever the oneDNN kernels are in force. */
export interface NativeOutput {
  addon: OnednnAddon;
  bf16: boolean;
}

/**
 * The output layer runs on the addon (native/onednn/output.cc) with `--kernel auto` or `onednn` once the addon
 * is loaded: its products take bfloat16 inputs in bf16 mode where TensorFlow's float32 matmul does not, and the
 * [N, V] logits and probabilities never cross into TensorFlow. `explicit` and `fused` keep the tfjs composition.
 */
export function nativeOutput(): NativeOutput | null {
  const addon = onednnInForce();
  return addon ? { addon, bf16: kernelChoice().precision === 'bf16' } : null;
}

/** How the output layer runs under the current settings, for reports: "oneDNN", "oneDNN (bf16)" or "tfjs ops". */
export function outputKernelName(): string {
  const native = nativeOutput();
  return native ? `oneDNN${native.bf16 ? ' (bf16)' : ''}` : 'tfjs ops';
}

function sizes(hidden: tf.Tensor2D, output: OutputLayer, bf16: boolean): OnednnOutputSizes {
  const [rows, hiddenSize] = hidden.shape;
  return { rows, hidden: hiddenSize, vocab: output.bias.shape[0], bf16, vocabRows: output.layout === 'vocab-rows' };
}

const int32 = (t: tf.Tensor): Int32Array => t.dataSync() as Int32Array;

/** The length of an Int32Array that holds `count` elements of `bytes` bytes each (the addon's P and W copies). */
const int32Length = (count: number, bytes: number): number => Math.ceil((count * bytes) / 4);

/**
 * W's bfloat16 copy for inference, kept while the same W is scored window after window (evaluation): keyed by
 * its dataId like `hostWeight` (tfjs buffers never change), one entry whose array is reused for the next W.
 */
let inferenceWeights16: { dataId: object; array: Int32Array } | null = null;

function bf16WeightsFor(weight: tf.Tensor): { weights16: Int32Array; weights16Ready: boolean } {
  const dataId = weight.dataId as object;
  if (inferenceWeights16?.dataId === dataId) return { weights16: inferenceWeights16.array, weights16Ready: true };
  const length = int32Length(weight.size, 2);
  const array = inferenceWeights16?.array.length === length ? inferenceWeights16.array : new Int32Array(length);
  inferenceWeights16 = { dataId, array };
  return { weights16: array, weights16Ready: false };
}

/** nll_n = −log softmax(h·W + b)_n[t_n] for every row, on the addon. */
export function nativeTokenNll({ addon, bf16 }: NativeOutput, hidden: tf.Tensor2D, output: OutputLayer, targets: tf.Tensor1D): tf.Tensor1D {
  const { nll } = addon.outputForward({
    ...sizes(hidden, output, bf16), training: false,
    h: host(hidden), w: hostWeight(output.weight), b: hostWeight(output.bias), targets: int32(targets),
    ...(bf16 ? bf16WeightsFor(output.weight) : {}),
  });
  return tf.tensor1d(nll);
}

/** Arrays that held P (and, in bf16 mode, W's bfloat16 copy) for a finished backward pass, for the next forward to fill. */
const probabilityArrays = new ArrayPool((length) => new Int32Array(length));
const bf16WeightArrays = new ArrayPool((length) => new Int32Array(length));

/**
 * L = Σ_n w_n·nll_n / count on the addon, differentiable in h, W and b (src/model/loss.ts's `outputCrossEntropy`,
 * the same equations). The softmax P (and W's bf16 copy) stay in the addon's bytes between the passes.
 */
export function nativeCrossEntropy(
  { addon, bf16 }: NativeOutput, hidden: tf.Tensor2D, output: OutputLayer, targets: tf.Tensor1D, weights: tf.Tensor1D | null, count: number,
): tf.Scalar {
  const loss = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [h, weight, bias] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
    const save = args[3] as tf.GradSaveFunc;
    const layer: OutputLayer = { weight, layout: output.layout, bias };
    const shape = sizes(h, layer, bf16);
    const probabilities = probabilityArrays.take(int32Length(shape.rows * shape.vocab, bf16 ? 2 : 4));
    // The forward's bf16 copy of W serves the backward too: one conversion a step instead of two.
    const weights16 = bf16 ? bf16WeightArrays.take(int32Length(shape.hidden * shape.vocab, 2)) : undefined;
    const { nll } = addon.outputForward({
      ...shape, training: true, h: host(h), w: hostWeight(weight), b: hostWeight(bias), targets: int32(targets), probabilities, weights16,
    });
    const rowWeights = weights ? host(weights) : null;
    let sum = 0;
    nll.forEach((value, n) => { sum += rowWeights ? rowWeights[n] * value : value; });
    // Tensors are saved rather than captured: a caller's tidy may free targets/weights before the gradient is
    // taken. P's array is captured: as a tensor it would be copied in and out again.
    save([h, weight, targets, ...(weights ? [weights] : [])]);
    return {
      value: tf.scalar(sum / count),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedH, savedWeight, savedTargets, savedWeights] = saved;
        const perRow = host(dy)[0] / count;
        const w = savedWeights ? host(savedWeights) : null;
        const scale = new Float32Array(shape.rows).map((_, n) => (w ? w[n] * perRow : perRow)); // c_n = ∂L/∂nll_n
        const into = outputArrays({ dHidden: savedH.size, dWeight: savedWeight.size });
        const g = addon.outputBackward({
          ...shape, h: host(savedH), w: hostWeight(savedWeight), targets: int32(savedTargets), scale,
          probabilities, weights16, into,
        });
        probabilityArrays.give(probabilities);
        if (weights16) bf16WeightArrays.give(weights16);
        return [tf.tensor2d(g.dHidden, savedH.shape as [number, number]), tf.tensor2d(g.dWeight, savedWeight.shape as [number, number]),
          tf.tensor1d(g.dBias)];
      },
    };
  });
  return (loss as unknown as (h: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Scalar)(hidden, output.weight, output.bias);
}
