import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { availableBackends } from '../../src/backend';
import { ConfigError } from '../../src/errors';
import { trainLanguageModel } from '../../src/train/run';
import { readEvents } from './tfrecord';

const LINE = 'the cat sat on the mat and the dog sat on the log';

function corpus(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlm-tb-corpus-'));
  fs.writeFileSync(path.join(dir, 'train.txt'), `${Array.from({ length: 100 }, () => LINE).join('\n')}\n`);
  fs.writeFileSync(path.join(dir, 'valid.txt'), `${LINE}\n${LINE}\n`);
  fs.writeFileSync(path.join(dir, 'test.txt'), `${LINE}\n`);
  return dir;
}

const hyper = { layers: 1, hidden: 8, embedding: 8, batchSize: 4, bptt: 5, epochs: 2, maxBatches: 6 };

test('--tensorboard writes event files that TensorBoard can read: training scalars every N batches, valid ppl and histograms per epoch', async () => {
  const native = (await availableBackends()).tensorflow;
  if (native !== true) {
    console.warn(`skipped: the tensorflow backend is not available (${native})`);
    return;
  }
  const logdir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlm-tb-'));
  const result = await trainLanguageModel({ data: corpus(), hyper, tensorboard: logdir, tensorboardEvery: 3, backend: 'tensorflow' });
  result.model.dispose();
  const files = fs.readdirSync(logdir);
  expect(files).toHaveLength(1);
  expect(files[0]).toMatch(/^events\.out\.tfevents\./);
  const events = readEvents(path.join(logdir, files[0]));
  const series = (tag: string): [number, number | 'histogram'][] =>
    events.flatMap((e) => e.values.filter((v) => v.tag === tag).map((v): [number, number | 'histogram'] => [e.step, v.value]));
  expect(series('train/loss').map(([step]) => step)).toEqual([3, 6, 9, 12]);
  for (const tag of ['train/ppl', 'train/grad_norm', 'train/lr', 'train/words_per_s']) expect(series(tag)).toHaveLength(4);
  expect(series('train/lr')[0][1]).toBe(20);
  const [loss, ppl] = [series('train/loss')[0][1] as number, series('train/ppl')[0][1] as number];
  expect(ppl).toBeCloseTo(Math.exp(loss), 3);
  expect(series('valid/ppl')).toEqual(result.history.map((m, k) => [(k + 1) * 6, expect.closeTo(m.validPpl, 3)]));
  expect(series('weights/embedding')).toEqual([[6, 'histogram'], [12, 'histogram']]);
  expect(series('weights/layer0/recurrent_kernel')).toHaveLength(2);
});

test('--tensorboard is refused on a backend without tfjs-node, in one line, before any file is written', async () => {
  const logdir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlm-tb-')), 'logs');
  const attempt = trainLanguageModel({ data: corpus(), hyper, tensorboard: logdir, backend: 'cpu' });
  await expect(attempt).rejects.toThrow(ConfigError);
  await expect(attempt).rejects.toThrow('tensorboard needs the tensorflow backend (tfjs-node writes the event files), but this run uses cpu');
  expect(fs.existsSync(logdir)).toBe(false);
});
