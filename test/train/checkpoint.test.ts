import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cpuDescription } from '../../src/backend/cpu';
import { Vocabulary } from '../../src/data/vocabulary';
import { disposeLoadedCheckpoint, loadCheckpoint, saveCheckpoint } from '../../src/train/checkpoint';
import { CPU_NOT_RECORDED, Trainer } from '../../src/train/trainer';
import { runPaths } from '../../src/util/run-directory';
import { patternIds, smallModel } from '../model/fixtures';
import { trainConfig } from './resume';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlm-checkpoint-test-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

test('a checkpoint keeps the CPUs of the epoch in progress; one from before they were recorded says so', async () => {
  const ids = patternIds(1200, [3, 1, 4, 1, 5, 9, 2, 6]);
  const model = smallModel({ vocabSize: 10 });
  const trainer = new Trainer(model, { train: ids, valid: ids.slice(0, 200), test: ids.slice(0, 200) }, trainConfig({ epochs: 2 }));
  const vocab = new Vocabulary(['<eos>', ...Array.from({ length: 9 }, (_, k) => `w${k}`)], 'word');
  await trainer.run({
    onBatch: (p) => { if (p.epoch === 1 && p.batch === 3) trainer.requestStop(); },
    onCheckpoint: () => saveCheckpoint(scratch, trainer, vocab, { dir: scratch, char: false, maxVocab: null }),
  });
  trainer.dispose();
  model.dispose();
  const loaded = loadCheckpoint(scratch);
  expect(loaded.progress.epochCpus).toEqual([cpuDescription()]);
  disposeLoadedCheckpoint(loaded);

  const file = path.join(runPaths(scratch).checkpoint, 'checkpoint.json');
  const json = JSON.parse(fs.readFileSync(file, 'utf8'));
  delete json.progress.epochCpus; // as an older version wrote it, 3 windows into epoch 1
  fs.writeFileSync(file, JSON.stringify(json));
  const older = loadCheckpoint(scratch);
  expect(older.progress.epochCpus).toEqual([CPU_NOT_RECORDED]);
  disposeLoadedCheckpoint(older);
});
