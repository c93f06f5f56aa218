import * as tf from '@tensorflow/tfjs';
import { dropoutMask } from '../layers/dropout';

/*
 * Weight drop (Merity et al. 2017, section 2; DropConnect, Wan et al. 2013): dropout on the recurrent matrix
 * W_h [u, G·u] itself instead of on activations, as salesforce/awd-lstm-lm's WeightDrop (F.dropout on
 * weight_hh once per forward pass). One mask per window, shared by every sequence of the batch and every
 * step. The window receives W_h ⊙ m as its recurrent weight, so the explicit and the fused kernels run it
 * unchanged, and autodiff through the product gives ∂L/∂W_h = m ⊙ ∂L/∂(W_h ⊙ m).
 */

/** The inverted-dropout mask of a window's W_h (0 or 1/(1−rate)), or undefined when `rate` is 0. */
export function weightDropMask(shape: number[], rate: number, seed: number): tf.Tensor2D | undefined {
  return rate > 0 ? (dropoutMask(shape, rate, seed) as tf.Tensor2D) : undefined;
}

/** [W_h ⊙ m, ...extras]: the recurrent weights of a cell with weight drop applied to W_h only. */
export function dropRecurrentKernel(recurrent: tf.Tensor[], mask: tf.Tensor2D | undefined): tf.Tensor[] {
  if (!mask) return recurrent;
  const [wh, ...extras] = recurrent;
  return [tf.mul(wh, mask), ...extras];
}
