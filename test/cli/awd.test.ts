import * as fs from 'fs';
import * as path from 'path';
import { TINY_MODEL, rnnlm, tempDir, tinyCorpus } from './run-cli';

test('rnnlm train takes the AWD-LSTM flags, checkpoints the NT-ASGD state and resumes; awd-small and awd-medium are presets', () => {
  const data = tinyCorpus();
  const save = path.join(tempDir('rnnlm-awd-'), 'run');
  const flags = ['--weight-drop', '0.3', '--alpha', '2', '--beta', '1', '--weight-decay', '1e-4', '--optimizer', 'ntasgd', '--nonmono', '1',
    '--average-after', '2', '--variable-bptt', '--lr', '5'];
  const train = rnnlm(['train', '--data', data, ...TINY_MODEL, ...flags, '--epochs', '3', '--max-batches', '12', '--save', save, '--json']);
  expect(train.status).toBe(0);
  const checkpoint = JSON.parse(fs.readFileSync(path.join(save, 'checkpoint/checkpoint.json'), 'utf8'));
  expect(checkpoint.trainConfig).toMatchObject({ alpha: 2, beta: 1, weightDecay: 1e-4, optimizer: 'ntasgd', nonmono: 1, averageAfter: 2,
    variableBptt: true });
  expect(checkpoint.modelConfig.dropout.weight).toBe(0.3);
  expect(checkpoint.progress.averaging.fromEpoch).toBeLessThanOrEqual(3); // after epoch 2 at the latest
  // Each epoch's JSON line says whether valid scored the averaged weights: from the averaging's first epoch on.
  const epochLines = train.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((l) => 'epoch' in l);
  expect(epochLines.map((l) => l.averaged)).toEqual(epochLines.map((l) => l.epoch >= checkpoint.progress.averaging.fromEpoch));
  expect(fs.existsSync(path.join(save, 'checkpoint/average.bin'))).toBe(true);

  const resumed = rnnlm(['train', '--save', save, '--resume', '--epochs', '4', '--average-after', '3', '--json']);
  expect(resumed.status).toBe(0);
  expect(JSON.parse(fs.readFileSync(path.join(save, 'checkpoint/checkpoint.json'), 'utf8')).trainConfig.averageAfter).toBe(3);
  expect(resumed.stdout.trim().split('\n').map((l) => JSON.parse(l))[0]).toMatchObject({ epoch: 4, averaged: true });
  const refused = rnnlm(['train', '--save', save, '--resume', '--alpha', '1']);
  expect(refused.stderr).toMatch(/--alpha cannot change/);
  const plainSgd = rnnlm(['train', '--data', data, ...TINY_MODEL, '--average-after', '2', '--epochs', '1']);
  expect(plainSgd.status).toBe(1);
  expect(plainSgd.stderr).toMatch(/^rnnlm: --average-after starts NT-ASGD's averaging: it needs --optimizer ntasgd$/m);

  for (const [name, sizes] of [['awd-small', '300/300/200'], ['awd-medium', '650/650/400']]) {
    const preset = rnnlm(['train', '--data', data, '--preset', name, '--bptt', '10', '--epochs', '1', '--max-batches', '2', '--json']);
    expect(preset.status).toBe(0);
    expect(preset.stderr).toContain(`model: ${sizes} lstm tied`);
  }
});
