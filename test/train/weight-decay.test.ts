import * as tf from '@tensorflow/tfjs';
import { StreamBatcher } from '../../src/data/batches';
import { Trainer } from '../../src/train/trainer';
import { addWeightDecay } from '../../src/train/weight-decay';
import { relativeError } from '../helpers';
import { patternIds, smallModel } from '../model/fixtures';
import { trainConfig, values } from './resume';

test('weight decay adds λ·w to each gradient', () => {
  tf.tidy(() => {
    const w = tf.variable(tf.tensor1d([1, -2, 4]), true, 'decay_test_w');
    const grads = addWeightDecay({ [w.name]: tf.tensor1d([0.5, 0.5, -1]) }, [w], 0.1);
    expect(Array.from(grads[w.name].dataSync())).toEqual([0.5 + 0.1, 0.5 - 0.2, -1 + 0.4].map(Math.fround));
    const none = { [w.name]: tf.tensor1d([1, 2, 3]) };
    expect(addWeightDecay(none, [w], 0)).toBe(none);
    w.dispose();
  });
});

test('an SGD step with weight decay λ moves every weight by −lr·λ·w more than the step without it', async () => {
  const ids = patternIds(400, [3, 1, 4, 1, 5, 9, 2, 6]);
  const data = { train: ids, valid: ids.slice(0, 50), test: ids.slice(0, 50) };
  const after = async (weightDecay: number): Promise<{ before: number[][]; after: number[][] }> => {
    const model = smallModel({ vocabSize: 10 });
    const before = values(model.variables());
    const trainer = new Trainer(model, data, trainConfig({ optimizer: 'sgd', lr: 0.5, clip: 0, epochs: 1, maxBatches: 1, weightDecay }));
    trainer.step(new StreamBatcher(ids, 8, 10, { exact: false }).window(0), 1);
    const result = { before, after: values(model.variables()) };
    trainer.dispose();
    model.dispose();
    return result;
  };
  const plain = await after(0);
  const decayed = await after(0.01);
  plain.before.forEach((w0, k) => {
    const expected = w0.map((w, j) => plain.after[k][j] - 0.5 * 0.01 * w);
    expect(relativeError(decayed.after[k], expected)).toBeLessThan(1e-5);
  });
});
