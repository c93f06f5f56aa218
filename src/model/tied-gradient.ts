import * as tf from '@tensorflow/tfjs';
import { floatType, int32TypeAttr, nativeOpsAvailable, runOp } from '../layers/fused/native-ops';

/**
 * A tied embedding E (Press & Wolf 2017) is used twice, by the lookup x = E[inputs] and as the output layer's
 * W, so ∂L/∂E = ∂L/∂W + scatter(∂L/∂x). Left to autodiff, the lookup's part is scattered into a zero [V, E]
 * matrix (UnsortedSegmentSum) and then added to ∂L/∂W: two passes over V·E floats, ~20 and ~12 ms at 10,000 × 650
 * on a 2-vCPU VM. Here the lookup is made off the tape, its gradient taken as an input's, and its rows
 * scatter-added into ∂L/∂W in one pass (TensorFlow's TensorScatterAdd, reached by name on the native backend).
 */

/** Whether `tiedVariableGrads` takes the one-pass path (TensorScatterAdd needs tfjs-node's binding). */
export function tiedGradientAvailable(): boolean {
  return nativeOpsAvailable();
}

/** ∂L/∂W + Σ over the window's positions of ∂L/∂x scattered to the rows `inputs` names, in one pass. */
export function tiedEmbeddingGradient(dWeight: tf.Tensor2D, inputs: tf.Tensor2D, dLookup: tf.Tensor3D): tf.Tensor2D {
  return tf.tidy(() => {
    const rows = tf.reshape(inputs, [-1, 1]);
    const updates = tf.reshape(dLookup, [-1, dWeight.shape[1]]);
    return runOp('TensorScatterAdd', [floatType(), int32TypeAttr('Tindices')], [dWeight, rows, updates], 1)[0] as tf.Tensor2D;
  });
}

/**
 * `tf.variableGrads(() => loss(E[inputs]), variables)` for a tied `embedding`, with ∂L/∂E summed by
 * `tiedEmbeddingGradient`. `loss` must use the lookup it is given and not look E up itself.
 */
export function tiedVariableGrads(
  embedding: tf.Variable, inputs: tf.Tensor2D, loss: (lookup: tf.Tensor3D) => tf.Scalar, variables: tf.Variable[],
): { value: tf.Scalar; grads: tf.NamedTensorMap } {
  const trainable = variables.filter((v) => v.trainable);
  const lookup = tf.gather(embedding, inputs) as tf.Tensor3D; // off the tape: E's gradient from it is added below
  const { value, grads } = tf.engine().gradients(() => loss(lookup), [lookup, ...trainable], undefined, true);
  lookup.dispose();
  const [dLookup, ...dVariables] = grads as (tf.Tensor | undefined)[];
  const named: tf.NamedTensorMap = {};
  trainable.forEach((v, k) => {
    const g = dVariables[k];
    if (v === embedding && dLookup) {
      named[v.name] = g ? tiedEmbeddingGradient(g as tf.Tensor2D, inputs, dLookup as tf.Tensor3D)
        : tf.tidy(() => tf.unsortedSegmentSum(tf.reshape(dLookup, [-1, v.shape[1] as number]), tf.reshape(inputs, [-1]), v.shape[0] as number));
      g?.dispose();
    } else if (g) {
      named[v.name] = g;
    }
  });
  dLookup?.dispose();
  return { value: value as tf.Scalar, grads: named };
}
