import * as tf from '@tensorflow/tfjs';
import { DivergenceError } from '../../src/errors';
import { Trainer } from '../../src/train/trainer';
import { patternIds, smallModel } from '../model/fixtures';
import { trainConfig } from './resume';

const config = trainConfig;
const pattern = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7];

test('a repeated pattern is learned: train perplexity falls below 2', async () => {
  const ids = patternIds(3000, pattern);
  const model = smallModel({ vocabSize: 10, tied: true, hiddenSizes: [16, 16] });
  const trainer = new Trainer(model, { train: ids, valid: ids.slice(0, 400), test: ids.slice(0, 400) }, config({ lr: 0.02, epochs: 6 }));
  const result = await trainer.run();
  expect(result.history).toHaveLength(6);
  expect(result.history[5].trainPpl).toBeLessThan(2);
  expect(result.testPpl).toBeLessThan(2);
  trainer.dispose();
  model.dispose();
});

test('the same seed gives the same losses (dropout on)', async () => {
  const ids = patternIds(1200, pattern);
  const losses = async (): Promise<number[]> => {
    const model = smallModel({ vocabSize: 10, dropout: { input: 0.2, hidden: 0.2, output: 0.2, recurrent: 0.2, embedding: 0.1, kind: 'variational' } });
    const trainer = new Trainer(model, { train: ids, valid: ids.slice(0, 200), test: ids.slice(0, 200) }, config({ epochs: 1 }));
    const out: number[] = [];
    await trainer.run({ onBatch: (p) => out.push(p.loss) });
    trainer.dispose();
    model.dispose();
    return out;
  };
  const first = await losses();
  expect(first.length).toBeGreaterThan(5);
  expect(await losses()).toEqual(first);
});

test('the tensor count stays flat over many training steps', async () => {
  const ids = patternIds(4000, pattern);
  const model = smallModel({ vocabSize: 10, dropout: { input: 0.1, hidden: 0.1, output: 0.1, recurrent: 0.1, embedding: 0.1, kind: 'standard' } });
  const trainer = new Trainer(model, { train: ids, valid: ids.slice(0, 100), test: ids.slice(0, 100) }, config({ optimizer: 'sgd', lr: 1 }));
  const counts: number[] = [];
  await trainer.run({ onBatch: (p) => { if (p.batch >= 3) counts.push(tf.memory().numTensors); } });
  // Within an epoch every step leaves exactly the carried state behind: the count never moves.
  expect(new Set(counts.slice(0, 40)).size).toBe(1);
  expect(counts.length).toBeGreaterThan(100);
  trainer.dispose();
  model.dispose();
});

test('a NaN loss stops training with the epoch and batch, and leaves the weights untouched', async () => {
  const ids = patternIds(600, pattern);
  const model = smallModel({ vocabSize: 10 });
  const trainer = new Trainer(model, { train: ids, valid: ids, test: ids }, config({ optimizer: 'sgd', lr: 1 }));
  model.outputBias.assign(tf.fill([10], NaN));
  const before = model.variables().map((v) => Array.from(v.dataSync()));
  await expect(trainer.run()).rejects.toThrow(DivergenceError);
  await expect(trainer.run()).rejects.toThrow(/diverged at epoch 1, batch 1: .*lower lr or clip/);
  model.variables().forEach((v, k) => expect(Array.from(v.dataSync())).toEqual(before[k]));
  trainer.dispose();
  model.dispose();
});

test('bptt longer than the training streams is a clear error', () => {
  const model = smallModel({ vocabSize: 10 });
  expect(() => new Trainer(model, { train: patternIds(100, pattern), valid: patternIds(50, pattern), test: patternIds(50, pattern) },
    config({ batchSize: 10, bptt: 35 }))).toThrow(/lower bptt or batchSize/);
  model.dispose();
});
