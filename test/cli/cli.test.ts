import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** The compiled CLI, as `npx rnnlm` runs it (`npm test` compiles first, see "pretest"). */
const CLI = path.resolve(__dirname, '../../dist/cli/rnnlm.js');
const rnnlm = (...args: string[]) => {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, RNNLM_BACKEND: undefined } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
};

function tinyCorpus(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlm-cli-'));
  const line = 'the cat sat on the mat and the dog sat on the log';
  fs.writeFileSync(path.join(dir, 'train.txt'), `${Array.from({ length: 200 }, () => line).join('\n')}\n`);
  fs.writeFileSync(path.join(dir, 'valid.txt'), `${line}\n${line}\n`);
  fs.writeFileSync(path.join(dir, 'test.txt'), `${line}\n`);
  return dir;
}

test('rnnlm train --max-batches, then evaluate and generate, end to end', () => {
  const data = tinyCorpus();
  const save = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlm-run-')), 'run');
  const train = rnnlm('train', '--data', data, '--layers', '1', '--hidden', '16', '--embedding', '16', '--batch-size', '4',
    '--bptt', '8', '--epochs', '2', '--max-batches', '20', '--save', save, '--json');
  expect(train.status).toBe(0);
  const lines = train.stdout.trim().split('\n').map((l) => JSON.parse(l));
  expect(lines).toHaveLength(3);
  expect(Object.keys(lines[0]).sort()).toEqual(['backend', 'elapsed_s', 'epoch', 'lr', 'train_ppl', 'valid_ppl', 'words_per_s']);
  expect(lines[2].test_ppl).toBeGreaterThan(1);
  for (const file of ['report.json', 'report.md', 'model/model.json', 'model/weights.bin', 'checkpoint/checkpoint.json']) {
    expect(fs.existsSync(path.join(save, file))).toBe(true);
  }

  const evaluate = rnnlm('evaluate', '--model', save, '--data', data, '--split', 'valid', '--json');
  expect(evaluate.status).toBe(0);
  const result = JSON.parse(evaluate.stdout);
  expect(result.perplexity).toBeCloseTo(Math.min(lines[0].valid_ppl, lines[1].valid_ppl), 6);
  expect(result.tokens).toBe(2 * 14 - 1); // 13 words + <eos> per line, the first token is not predicted
  expect(rnnlm('evaluate', '--model', save, '--data', data).stdout).toMatch(/^perplexity: \d+\.\d\d\n$/);

  const generate = rnnlm('generate', '--model', save, '--prime', 'the cat', '--length', '10', '--seed', '3');
  expect(generate.status).toBe(0);
  expect(generate.stdout.startsWith('the cat')).toBe(true);
  expect(rnnlm('generate', '--model', save, '--prime', 'the cat', '--length', '10', '--seed', '3').stdout).toBe(generate.stdout);

  const refused = rnnlm('train', '--data', data, '--save', save, '--max-batches', '1');
  expect(refused.status).not.toBe(0);
  expect(refused.stderr).toMatch(/already holds a run: add --resume to continue it or --force to replace it/);
  expect(fs.existsSync(path.join(save, 'model/model.json'))).toBe(true);
});

test('bad flags are one line on stderr with a non-zero exit and no stack trace', () => {
  const cases: [string[], RegExp][] = [
    [['train', '--data', '/nonexistent/corpus'], /does not exist/],
    [['train', '--lr', 'fast'], /--lr needs a number/],
    [['train', '--dropout', '1'], /dropout input must be in \[0, 1\)/],
    [['train', '--cell', 'transformer'], /Allowed choices are lstm, gru, peephole, rnn/],
    [['train', '--preset', 'nope'], /unknown preset "nope"/],
    [['train', '--tied', '--hidden', '100', '--embedding', '50'], /tied weights need/],
    [['evaluate', '--model', '/nonexistent/model', '--data', '/tmp'], /no model at/],
  ];
  for (const [args, message] of cases) {
    const result = rnnlm(...args);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  }
});
