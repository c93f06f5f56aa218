import * as tf from '@tensorflow/tfjs';
import { evaluatePerplexity } from '../../src/eval/perplexity';
import { IterateAverage, averagingStarts, nonMonotoneTrigger } from '../../src/train/asgd';
import { epochTable } from '../../src/train/report';
import { EpochMetrics, Trainer, initialProgress } from '../../src/train/trainer';
import { relativeError } from '../helpers';
import { patternIds, smallModel } from '../model/fixtures';
import { interruptedRun, trainConfig, traceRun, values } from './resume';

test('the trigger: valid worse than the best of the epochs before the last n (AWD-LSTM: val > min(history[:-n]))', () => {
  expect(nonMonotoneTrigger([100, 90, 80], 85, 3)).toBe(false); // not more than n epochs yet
  expect(nonMonotoneTrigger([100, 90, 80, 70], 95, 3)).toBe(false); // better than epoch 1, the only one old enough
  expect(nonMonotoneTrigger([100, 90, 80, 70], 101, 3)).toBe(true);
  expect(nonMonotoneTrigger([100, 90, 80, 70, 60], 95, 3)).toBe(true); // worse than epoch 2's 90
  expect(nonMonotoneTrigger([100, 90, 80, 70, 60], 85, 3)).toBe(false);
});

test('averaging starts after the budget epoch while valid still improves, or before it on the trigger', () => {
  const budget = (averageAfter: number | null): { nonmono: number; averageAfter: number | null } => ({ nonmono: 3, averageAfter });
  expect(averagingStarts([100, 90, 80], 70, 4, budget(null))).toBe(false);
  expect(averagingStarts([100, 90, 80], 70, 4, budget(5))).toBe(false);
  expect(averagingStarts([100, 90, 80, 70], 60, 5, budget(5))).toBe(true);
  expect(averagingStarts([100, 90, 80, 70, 60], 50, 6, budget(5))).toBe(true);
  expect(averagingStarts([100, 90, 80, 70], 101, 5, budget(40))).toBe(true); // the trigger does not wait for the budget
});

test('the average of the iterates is their mean, whatever the number of updates', () => {
  tf.tidy(() => {
    const iterates = [[1, 2, 3], [4, 0, -3], [7, 1, 6], [0, 5, 2]];
    const average = new IterateAverage([tf.tensor1d([99, 99, 99])]);
    iterates.forEach((w, k) => {
      average.update([tf.tensor1d(w)]);
      const seen = iterates.slice(0, k + 1);
      const mean = [0, 1, 2].map((j) => seen.reduce((s, v) => s + v[j], 0) / seen.length);
      expect(relativeError(average.average[0].dataSync(), mean)).toBeLessThan(1e-6);
    });
    expect(average.count).toBe(4);
    average.dispose();
  });
});

const pattern = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7];
const ids = patternIds(1200, pattern);
const data = { train: ids, valid: ids.slice(0, 300), test: ids.slice(0, 300) };
const config = trainConfig({ optimizer: 'ntasgd', lr: 1, clip: 0.25, epochs: 3, nonmono: 1, weightDecay: 1e-4 });
const model = (): ReturnType<typeof smallModel> =>
  smallModel({ vocabSize: 10, dropout: { input: 0.1, hidden: 0.1, output: 0.1, recurrent: 0, embedding: 0, weight: 0.2, kind: 'variational' } });
/** A run whose two earlier epochs validated at perplexity 1: the first validation triggers the averaging. */
const triggered = (): ReturnType<typeof initialProgress> => {
  const earlier: EpochMetrics = { epoch: 0, lr: 1, trainPpl: 1, validPpl: 1, wordsPerSecond: 1, elapsedSeconds: 0, backend: 'test' };
  return { ...initialProgress(config), history: [earlier, earlier] };
};

test('NT-ASGD averages every iterate after the trigger, validates and keeps the averaged weights', async () => {
  const lm = model();
  const trainer = new Trainer(lm, data, config, triggered());
  const iterates: number[][][] = [];
  const trace = await traceRun(trainer, (epoch) => { if (epoch >= 2) iterates.push(values(lm.variables())); });
  expect(trainer.progress.averaging).toEqual({ fromEpoch: 2, steps: iterates.length });
  expect(trainer.progress.history.slice(2).map((m) => m.averaged)).toEqual([false, true, true]);
  expect(epochTable(trainer.progress.history).match(/\(averaged\)/g)).toHaveLength(2);
  const mean = iterates[0].map((w, v) => w.map((_, j) => iterates.reduce((s, it) => s + it[v][j], 0) / iterates.length));
  const average = values(trainer.averageWeights!);
  average.forEach((w, v) => expect(relativeError(w, mean[v])).toBeLessThan(1e-4));

  // The last validation (history: the two earlier epochs, then 1, 2, 3) saw the averaged weights, and the model
  // went back to its last iterate after it.
  const last = values(lm.variables());
  lm.variables().forEach((v, k) => v.assign(trainer.averageWeights![k]));
  expect(evaluatePerplexity(lm, data.valid, config.evalBatchSize, config.bptt).perplexity).toBeCloseTo(trace.validPpl[4], 4);
  lm.variables().forEach((v, k) => v.assign(tf.tensor(last[k], v.shape)));
  expect(last).toEqual(iterates[iterates.length - 1]);
  if (trainer.progress.bestEpoch === 3) expect(values(trainer.best!)).toEqual(average);
  trainer.dispose();
  lm.dispose();
});

test('averageAfter starts the averaging after that epoch although valid has not stalled', async () => {
  const budgeted = { ...config, nonmono: 5, averageAfter: 1 };
  const trainer = new Trainer(model(), data, budgeted, initialProgress(budgeted));
  await traceRun(trainer);
  expect(trainer.progress.averaging?.fromEpoch).toBe(2);
  expect(trainer.progress.history.map((m) => m.averaged)).toEqual([false, true, true]);
  trainer.model.dispose();
  trainer.dispose();
});

test('averageAfter 0 averages from the first step (AWD-LSTM\'s fine-tuning stage): every iterate, every validation', async () => {
  const fromStart = { ...config, nonmono: 5, averageAfter: 0 };
  expect(initialProgress(fromStart).averaging).toEqual({ fromEpoch: 1, steps: 0 });
  expect(initialProgress({ ...fromStart, optimizer: 'sgd' }).averaging).toBeNull();
  const lm = model();
  const trainer = new Trainer(lm, data, fromStart, initialProgress(fromStart));
  const iterates: number[][][] = [];
  await traceRun(trainer, () => iterates.push(values(lm.variables())));
  expect(trainer.progress.averaging).toEqual({ fromEpoch: 1, steps: iterates.length });
  expect(trainer.progress.history.map((m) => m.averaged)).toEqual([true, true, true]);
  const mean = iterates[0].map((w, v) => w.map((_, j) => iterates.reduce((s, it) => s + it[v][j], 0) / iterates.length));
  values(trainer.averageWeights!).forEach((w, v) => expect(relativeError(w, mean[v])).toBeLessThan(1e-4));
  trainer.dispose();
  lm.dispose();
});

test('a run stopped after the trigger resumes from its checkpoint with the same average, losses and valid perplexities', async () => {
  const whole = await traceRun(new Trainer(model(), data, config, triggered()));
  const resumed = await interruptedRun(model(), data, config, { epoch: 2, batch: 6 }, triggered());
  expect(resumed.losses).toEqual(whole.losses);
  expect(resumed.validPpl).toEqual(whole.validPpl);
  expect(resumed.trainer.progress.averaging).toEqual(whole.trainer.progress.averaging);
  expect(values(resumed.trainer.averageWeights!)).toEqual(values(whole.trainer.averageWeights!));
  for (const run of [whole, resumed]) {
    run.trainer.model.dispose();
    run.trainer.dispose();
  }
});
