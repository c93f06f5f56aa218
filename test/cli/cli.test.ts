import * as fs from 'fs';
import * as path from 'path';
import { EVALUATION_WINDOW, TUNING_SCREEN, cpuDescription, nativeAvailability, readReport, tuningEdges } from '../../src';
import { loadProcessAddon } from '../../src/backend/process-addon';
import { STDERR_KINDS, TINY_MODEL, rnnlm, rnnlmStderrThrough, tempDir, tinyCorpus, toolLines } from './run-cli';

test('rnnlm train --max-batches, then evaluate and generate, end to end', () => {
  const data = tinyCorpus();
  const save = path.join(tempDir('rnnlm-run-'), 'run');
  const train = rnnlm(['train', '--data', data, '--layers', '1', '--hidden', '16', '--embedding', '16', '--batch-size', '4',
    '--bptt', '8', '--epochs', '2', '--max-batches', '20', '--save', save, '--json']);
  expect(train.status).toBe(0);
  const lines = train.stdout.trim().split('\n').map((l) => JSON.parse(l));
  expect(lines).toHaveLength(3);
  expect(Object.keys(lines[0]).sort()).toEqual(['averaged', 'backend', 'cpu', 'elapsed_s', 'epoch', 'lr', 'train_ppl', 'valid_ppl', 'words_per_s']);
  expect(lines[0].cpu).toBe(cpuDescription());
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

  // --tune: the cache's settings chosen on valid, each trial heard on stderr, test scored with the best.
  const tuned = rnnlm(['evaluate', '--model', save, '--data', data, '--cache', '--cache-size', '20', '--tune', '--json']);
  expect(tuned.status).toBe(0);
  const tunedResult = JSON.parse(tuned.stdout);
  const heard = tuned.stderr.match(/^tune: θ [\d.]+, λ [\d.]+: valid perplexity \d+\.\d\d \((screen, first|finalist, all|beyond the grid, all) \d+ tokens\)$/gm) ?? [];
  expect(heard).toHaveLength(tunedResult.tuned.trials.length);
  expect(heard.filter((line) => line.includes('finalist'))).toHaveLength(TUNING_SCREEN.finalists);
  const { theta, lambda } = tunedResult.tuned.best;
  expect(tunedResult.adapted).toMatchObject(tunedResult.tuned.best);
  expect(heard.filter((line) => line.includes('beyond the grid'))).toHaveLength(tunedResult.tuned.trials.filter((t: { beyond: boolean }) => t.beyond).length);
  // A best setting at an end of what was tried is said on stderr, once per value (none when it lies inside).
  expect(tuned.stderr.match(/^tune: .* a wider grid may do better$/gm) ?? [])
    .toEqual(tuningEdges(tunedResult.tuned.best, tunedResult.tuned.trials, EVALUATION_WINDOW).map((edge) => `tune: ${edge}; a wider grid may do better`));
  const direct = JSON.parse(rnnlm(['evaluate', '--model', save, '--data', data, '--cache', '--cache-size', '20', '--cache-theta', String(theta),
    '--cache-lambda', String(lambda), '--json']).stdout);
  expect(tunedResult.adapted.perplexity).toBeCloseTo(direct.adapted.perplexity, 6);
  expect(rnnlm(['evaluate', '--model', save, '--data', data, '--cache', '--tune']).stdout)
    .toMatch(/^perplexity: \d+\.\d\d\ncache perplexity: \d+\.\d\d \(θ [\d.]+, λ [\d.]+, chosen on valid\)\n$/);

  const generate = rnnlm(['generate', '--model', save, '--prime', 'the cat', '--length', '10', '--seed', '3']);
  expect(generate.status).toBe(0);
  expect(generate.stdout.startsWith('the cat')).toBe(true);
  expect(rnnlm(['generate', '--model', save, '--prime', 'the cat', '--length', '10', '--seed', '3']).stdout).toBe(generate.stdout);

  const refused = rnnlm(['train', '--data', data, '--save', save, '--max-batches', '1']);
  expect(refused.status).not.toBe(0);
  expect(refused.stderr).toMatch(/already holds a run: add --resume to continue it or --force to replace it/);
  expect(fs.existsSync(path.join(save, 'model/model.json'))).toBe(true);
});

describe('precision and kernel', () => {
  const info = JSON.parse(rnnlm(['info', '--json']).stdout) as {
    cpu: string; bf16: true | string; backend: string; nativeGflops: Record<string, number | null>; onednn: { version: string; isa: string } | { unavailable: string };
    onednnGflops: Record<string, number | null>; signals: true | string;
  };

  test('rnnlm info says whether bf16 can run and measures the native matMul at each precision', () => {
    expect(info.cpu).toBe(cpuDescription());
    // CI builds the oneDNN addon at install (scripts/provision-onednn.js); elsewhere it may be missing, with a reason.
    if (process.env.CI || 'version' in info.onednn) expect(info.onednn).toEqual({ version: expect.stringMatching(/^3\.\d+\.\d+$/), isa: expect.stringMatching(/^(avx512_core|avx2|avx|sse41)\w*$/) });
    else expect(info.onednn.unavailable).toMatch(/^(not built|disabled by|failed to load)/);
    expect(info.bf16 === true || typeof info.bf16 === 'string').toBe(true);
    if (!info.backend.startsWith('tensorflow')) return expect(info.nativeGflops).toEqual({ fp32: null, bf16: null });
    // CI builds the process addon too (scripts/provision-process.js): signals stay off the native kernels' threads.
    if (process.env.CI || info.signals === true) expect(info.signals).toBe(true);
    else expect(info.signals).toMatch(/^the process addon is (not built|failed to load)/);
    expect(info.nativeGflops.fp32).toBeGreaterThan(0);
    if (info.bf16 === true) expect(info.nativeGflops.bf16).toBeGreaterThan(0);
    else expect(info.nativeGflops.bf16).toBeNull();
  });

  test('rnnlm info names the oneDNN version and the instruction set its kernels run on, or why they cannot run', () => {
    const line = 'version' in info.onednn ? `oneDNN ${info.onednn.version}, ${info.onednn.isa} kernels` : `unavailable: ${info.onednn.unavailable}`;
    expect(rnnlm(['info']).stdout.split('\n')).toContain(`oneDNN recurrent and output kernels: ${line}`);
  });

  test('rnnlm info measures the oneDNN products at each precision and says whether bf16 pays', () => {
    if (!('version' in info.onednn)) return expect(info.onednnGflops).toEqual({ fp32: null, bf16: null });
    expect(info.onednnGflops.fp32).toBeGreaterThan(0);
    if (info.bf16 !== true) return expect(info.onednnGflops.bf16).toBeNull();
    expect(info.onednnGflops.bf16).toBeGreaterThan(0);
    const text = rnnlm(['info']).stdout;
    expect(text).toMatch(/^oneDNN products 1024x1024: fp32 [\d.]+ GFLOP\/s, bf16 [\d.]+ GFLOP\/s$/m);
    expect(text).toMatch(/^ {2}bf16 products run at [\d.]+x float32 here: --precision bf16 (would slow training on this CPU; keep fp32|speeds up the oneDNN kernels|would round without a clear speed-up)$/m);
  });

  test('train --precision bf16 runs where bf16 can run, and says so in the report; elsewhere it is one clear line', () => {
    const data = tinyCorpus();
    const save = path.join(tempDir('rnnlm-bf16-'), 'run');
    const train = rnnlm(['train', '--data', data, ...TINY_MODEL, '--epochs', '1', '--max-batches', '5', '--precision', 'bf16', '--save', save, '--json']);
    if (info.bf16 !== true) {
      expect(train.status).toBe(1);
      expect(toolLines(train.stderr)).toEqual([expect.stringMatching(/^rnnlm: --precision bf16 cannot run here: .*; use --precision fp32$/)]);
      return;
    }
    expect(train.status).toBe(0);
    expect(readReport(save).backend).toMatch(/^tensorflow \(TensorFlow [\d.]+, tfjs [\d.]+, bf16/);
    const evaluate = rnnlm(['evaluate', '--model', save, '--data', data, '--precision', 'bf16', '--kernel', 'explicit', '--json']);
    expect(evaluate.status).toBe(0);
    expect(JSON.parse(evaluate.stdout).backend).toMatch(/bf16/);
  });

  test('--kernel fused is refused off the native backend', () => {
    const refused = rnnlm(['train', '--data', tinyCorpus(), ...TINY_MODEL, '--kernel', 'fused', '--backend', 'cpu']);
    expect(refused.status).toBe(1);
    expect(toolLines(refused.stderr)).toEqual(['rnnlm: --kernel fused needs the native tensorflow backend (TensorFlow\'s fused cells); this run uses cpu']);
  });
});

describe.each(STDERR_KINDS)("TensorFlow's start-up lines on stderr through a %s", (how) => {
  // A file opened without O_APPEND takes the process addon's dup2 (src/backend/quiet-stderr.ts).
  const silenced = how !== 'file' || typeof loadProcessAddon() !== 'string';
  test('are silenced: an error is one line; --verbose shows them and the stack', () => {
    const args = ['evaluate', '--model', path.join(tempDir('rnnlm-none-'), 'missing'), '--data', tinyCorpus(), '--backend', 'auto'];
    const quiet = rnnlmStderrThrough(how, args);
    expect(quiet.status).toBe(1);
    expect(silenced ? quiet.stderr.split('\n') : toolLines(quiet.stderr))
      .toEqual([expect.stringMatching(/^rnnlm: no model at .*missing: the directory does not exist$/)]);
    const verbose = rnnlmStderrThrough(how, [...args, '--verbose']);
    expect(verbose.status).toBe(1);
    expect(verbose.stderr).toMatch(/ModelFileError: no model at/); // the stack
  });

  // TensorFlow logs some lines as it loads and others at its first tensor (which lines depends on the CPU: an
  // AMD EPYC without AVX-512 logs none at load), so this run makes tensors.
  test('are silenced in a run that computes; --verbose shows them', () => {
    const args = ['train', '--data', tinyCorpus(), ...TINY_MODEL, '--epochs', '1', '--max-batches', '1', '--backend', 'auto'];
    const tensorflowLine = /port\.cc|cpu_feature_guard|oneDNN/;
    const quiet = rnnlmStderrThrough(how, args);
    expect(quiet.status).toBe(0);
    if (silenced) expect(quiet.stderr).not.toMatch(tensorflowLine);
    const verbose = rnnlmStderrThrough(how, [...args, '--verbose']);
    expect(verbose.status).toBe(0);
    if (nativeAvailability() === true) expect(verbose.stderr).toMatch(tensorflowLine);
  });
});
