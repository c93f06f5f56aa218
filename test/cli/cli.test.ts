import * as fs from 'fs';
import * as path from 'path';
import { rnnlm, tempDir, tinyCorpus } from './run-cli';

test('rnnlm train --max-batches, then evaluate and generate, end to end', () => {
  const data = tinyCorpus();
  const save = path.join(tempDir('rnnlm-run-'), 'run');
  const train = rnnlm(['train', '--data', data, '--layers', '1', '--hidden', '16', '--embedding', '16', '--batch-size', '4',
    '--bptt', '8', '--epochs', '2', '--max-batches', '20', '--save', save, '--json']);
  expect(train.status).toBe(0);
  const lines = train.stdout.trim().split('\n').map((l) => JSON.parse(l));
  expect(lines).toHaveLength(3);
  expect(Object.keys(lines[0]).sort()).toEqual(['backend', 'elapsed_s', 'epoch', 'lr', 'train_ppl', 'valid_ppl', 'words_per_s']);
  expect(lines[2].test_ppl).toBeGreaterThan(1);
  for (const file of ['report.json', 'report.md', 'model/model.json', 'model/weights.bin', 'checkpoint/checkpoint.json']) {
    expect(fs.existsSync(path.join(save, file))).toBe(true);
  }

  const evaluate = rnnlm(['evaluate', '--model', save, '--data', data, '--split', 'valid', '--json']);
  expect(evaluate.status).toBe(0);
  const result = JSON.parse(evaluate.stdout);
  expect(result.perplexity).toBeCloseTo(Math.min(lines[0].valid_ppl, lines[1].valid_ppl), 6);
  expect(result.tokens).toBe(2 * 14 - 1); // 13 words + <eos> per line, the first token is not predicted
  expect(rnnlm(['evaluate', '--model', save, '--data', data]).stdout).toMatch(/^perplexity: \d+\.\d\d\n$/);

  const generate = rnnlm(['generate', '--model', save, '--prime', 'the cat', '--length', '10', '--seed', '3']);
  expect(generate.status).toBe(0);
  expect(generate.stdout.startsWith('the cat')).toBe(true);
  expect(rnnlm(['generate', '--model', save, '--prime', 'the cat', '--length', '10', '--seed', '3']).stdout).toBe(generate.stdout);

  const refused = rnnlm(['train', '--data', data, '--save', save, '--max-batches', '1']);
  expect(refused.status).not.toBe(0);
  expect(refused.stderr).toMatch(/already holds a run: add --resume to continue it or --force to replace it/);
  expect(fs.existsSync(path.join(save, 'model/model.json'))).toBe(true);
});
