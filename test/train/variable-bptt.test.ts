import { Trainer } from '../../src/train/trainer';
import { MIN_WINDOW, variableWindows, windowLength } from '../../src/train/variable-bptt';
import { patternIds, smallModel } from '../model/fixtures';
import { interruptedRun, trainConfig, traceRun } from './resume';

test('the windows of an epoch cover every position of the streams once, in order, at least 5 long but the last', () => {
  for (const [length, bptt] of [[10_000, 70], [1234, 35], [50, 5], [7, 35]]) {
    const spans = variableWindows(length, bptt, 1111, 3);
    let position = 0;
    for (const span of spans) {
      expect(span.start).toBe(position);
      position += span.steps;
    }
    expect(position).toBe(length);
    spans.slice(0, -1).forEach((span) => expect(span.steps).toBeGreaterThanOrEqual(MIN_WINDOW));
    expect(spans[spans.length - 1].steps).toBeGreaterThan(0);
  }
});

test('lengths: N(T, 5) mostly, N(T/2, 5) about one time in 20; a function of seed, epoch and position only', () => {
  const spans = variableWindows(700_000, 70, 1, 1);
  const lengths = spans.slice(0, -1).map((s) => s.steps);
  const short = lengths.filter((l) => l < 52).length / lengths.length;
  expect(short).toBeGreaterThan(0.04);
  expect(short).toBeLessThan(0.06);
  const long = lengths.filter((l) => l >= 52);
  const mean = long.reduce((a, b) => a + b, 0) / long.length;
  expect(Math.abs(mean - 69.5)).toBeLessThan(0.3); // trunc(N(70, 5)) has mean ≈ 69.5
  expect(variableWindows(700_000, 70, 1, 1)).toEqual(spans);
  expect(variableWindows(700_000, 70, 1, 2)).not.toEqual(spans);
  expect(variableWindows(700_000, 70, 2, 1)).not.toEqual(spans);
  expect(windowLength(70, 1, 1, spans[5].start)).toBe(spans[5].steps);
});

const pattern = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7];
const ids = patternIds(2400, pattern);
const data = { train: ids, valid: ids.slice(0, 200), test: ids.slice(0, 200) };
const config = trainConfig({ variableBptt: true, bptt: 12, epochs: 2, alpha: 1, beta: 1 });
const model = (): ReturnType<typeof smallModel> =>
  smallModel({ vocabSize: 10, dropout: { input: 0.1, hidden: 0.1, output: 0.1, recurrent: 0.1, embedding: 0.1, weight: 0.2, kind: 'variational' } });

test('training walks the variable windows of each epoch with the lr scaled by length/T', async () => {
  const sgd = trainConfig({ ...config, optimizer: 'sgd', lr: 2 });
  const trainer = new Trainer(model(), data, sgd);
  const streamLength = Math.floor((ids.length - 1) / sgd.batchSize);
  const lrs: number[] = [];
  const batches: number[] = [];
  await trainer.run({
    onBatch: (p) => {
      lrs.push((trainer.optimizer as unknown as { learningRate: number }).learningRate);
      if (p.batch === p.batches) batches.push(p.batches);
    },
  });
  const spans = [1, 2].map((epoch) => variableWindows(streamLength, sgd.bptt, sgd.seed, epoch));
  expect(batches).toEqual(spans.map((s) => s.length));
  expect(lrs).toEqual(spans.flat().map((s) => (2 * s.steps) / 12));
  trainer.model.dispose();
  trainer.dispose();
});

test('a run stopped mid-epoch resumes with the same windows: the same losses and valid perplexities', async () => {
  const whole = await traceRun(new Trainer(model(), data, config));
  const resumed = await interruptedRun(model(), data, config, { epoch: 1, batch: 9 });
  expect(resumed.losses).toEqual(whole.losses);
  expect(resumed.validPpl).toEqual(whole.validPpl);
  for (const run of [whole, resumed]) {
    run.trainer.model.dispose();
    run.trainer.dispose();
  }
});
