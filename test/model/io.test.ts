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

describe('a model directory from someone else is checked before anything is read or allocated', () => {
  let saved: string;
  beforeAll(async () => {
    const model = smallModel();
    saved = path.join(tmp(), 'model');
    await saveModel(saved, model, vocab);
    model.dispose();
  });

  /** A copy of the saved model with model.json changed by `edit`. */
  function crafted(edit: (json: { weightsManifest: { paths: string[]; weights: Record<string, unknown>[] }[]; modelConfig: Record<string, unknown>; checksums?: unknown }) => void): string {
    const dir = path.join(tmp(), 'model');
    fs.cpSync(saved, dir, { recursive: true });
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
    edit(json);
    fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
    return dir;
  }

  const outside = (): string => {
    const file = path.join(tmp(), 'secret.bin');
    fs.copyFileSync(path.join(saved, 'weights.bin'), file); // the right size: only the path gives it away
    return file;
  };

  test.each([
    ['a path out of the directory', (j: any) => { j.weightsManifest[0].paths = [path.relative(path.join(saved, '..'), outside()).replace(/^/, '../')]; }, /is not a file name inside the model directory/],
    ['an absolute path', (j: any) => { j.weightsManifest[0].paths = [outside()]; }, /is not a file name inside the model directory/],
    ['two files in one group', (j: any) => { j.weightsManifest[0].paths = ['weights.bin', 'weights.bin']; }, /must name exactly one file/],
    ['a negative size', (j: any) => { j.weightsManifest[0].weights[0].shape = [-50, 16]; }, /not \{name, shape of whole numbers/],
    ['a fractional size', (j: any) => { j.weightsManifest[0].weights[0].shape = [0.5, 16]; }, /not \{name, shape of whole numbers/],
    ['an unknown dtype', (j: any) => { j.weightsManifest[0].weights[0].dtype = 'complex64'; }, /dtype float32 or int32/],
    ['quantized weights', (j: any) => { j.weightsManifest[0].weights[0].quantization = { dtype: 'uint8' }; }, /not \{name, shape/],
    ['sizes that exceed the file', (j: any) => { j.weightsManifest[0].weights[0].shape = [1e5, 1e3]; }, /has \d+ bytes, the manifest says \d+: the file is truncated or corrupted/],
    ['a huge layer with weights of the right size', (j: any) => { j.modelConfig.hiddenSizes = [16, 20000]; }, /the weights hold \d+ numbers, the model configuration needs \d+/],
    ['a manifest that is not a list', (j: any) => { j.weightsManifest = { paths: ['weights.bin'] }; }, /the weights manifest is not a list/],
  ])('%s is refused', (_what, edit, message) => {
    const dir = crafted(edit);
    expect(() => loadModel(dir)).toThrow(ModelFileError);
    expect(() => loadModel(dir)).toThrow(message);
  });

  test('a symlinked weights file is refused', () => {
    const dir = crafted(() => undefined);
    fs.rmSync(path.join(dir, 'weights.bin'));
    fs.symlinkSync(outside(), path.join(dir, 'weights.bin'));
    expect(() => loadModel(dir)).toThrow(/weights.bin is not a regular file/);
  });

  test('weights of the right size but other content fail the checksum', () => {
    const dir = crafted(() => undefined);
    const weights = path.join(dir, 'weights.bin');
    fs.writeFileSync(weights, Buffer.alloc(fs.statSync(weights).size, 0xff));
    expect(() => loadModel(dir)).toThrow(/weights.bin does not match its checksum in .*model.json: the file is corrupted/);
    const noChecksum = crafted((j) => { j.checksums = { 'other.bin': 'x' }; });
    expect(() => loadModel(noChecksum)).toThrow(/does not match its checksum/);
  });
});
