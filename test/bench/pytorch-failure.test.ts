import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { PYTORCH_SCRIPT } from '../../bench/pytorch';
import { LINE, tempDir, tinyCorpus } from '../cli/run-cli';

/**
 * `npm run bench -- --pytorch` when the PyTorch script fails: the failure is printed with its cause, our rows
 * are still measured, printed and saved, and the bench exits non-zero.
 */
const BENCH = path.resolve(__dirname, '../../dist/bench/bench.js');
const describeWithScript = fs.existsSync(PYTORCH_SCRIPT) ? describe : describe.skip;

describeWithScript('bench with a failing PyTorch run', () => {
  test('reports the failure, keeps our rows and exits 1', () => {
    const dir = tempDir('rnnlm-bench-');
    // A "python" that imports torch (the availability probe) but crashes running the script.
    const python = path.join(dir, 'python');
    fs.writeFileSync(python, '#!/bin/sh\n[ "$1" = "-c" ] && exit 0\necho "Traceback: torch crashed" >&2\nexit 3\n', { mode: 0o755 });
    const data = tinyCorpus(200, { 'valid.txt': `${Array.from({ length: 100 }, () => LINE).join('\n')}\n` });
    const out = path.join(dir, 'results.json');
    const run = spawnSync(process.execPath, [BENCH, '--config', 'small', '--threads', '1', '--batches', '1', '--warmup', '0',
      '--eval-batches', '1', '--no-baseline', '--pytorch', '--data', data, '--out', out], { encoding: 'utf8', env: { ...process.env, PYTHON: python } });
    expect(run.stderr).toContain('pytorch small fp32 threads 1: PyTorch bench failed (exit 3): Traceback: torch crashed');
    expect(run.stderr).toContain('bench: 1 PyTorch run failed (above); the other rows are in the results');
    expect(run.stdout).toMatch(/\| tfjs-rnnlm \| small \| fp32 \| 1 \|/);
    expect(run.status).toBe(1);
    const saved = JSON.parse(fs.readFileSync(out, 'utf8')) as { runs: { rows: { system: string }[] }[] };
    expect(saved.runs[0].rows.map((row) => row.system)).toEqual(['tfjs-rnnlm']);
  });
});
