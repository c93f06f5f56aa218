import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { TINY_MODEL, rnnlm, tempDir, tinyCorpus, toolLines } from './run-cli';

test('rnnlm evaluate --dynamic, --cache and --mc-samples print the plain perplexity beside the adapted one', () => {
  const data = tinyCorpus();
  const save = path.join(tempDir('rnnlm-eval-'), 'run');
  expect(rnnlm(['train', '--data', data, ...TINY_MODEL, '--dropout', '0.2', '--epochs', '1', '--max-batches', '20', '--save', save]).status).toBe(0);
  const plain = JSON.parse(rnnlm(['evaluate', '--model', save, '--data', data, '--json']).stdout);
  expect(plain.adapted).toBeNull();
  expect(plain).toMatchObject({ split: 'test', batchSize: 1, bptt: 35 });
  // Each method's flags, the settings they give, and how the text output names them.
  for (const [flags, settings, named] of [
    [['--dynamic', '--dynamic-lr', '0.01', '--dynamic-lambda', '0.05', '--dynamic-stats-windows', '5'],
      { method: 'dynamic', lr: 0.01, lambda: 0.05, statsWindows: 5 }, 'lr 0.01, λ 0.05'],
    [['--cache', '--cache-size', '20', '--cache-theta', '1', '--cache-lambda', '0.2'], { method: 'cache', size: 20, theta: 1, lambda: 0.2 }, 'θ 1, λ 0.2'],
    [['--mc-samples', '3'], { method: 'mc-dropout', samples: 3 }, '3 samples'],
  ] as const) {
    const text = rnnlm(['evaluate', '--model', save, '--data', data, '--bptt', '5', ...flags]);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^perplexity: \\d+\\.\\d\\d\\n${settings.method} perplexity: \\d+\\.\\d\\d \\(${named}\\)\\n$`));
    const json = JSON.parse(rnnlm(['evaluate', '--model', save, '--data', data, '--bptt', '5', ...flags, '--json']).stdout);
    expect(json.perplexity).toBeCloseTo(plain.perplexity, 4);
    expect(json).toMatchObject({ split: 'test', batchSize: 1, bptt: 5 });
    expect(json.adapted).toEqual({ ...settings, perplexity: expect.any(Number), nll: expect.any(Number), tokens: plain.tokens });
    expect(json.adapted.perplexity).toBeGreaterThan(1);
  }
  // Dynamic evaluation without --bptt takes Krause et al.'s 5-token windows, and its rates scaled to them.
  const krause = JSON.parse(rnnlm(['evaluate', '--model', save, '--data', data, '--dynamic', '--dynamic-stats-windows', '5', '--json']).stdout);
  expect(krause).toMatchObject({ bptt: 5, adapted: { method: 'dynamic', lr: 0.0000714, lambda: 0.00179 } });
  // Dynamic evaluation that diverges is an error that says what to change, with a divergence's exit code.
  const diverged = rnnlm(['evaluate', '--model', save, '--data', data, '--bptt', '5', '--dynamic', '--dynamic-lr', '1000000', '--dynamic-stats-windows', '5']);
  expect(diverged.status).toBe(3);
  expect(toolLines(diverged.stderr)).toEqual([expect.stringMatching(
    /^rnnlm: dynamic evaluation diverged on the test split \(perplexity (Infinity|NaN)\) with lr 1000000, λ 0\.00179: lower --dynamic-lr, or choose it on valid with --tune$/)]);
  // --tune-dir keeps each trial: run again, --tune scores none of them again and reports the same.
  const record = path.join(tempDir('rnnlm-tune-'), 'tuning');
  const tuneArgs = ['evaluate', '--model', save, '--data', data, '--cache', '--cache-size', '20', '--tune', '--tune-dir', record, '--json'];
  const first = rnnlm(tuneArgs);
  const second = rnnlm(tuneArgs);
  expect([first.status, second.status]).toEqual([0, 0]);
  const [firstResult, secondResult] = [JSON.parse(first.stdout), JSON.parse(second.stdout)];
  expect(first.stderr).not.toMatch(/recorded/);
  expect(second.stderr.match(/^tune: θ [\d.]+, λ [\d.]+: valid perplexity \d+\.\d\d \((screen, first|finalist, all|beyond the grid, all) \d+ tokens, recorded\)$/gm))
    .toHaveLength(firstResult.tuned.trials.length);
  expect(secondResult.tuned.trials).toEqual(firstResult.tuned.trials.map((trial: object) => ({ ...trial, resumed: true })));
  expect(secondResult.adapted).toEqual(firstResult.adapted);
  // Two worker processes score the same trials (unrecorded here) and choose the same.
  const twoJobs = rnnlm(['evaluate', '--model', save, '--data', data, '--cache', '--cache-size', '20', '--tune', '--tune-jobs', '2', '--json']);
  expect(twoJobs.status).toBe(0);
  const twoJobsResult = JSON.parse(twoJobs.stdout);
  expect(twoJobsResult.tuned.trials).toEqual(firstResult.tuned.trials);
  expect(twoJobsResult.adapted).toEqual(firstResult.adapted);
  // One tuning at a time in a directory: a live holder of its lock is named, and the record is left alone.
  expect(fs.readdirSync(record).sort()).toEqual(['tuning.json']);
  const lock = path.join(record, 'run.lock');
  fs.writeFileSync(lock, JSON.stringify({ pid: process.pid, hostname: os.hostname(), processStart: null, command: 'another tuning', since: '' }));
  const locked = rnnlm(tuneArgs);
  expect(locked.status).toBe(1);
  expect(toolLines(locked.stderr)).toEqual([expect.stringMatching(new RegExp(`^rnnlm: ${record} is in use by process ${process.pid} \\(another tuning\\)`))]);
  fs.rmSync(lock);
  const otherWindow = rnnlm([...tuneArgs, '--bptt', '5']);
  expect(otherWindow.status).toBe(1);
  expect(toolLines(otherWindow.stderr)).toEqual([`rnnlm: --tune-dir ${record} holds another tuning (its bptt was 35, not 5): give another directory, or remove it to tune from the start`]);
  const untuned = rnnlm(['evaluate', '--model', save, '--data', data, '--cache', '--tune-dir', record]);
  expect(untuned.status).toBe(1);
  expect(toolLines(untuned.stderr)).toEqual(['rnnlm: --tune-dir keeps the trials of --tune: ask for --tune too, or leave it out']);
  const both = rnnlm(['evaluate', '--model', save, '--data', data, '--cache', '--mc-samples', '2']);
  expect(both.status).toBe(1);
  expect(toolLines(both.stderr)).toEqual(['rnnlm: --cache and --mc-samples cannot be combined: ask for one test-time method at a time']);
});
