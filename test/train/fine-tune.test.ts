import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { Vocabulary } from '../../src/data/vocabulary';
import { ConfigError, DataError } from '../../src/errors';
import { loadModel, saveModel } from '../../src/model/io';
import { fineTuneDropout } from '../../src/train/fine-tune';
import { trainLanguageModel } from '../../src/train/run';
import { ModelConfig } from '../../src/config';
import { smallModel } from '../model/fixtures';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlm-fine-tune-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

function corpus(name: string, line: string): string {
  const dir = path.join(scratch, name);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'train.txt'), `${Array.from({ length: 60 }, () => line).join('\n')}\n`);
  for (const split of ['valid', 'test']) fs.writeFileSync(path.join(dir, `${split}.txt`), `${line}\n${line}\n`);
  return dir;
}

const AWD_DROPOUT = { input: 0.4, hidden: 0.25, output: 0.4, recurrent: 0, embedding: 0.1, weight: 0.5, kind: 'variational' } as const;

/** A saved model over `words` (untrained: what matters is that fine-tuning starts from exactly these weights). */
async function savedModel(name: string, words: string[], overrides: Partial<ModelConfig> = {}): Promise<string> {
  const dir = path.join(scratch, name);
  const model = smallModel({ vocabSize: words.length, initScale: 0.3, ...overrides });
  await saveModel(dir, model, new Vocabulary(words, 'word'));
  model.dispose();
  return dir;
}

const WORDS = ['<eos>', '<unk>', 'the', 'cat', 'sat', 'on', 'mat'];
const hyper = { batchSize: 2, bptt: 4, epochs: 1, maxBatches: 5, lr: 1 };

test('--init-from starts from the model\'s weights with its vocabulary locked; new words map to <unk>', async () => {
  const start = await savedModel('start', WORDS);
  const data = corpus('new', 'the dog sat on the mat');
  const save = path.join(scratch, 'tuned');
  let initial: number[][] = [];
  const result = await trainLanguageModel({
    data, initFrom: start, save, hyper,
    onStart: ({ model }) => { initial = model.variables().map((v) => Array.from(v.dataSync())); },
  });
  const original = loadModel(start);
  expect(initial).toEqual(original.model.variables().map((v) => Array.from(v.dataSync())));
  expect(result.model.config).toEqual(original.model.config);
  expect(result.corpus.vocab.words).toEqual(WORDS);
  expect(Array.from(result.corpus.valid.slice(0, 7))).toEqual([2, 1, 4, 5, 2, 6, 0]); // "dog" is <unk>
  const tuned = loadModel(path.join(save, 'model'));
  expect(tuned.vocab.fingerprint).toBe(original.vocab.fingerprint);
  expect(tuned.model.variables().some((v, k) => !tf.util.arraysEqual(Array.from(v.dataSync()), initial[k]))).toBe(true);
  [original, tuned].forEach((m) => m.model.dispose());
  result.model.dispose();

  // A fine-tuning run resumes with the same locked vocabulary.
  const resumed = await trainLanguageModel({ save, resume: true, hyper: { epochs: 2 } });
  expect(resumed.history).toHaveLength(2);
  expect(resumed.corpus.vocab.words).toEqual(WORDS);
  resumed.model.dispose();
});

test('a fine-tuning run that sets dropout keeps the weights and takes the new dropout', async () => {
  const start = await savedModel('dropout', WORDS);
  let seen: { dropout: number; weights: number[] } | null = null;
  const result = await trainLanguageModel({
    data: corpus('again', 'the cat sat on the mat'), initFrom: start, hyper: { ...hyper, dropout: 0.3 },
    onStart: ({ model }) => { seen = { dropout: model.config.dropout.input, weights: Array.from(model.embedding.dataSync()) }; },
  });
  const original = loadModel(start);
  expect(seen).toEqual({ dropout: 0.3, weights: Array.from(original.model.embedding.dataSync()) });
  original.model.dispose();
  result.model.dispose();
});

test('a fine-tuning run takes each dropout rate it sets and keeps the starting model\'s others (its weight drop too)', async () => {
  expect(fineTuneDropout(AWD_DROPOUT, {})).toEqual(AWD_DROPOUT);
  expect(fineTuneDropout(AWD_DROPOUT, { weightDrop: 0.3 })).toEqual({ ...AWD_DROPOUT, weight: 0.3 });
  expect(fineTuneDropout(AWD_DROPOUT, { dropout: 0.2, dropoutHidden: 0.1 })).toEqual({ ...AWD_DROPOUT, input: 0.2, hidden: 0.1, output: 0.2 });
  expect(fineTuneDropout(AWD_DROPOUT, { dropoutEmbedding: 0, dropoutRecurrent: 0.2, dropoutKind: 'standard' }))
    .toEqual({ ...AWD_DROPOUT, embedding: 0, recurrent: 0.2, kind: 'standard' });
  const start = await savedModel('awd', WORDS, { dropout: AWD_DROPOUT });
  let seen: object | null = null;
  const result = await trainLanguageModel({
    data: corpus('awd-data', 'the cat sat on the mat'), initFrom: start, hyper: { ...hyper, weightDrop: 0.3 },
    onStart: ({ model }) => { seen = model.config.dropout; },
  });
  expect(seen).toEqual({ ...AWD_DROPOUT, weight: 0.3 });
  result.model.dispose();
});

test('without <unk>, words outside the model\'s vocabulary are an error that names them', async () => {
  const start = await savedModel('no-unk', WORDS.filter((w) => w !== '<unk>'));
  const attempt = trainLanguageModel({ data: corpus('dogs', 'the dog sat on the mat'), initFrom: start, hyper });
  await expect(attempt).rejects.toThrow(DataError);
  await expect(attempt).rejects.toThrow(/train split .* has 1 word type \(e.g. "dog"\) outside the vocabulary of the model in initFrom .*no-unk, which has no <unk>/);
});

test('the architecture and vocabulary come from the model, so options that would change them are refused', async () => {
  const attempt = trainLanguageModel({ data: corpus('cats', 'the cat sat'), initFrom: 'anything', maxVocab: 5, hyper: { hidden: 50 } });
  await expect(attempt).rejects.toThrow(ConfigError);
  await expect(attempt).rejects.toThrow(/^initFrom takes the architecture and vocabulary of the model it starts from, so maxVocab, hidden cannot be given/);
});

test('a preset gives a fine-tuning run its training settings and dropout when its architecture is the model\'s', async () => {
  const data = corpus('preset-data', 'the cat sat on the mat');
  const tied = await savedModel('tied-2x200', WORDS, { hiddenSizes: [200, 200], embeddingSize: 200, tied: true });
  let seen: object | null = null;
  const result = await trainLanguageModel({
    data, initFrom: tied, preset: 'small-tied-vd', hyper: hyper, onStart: ({ model }) => { seen = model.config.dropout; },
  });
  expect(seen).toEqual({ input: 0.3, hidden: 0.3, output: 0.3, recurrent: 0.15, embedding: 0.1, weight: 0, kind: 'variational' });
  expect(result.report.trainConfig).toMatchObject({ ...hyper, clip: 0.25, schedule: 'fixed', lrDecay: 0.87 });
  result.model.dispose();
  const other = trainLanguageModel({ data, initFrom: tied, preset: 'zaremba-small', hyper });
  await expect(other).rejects.toThrow(ConfigError);
  await expect(other).rejects.toThrow(
    /^preset zaremba-small describes a 2x200 lstm, 200-d embedding, and the model in initFrom .*tied-2x200 is a 2x200 lstm tied, 200-d embedding: give its training settings as options instead$/);
});
