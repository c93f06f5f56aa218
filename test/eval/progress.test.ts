import * as tf from '@tensorflow/tfjs';
import { passProgressPrinter } from '../../src/eval/progress';
import { evaluateModelOnCorpus } from '../../src/eval/evaluate';
import { STATISTICS_PASS } from '../../src/eval/tune';
import { loadCorpus } from '../../src/data/corpus';
import { LanguageModel } from '../../src/model/lm';
import { DEFAULT_HYPER, toModelConfig } from '../../src/config';
import { tinyCorpus } from '../cli/run-cli';

/** Reports windows 1…`total` of one pass, `msPerWindow` apart, and returns what was written. */
function feed(isTTY: boolean, total: number, msPerWindow: number): string[] {
  const written: string[] = [];
  let clock = 0;
  const onWindow = passProgressPrinter({ write: (text) => written.push(text), isTTY }, () => clock)('dynamic evaluation on test');
  for (let done = 1; done <= total; done++) {
    onWindow?.(done, total);
    clock += msPerWindow;
  }
  return written;
}

test('a pass shorter than a few seconds shows nothing', () => {
  expect(feed(false, 20, 100)).toEqual([]);
  expect(feed(true, 20, 100)).toEqual([]);
});

test('not a terminal: a line a minute with window k/n and the ETA, and one at the end', () => {
  // 2,108 windows at 0.5 s: a line when 3 s have passed, then every minute, then the total.
  const lines = feed(false, 2108, 500);
  expect(lines[0]).toBe('evaluate: dynamic evaluation on test: window 7/2108, ETA 17m31s\n');
  expect(lines[1]).toBe('evaluate: dynamic evaluation on test: window 127/2108, ETA 16m31s\n');
  expect(lines).toHaveLength(18 + 1); // windows 7, 127, …, 2047, and the end
  expect(lines[lines.length - 1]).toBe('evaluate: dynamic evaluation on test: 2108 windows in 17m34s\n');
  expect(lines.join('')).not.toMatch(/\r|\x1b/);
});

test('a terminal: one line redrawn in place at most twice a second, erased when the pass ends', () => {
  const writes = feed(true, 100, 250);
  expect(writes[0]).toBe('\revaluate: dynamic evaluation on test: window 13/100, ETA 0m22s\x1b[K');
  expect(writes[1]).toMatch(/^\revaluate: dynamic evaluation on test: window 15\/100, /);
  expect(writes[writes.length - 1]).toBe('\r\x1b[K');
  expect(writes).toHaveLength(1 + Math.floor((100 - 13) / 2) + 1);
});

test('a terminal, passes at once (--tune-jobs): one line names how many and the one to end last, erased when all have ended', () => {
  const writes: string[] = [];
  let clock = 0;
  const printer = passProgressPrinter({ write: (text) => writes.push(text), isTTY: true }, () => clock);
  const [fast, slow] = [printer('tune a on valid (screen)'), printer('tune b on valid (screen)')];
  // Both at 250 ms a window over 100 windows, the second started 10 windows later.
  for (let k = 1; k <= 110; k++) {
    if (k <= 100) fast?.(k, 100);
    if (k > 10) slow?.(k - 10, 100);
    clock += 250;
  }
  expect(writes[0]).toBe('\revaluate: tune a on valid (screen): window 13/100, ETA 0m22s\x1b[K');
  expect(writes).toContain('\revaluate: 2 passes at once; the last to end at window 14/100, ETA 0m22s\x1b[K');
  // The first to end leaves the line to the other; the last erases it.
  const lastTogether = writes.map((w) => w.includes('2 passes')).lastIndexOf(true);
  expect(writes.slice(lastTogether + 1, -1).every((w) => w.startsWith('\revaluate: tune b on valid (screen): window'))).toBe(true);
  expect(writes.slice(lastTogether + 1, -1).length).toBeGreaterThan(0);
  expect(writes.filter((w) => w === '\r\x1b[K')).toHaveLength(1);
  expect(writes[writes.length - 1]).toBe('\r\x1b[K');
  expect(writes.every((w) => !w.includes('\n'))).toBe(true);
});

test('evaluate names each pass (statistics, the split, each tuning trial) and reports every window of it', async () => {
  const data = tinyCorpus();
  const corpus = loadCorpus(data);
  const model = new LanguageModel(toModelConfig({ ...DEFAULT_HYPER, layers: 1, hidden: 8, embedding: 8 }, corpus.vocab.size));
  const passes: { pass: string; done: number; total: number }[] = [];
  const onPass = (pass: string) => {
    const entry = { pass, done: 0, total: -1 };
    passes.push(entry);
    return (done: number, total: number) => {
      expect(done).toBe(entry.done + 1);
      Object.assign(entry, { done, total });
    };
  };
  const before = tf.memory().numTensors;
  await evaluateModelOnCorpus(model, corpus.vocab, data, 'test', 2, 5, { method: 'dynamic', lr: 0.0005, lambda: 0.1, statsWindows: 3 }, null, onPass);
  expect(passes.map((p) => p.pass)).toEqual(['test', STATISTICS_PASS, 'dynamic evaluation on test']);
  expect(passes[1].total).toBe(3);
  await evaluateModelOnCorpus(model, corpus.vocab, data, 'test', 2, 5, { method: 'cache', size: 20, theta: 1, lambda: 0.1 }, {}, onPass);
  const tuning = passes.slice(3);
  expect(tuning[0].pass).toBe('test');
  expect(tuning[1].pass).toMatch(/^tune θ [\d.]+, λ [\d.]+ on valid \(screen\)$/);
  expect(tuning.filter((p) => p.pass.endsWith('(finalist)'))).toHaveLength(4);
  expect(tuning[tuning.length - 1].pass).toMatch(/^cache on test \(θ [\d.]+, λ [\d.]+\)$/);
  for (const p of passes) expect({ pass: p.pass, finished: p.done === p.total && p.total > 0 }).toEqual({ pass: p.pass, finished: true });
  expect(tf.memory().numTensors).toBe(before);
  model.dispose();
});
