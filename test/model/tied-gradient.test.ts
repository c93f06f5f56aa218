import * as tf from '@tensorflow/tfjs';
import { nativeAvailability } from '../../src';
import { NO_DROPOUT } from '../../src/config/model';
import { tiedEmbeddingGradient, tiedGradientAvailable } from '../../src/model/tied-gradient';
import { relativeError } from '../helpers';
import { smallModel } from './fixtures';

/**
 * A tied model's ∂L/∂E in one pass (src/model/tied-gradient.ts) equals autodiff's: the lookup's rows
 * scatter-added into the output layer's gradient, repeated ids adding up, every other weight's gradient
 * unchanged, and no tensor left behind.
 */
const backendChoice = process.env.RNNLM_BACKEND ?? 'auto';
const native = ['auto', 'tensorflow'].includes(backendChoice) && nativeAvailability() === true;
if (!native && process.env.CI && backendChoice === 'auto') throw new Error('CI expects the native backend, whose TensorScatterAdd the tied gradient uses');
const describeNative = native ? describe : describe.skip;

describeNative('tiedEmbeddingGradient', () => {
  it('adds each position’s row to the row its id names, repeated ids summed', () => {
    const dWeight = tf.tensor2d([[1, 1], [2, 2], [3, 3], [4, 4]]);
    const inputs = tf.tensor2d([[2, 0], [2, 2]], [2, 2], 'int32');
    const dLookup = tf.tensor3d([[[0.5, 1], [10, 20]], [[0.25, 2], [0.125, 4]]]);
    const summed = tiedEmbeddingGradient(dWeight, inputs, dLookup);
    expect(Array.from(summed.dataSync())).toEqual([11, 21, 2, 2, 3 + 0.5 + 0.25 + 0.125, 3 + 1 + 2 + 4, 4, 4]);
    tf.dispose([dWeight, inputs, dLookup, summed]);
  });
});

describe('LanguageModel.variableGrads', () => {
  const dropout = { ...NO_DROPOUT, kind: 'variational' as const, input: 0.3, hidden: 0.2, output: 0.3, recurrent: 0.1, embedding: 0.2 };
  // Ids repeat within and across rows: the lookup's gradient must add up per id.
  const ids = [[3, 7, 3, 3, 9], [7, 1, 3, 0, 7]];
  const next = [[7, 3, 3, 9, 7], [1, 3, 0, 7, 2]];

  for (const tied of [true, false]) {
    it(`gives autodiff's gradients for every weight (${tied ? 'tied' : 'untied'}), leaving no tensor behind`, () => {
      // On the native backend the tied model must take the one-pass path (elsewhere autodiff's, trivially equal).
      expect(tiedGradientAvailable()).toBe(native);
      const model = smallModel({ tied, dropout, vocabSize: 12 });
      const inputs = tf.tensor2d(ids, [2, 5], 'int32');
      const targets = tf.tensor1d(next.flat(), 'int32');
      const before = tf.memory().numTensors;
      const reference = tf.variableGrads(() => model.loss(inputs, targets, null, 5, 10).loss, model.variables());
      const result = model.variableGrads(inputs, (lookup) => model.loss(inputs, targets, null, 5, 10, undefined, lookup).loss);
      expect(result.value.dataSync()[0]).toBeCloseTo(reference.value.dataSync()[0], 6);
      expect(Object.keys(result.grads).sort()).toEqual(Object.keys(reference.grads).sort());
      for (const [name, g] of Object.entries(reference.grads)) {
        expect(relativeError(result.grads[name].dataSync(), g.dataSync())).toBeLessThan(1e-5);
      }
      tf.dispose([reference.value, result.value, ...Object.values(reference.grads), ...Object.values(result.grads)]);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([inputs, targets]);
      model.dispose();
    });
  }
});
