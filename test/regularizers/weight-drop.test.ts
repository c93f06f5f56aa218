import * as tf from '@tensorflow/tfjs';
import { CELL_KINDS, Recurrent, nativeAvailability } from '../../src';
import { KernelChoice } from '../../src/config/names';
import { dropRecurrentKernel, weightDropMask } from '../../src/regularizers/weight-drop';
import { randomCell } from '../cells/fixtures';
import { randomTensor, relativeError } from '../helpers';
import { smallModel } from '../model/fixtures';

const [BATCH, TIME, INPUT, UNITS] = [3, 5, 4, 6];
const native = ['auto', 'tensorflow'].includes(process.env.RNNLM_BACKEND ?? 'auto') && nativeAvailability() === true;
const KERNELS: KernelChoice[] = native ? ['explicit', 'fused'] : ['explicit'];

test('the mask covers W_h with 0 or 1/(1 − rate), and rate 0 means no mask', () => {
  const mask = weightDropMask([UNITS, 4 * UNITS], 0.5, 7)!;
  expect(mask.shape).toEqual([UNITS, 4 * UNITS]);
  expect([...new Set(mask.dataSync())].sort()).toEqual([0, 2]);
  expect(weightDropMask([UNITS, 4 * UNITS], 0, 7)).toBeUndefined();
  const [wh, extra] = [tf.ones([2, 2]), tf.ones([3])];
  expect(dropRecurrentKernel([wh, extra], undefined)).toEqual([wh, extra]);
});

/**
 * A layer run with a weight-drop mask m equals the same layer whose W_h is replaced by W_h ⊙ m: one mask for
 * every sequence of the batch and every step of the window; and ∂L/∂W_h is m ⊙ (the gradient of W_h ⊙ m).
 */
describe.each(CELL_KINDS)('weight drop on a %s layer', (kind) => {
  test.each(KERNELS)('one mask for the whole batch and window, gradient masked (%s kernel)', (kernel) => {
    tf.tidy(() => {
      const { cell, next } = randomCell(kind, INPUT, UNITS, 21);
      const layer = new Recurrent({ cell });
      const x = randomTensor(next, [BATCH, TIME, INPUT]) as tf.Tensor3D;
      const wh = cell.trainableWeights[1].read() as tf.Variable;
      const mask = weightDropMask(wh.shape, 0.4, 3)!;
      const lossOf = (options: { weightMask?: tf.Tensor2D }): tf.Scalar =>
        tf.sum(tf.square(layer.run(x, { ...options, kernel }).outputs)) as tf.Scalar;
      const dropped = tf.variableGrads(() => lossOf({ weightMask: mask }), [wh]);

      const original = tf.clone(wh);
      wh.assign(tf.mul(wh, mask)); // the reference: W_h ⊙ m as the layer's own weight, no mask
      const reference = tf.variableGrads(() => lossOf({}), [wh]);
      wh.assign(original);

      expect(relativeError(dropped.value.dataSync(), reference.value.dataSync())).toBeLessThan(1e-5);
      const expected = tf.mul(reference.grads[wh.name], mask);
      expect(relativeError(dropped.grads[wh.name].dataSync(), expected.dataSync())).toBeLessThan(1e-5);
      const gradient = dropped.grads[wh.name].dataSync();
      Array.from(mask.dataSync()).forEach((m, k) => { if (m === 0) expect(Math.abs(gradient[k])).toBe(0); }); // a dropped weight gets no gradient
      layer.dispose();
    });
  });
});

test('in a model: identical sequences of a batch get identical outputs (the mask is shared); evaluation drops nothing', () => {
  const model = smallModel({ dropout: { input: 0, hidden: 0, output: 0, recurrent: 0, embedding: 0, weight: 0.5, kind: 'variational' } });
  const plain = smallModel();
  tf.tidy(() => {
    const row = [1, 5, 9, 2, 7, 3];
    const inputs = tf.tensor2d([row, row, row], [3, 6], 'int32');
    const trained = model.features(inputs, null, 17).undropped.arraySync() as number[][][];
    expect(trained[1]).toEqual(trained[0]);
    expect(trained[2]).toEqual(trained[0]);
    const evaluated = model.features(inputs, null, null).undropped;
    expect(relativeError(trained.flat(2), evaluated.dataSync())).toBeGreaterThan(1e-3); // training drops weights
    expect(relativeError(evaluated.dataSync(), plain.features(inputs, null, null).undropped.dataSync())).toBe(0);
    expect(relativeError(model.features(inputs, null, 18).undropped.dataSync(), trained.flat(2))).toBeGreaterThan(1e-3); // a new window, a new mask
  });
  model.dispose();
  plain.dispose();
});
