import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { DEFAULT_HYPER, HyperParameters } from '../src/config';
import { PACKAGE_ROOT } from '../src/package';
import { BenchData } from './data';
import { BATCH, BPTT, CONFIGS, Counts, Row, forwardFlops } from './measure';

/** The PyTorch side of the race (a measuring tool beside the repository, not a dependency). */
export const PYTORCH_SCRIPT = path.resolve(PACKAGE_ROOT, '..', 'shared', 'peers', 'pytorch_lm_bench.py');

/** The first Python that imports torch: $PYTHON, python3 on the PATH, then Debian's (python3-torch). */
export function findPython(): string | null {
  const candidates = [process.env.PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => Boolean(c));
  return candidates.find((python) => spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0) ?? null;
}

/** Why PyTorch cannot run here, or null. */
export function pytorchUnavailable(): string | null {
  if (!fs.existsSync(PYTORCH_SCRIPT)) return `no ${PYTORCH_SCRIPT}`;
  return findPython() ? null : 'no python3 here imports torch (apt-get install python3-torch, or set PYTHON)';
}

/** Runs ../shared/peers/pytorch_lm_bench.py on the same data, batch, window and model as our config. */
export function benchPytorch(configName: string, data: BenchData, counts: Counts, precision: string, threads: number): Row {
  if (!data.dir) throw new Error('the PyTorch script reads a corpus directory: pass --data or put PTB in ../shared/data/ptb');
  const hyper: HyperParameters = { ...DEFAULT_HYPER, ...CONFIGS[configName] };
  const args = [
    PYTORCH_SCRIPT, data.dir, '--hidden', String(hyper.hidden), '--layers', String(hyper.layers), '--dropout', String(hyper.dropout),
    '--cell', hyper.cell.toUpperCase(), '--threads', String(threads), '--warmup', String(counts.warmup), '--batches', String(counts.batches),
    ...(precision === 'bf16' ? ['--bf16'] : []),
  ];
  const run = spawnSync(findPython() ?? 'python3', args, { encoding: 'utf8' });
  const line = run.stdout.trim().split('\n').pop() ?? '';
  if (run.status !== 0 || !line.startsWith('{')) {
    const how = run.error ? run.error.message : run.signal ? `killed by ${run.signal}` : `exit ${run.status}`;
    throw new Error(`PyTorch bench failed (${how}): ${run.stderr?.trim().split('\n').pop() || 'no message'}`);
  }
  const result = JSON.parse(line) as { words_per_s: number; ms_per_batch: number; eval_words_per_s: number };
  const tokens = counts.batches * BATCH * BPTT;
  const seconds = tokens / result.words_per_s;
  return {
    system: 'pytorch', backend: 'torch', precision, threads, kernel: `nn.${hyper.cell.toUpperCase()}`, config: configName, data: data.name,
    batches: counts.batches, trainWordsPerSecond: result.words_per_s, evalWordsPerSecond: result.eval_words_per_s, dynamicWordsPerSecond: null,
    trainGflops: (3 * forwardFlops(hyper, data.vocabSize, tokens)) / seconds / 1e9,
    msPerBatch: result.ms_per_batch, peakRssMiB: null, rssGrowthPercent: null, tensorsBefore: null, tensorsAfter: null,
  };
}
