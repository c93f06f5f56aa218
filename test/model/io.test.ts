import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Vocabulary } from '../../src/data/vocabulary';
import { evaluatePerplexity } from '../../src/eval/perplexity';
import { ModelFileError } from '../../src/errors';
import { loadModel, saveModel } from '../../src/model/io';
import { writeDirectoryAtomically } from '../../src/util/atomic-files';
import { patternIds, smallModel } from './fixtures';

const vocab = new Vocabulary(['<eos>', '<unk>', ...Array.from({ length: 48 }, (_, k) => `w${k}`)], 'word');
const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlm-io-'));

test('save → load → evaluate gives the same perplexity', async () => {
  const model = smallModel({ initScale: 0.3, cell: 'gru', tied: true });
  const ids = patternIds(300, [5, 7, 9, 11, 2, 3]);
  const before = evaluatePerplexity(model, ids, 2, 10);
  const dir = path.join(tmp(), 'model');
  await saveModel(dir, model, vocab);
  const loaded = loadModel(dir);
  expect(loaded.model.config).toEqual(model.config);
  expect(loaded.vocab.fingerprint).toBe(vocab.fingerprint);
  expect(evaluatePerplexity(loaded.model, ids, 2, 10).perplexity).toBe(before.perplexity);
  model.dispose();
  loaded.model.dispose();
});

test('a missing, truncated or mismatched model directory is a one-line ModelFileError', async () => {
  const model = smallModel();
  const dir = path.join(tmp(), 'model');
  expect(() => loadModel(dir)).toThrow(/does not exist/);
  await saveModel(dir, model, vocab);
  const weights = path.join(dir, 'weights.bin');
  fs.truncateSync(weights, 100);
  expect(() => loadModel(dir)).toThrow(ModelFileError);
  expect(() => loadModel(dir)).toThrow(/truncated or corrupted/);
  await saveModel(dir, model, vocab);
  fs.writeFileSync(path.join(dir, 'model.json'), '{ not json');
  expect(() => loadModel(dir)).toThrow(/not valid JSON/);
  await saveModel(dir, model, vocab);
  fs.writeFileSync(path.join(dir, 'vocab.json'), JSON.stringify({ words: ['<eos>', 'other'], level: 'word' }));
  expect(() => loadModel(dir)).toThrow(/does not belong to these weights/);
  model.dispose();
});

test('an atomic directory write that died between its renames leaves a loadable copy', async () => {
  const model = smallModel();
  const parent = tmp();
  const dir = path.join(parent, 'model');
  await saveModel(dir, model, vocab);
  fs.renameSync(dir, `${dir}.old-123-456`); // as if killed right after setting the old copy aside
  expect(loadModel(dir).vocab.size).toBe(50);
  writeDirectoryAtomically(path.join(parent, 'other'), { 'a.txt': 'new' });
  expect(fs.readFileSync(path.join(parent, 'other', 'a.txt'), 'utf8')).toBe('new');
  expect(fs.readdirSync(parent).filter((e) => e.includes('.tmp-'))).toEqual([]);
  model.dispose();
});
