import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Vocabulary } from '../../src/data/vocabulary';
import { ConfigError } from '../../src/errors';
import { saveModel } from '../../src/model/io';
import { exportForBrowser } from '../../src/web/export';
import { smallModel } from '../model/fixtures';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlm-export-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

test('export writes the page, the LayersModel, the vocabulary and the scripts; an existing export needs force', async () => {
  const modelDir = path.join(scratch, 'model');
  const model = smallModel({ vocabSize: 5, tied: true });
  const vocab = new Vocabulary(['<eos>', '<unk>', 'a', 'b', 'c'], 'word');
  await saveModel(modelDir, model, vocab);
  model.dispose();
  const out = path.join(scratch, 'site');
  const files = await exportForBrowser(modelDir, { out });
  expect(files).toEqual(['index.html', 'model.json', 'rnnlm-web.js', 'tf-backend-wasm.min.js', 'tf.min.js', 'tfjs-backend-wasm-simd.wasm',
    'tfjs-backend-wasm-threaded-simd.wasm', 'tfjs-backend-wasm.wasm', 'vocab.json', 'weights.bin']);
  expect(fs.readdirSync(out).sort()).toEqual(files);
  const json = JSON.parse(fs.readFileSync(path.join(out, 'model.json'), 'utf8'));
  expect(json.format).toBe('layers-model');
  expect(json.weightsManifest[0].paths).toEqual(['weights.bin']);
  const classes = JSON.stringify(json.modelTopology).match(/"class_name":"Rnnlm\w+"/g);
  expect(new Set(classes)).toEqual(new Set(['"class_name":"RnnlmTiedEmbedding"', '"class_name":"RnnlmRecurrent"', '"class_name":"RnnlmLSTMCell"']));
  expect(json.userDefinedMetadata.rnnlm.modelConfig.hiddenSizes).toEqual([16, 16]);
  expect(JSON.parse(fs.readFileSync(path.join(out, 'vocab.json'), 'utf8'))).toEqual(vocab.toJSON());
  expect(fs.readFileSync(path.join(out, 'index.html'), 'utf8')).toContain('<script src="tf.min.js"></script>');

  await expect(exportForBrowser(modelDir, { out })).rejects.toThrow(ConfigError);
  await expect(exportForBrowser(modelDir, { out })).rejects.toThrow(`out ${out} already exists: choose another directory or add force to replace it`);
  expect(await exportForBrowser(modelDir, { out, force: true })).toEqual(files);
});
