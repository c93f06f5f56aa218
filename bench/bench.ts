/**
 * Training and evaluation throughput, raced against the alternatives in one run:
 *   npm run bench -- [--config small,medium] [--precision fp32,bf16] [--threads 1,2] [--kernel auto,explicit] [--pytorch]
 *
 * For every precision × thread count × config a child process is started (precision and threads are fixed
 * per process in the native library); in it tfjs-rnnlm trains `--warmup` untimed windows then `--batches`
 * timed ones with each `--kernel`, evaluates `--eval-batches` windows, and the tfjs-layers baseline trains the
 * same windows; `--pytorch` then runs ../shared/peers/pytorch_lm_bench.py on that config, precision and thread
 * count, right after ours.
 * One table, and bench/results.json, get every row. Data: Penn Treebank from ../shared/data/ptb when
 * present, else a synthetic 10k-vocabulary stream.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Command, Option } from 'commander';
import { selectBackend } from '../src/backend';
import { cpuDescription } from '../src/backend/cpu';
import { DYNAMIC_WINDOW } from '../src/eval/windows';
import { matMulGflops, onednnProductGflops } from '../src/backend/info';
import { BACKEND_CHOICES, BackendChoice, KERNEL_CHOICES, KernelChoice, PRECISIONS, Precision } from '../src/config';
import { PACKAGE_ROOT } from '../src/package';
import { BenchData, loadBenchData } from './data';
import { benchLayers } from './layers-baseline';
import { CONFIGS, Counts, Row } from './measure';
import { benchOurs } from './ours';
import { benchPytorch, pytorchUnavailable } from './pytorch';

/** What one child process measures. */
interface ChildJob {
  backend: BackendChoice;
  precision: Precision;
  threads: number | null;
  kernels: KernelChoice[];
  configs: string[];
  baseline: boolean;
  data?: string;
  counts: Counts;
}

const list = <T extends string>(value: string, allowed: readonly T[], flag: string): T[] =>
  value.split(',').map((s) => {
    const name = s.trim() as T;
    if (!allowed.includes(name)) throw new Error(`${flag}: "${name}" is not one of ${allowed.join(', ')}`);
    return name;
  });

const count = (value: string, flag: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} must be a whole number, got "${value}"`);
  return n;
};

/**
 * The machine's matmul limit at a precision and thread count: a large square product, 2·n³ flops, by
 * TensorFlow's matMul (what tfjs-layers runs on) and by the oneDNN addon (what our kernels run on; null
 * without it).
 */
export interface MatmulLimit {
  precision: Precision;
  threads: number | null;
  size: number;
  gflops: number;
  onednnGflops: number | null;
}

const LIMIT_SIZE = 2048;

async function runChild(job: ChildJob): Promise<{ rows: Row[]; limit: MatmulLimit }> {
  const backend = await selectBackend({ backend: job.backend, precision: job.precision, threads: job.threads });
  const limit: MatmulLimit = {
    precision: job.precision, threads: job.threads, size: LIMIT_SIZE,
    gflops: matMulGflops(LIMIT_SIZE, 10), onednnGflops: onednnProductGflops(LIMIT_SIZE, job.precision, 10),
  };
  const data: BenchData = loadBenchData(job.data);
  const rows: Row[] = [];
  for (const config of job.configs) {
    for (const kernel of job.kernels) {
      const report = await selectBackend({ backend: job.backend, precision: job.precision, threads: job.threads, kernel });
      rows.push(await benchOurs(config, data, job.counts, report));
      process.stderr.write(`  tfjs-rnnlm ${config} ${job.precision} threads ${job.threads ?? 'default'} kernel ${kernel}: ` +
        `${rows[rows.length - 1].trainWordsPerSecond.toFixed(0)} words/s\n`);
    }
    if (job.baseline) {
      rows.push(await benchLayers(config, data, job.counts, backend));
      process.stderr.write(`  tfjs-layers ${config}: ${rows[rows.length - 1].trainWordsPerSecond.toFixed(0)} words/s\n`);
    }
  }
  return { rows, limit };
}

/** Runs a job in a fresh node (its own native precision and threads); its last stdout line is the result. */
function spawnChild(job: ChildJob): { rows: Row[]; limit: MatmulLimit } {
  const run = spawnSync(process.execPath, ['--expose-gc', __filename, '--child', JSON.stringify(job)], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 2 ** 20,
  });
  if (run.status !== 0) throw new Error(`the ${job.precision} / ${job.threads ?? 'default'}-thread run failed (exit ${run.status})`);
  return JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as { rows: Row[]; limit: MatmulLimit };
}

const fixed = (value: number | null, digits = 0): string => (value === null ? '—' : value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));

function printTable(rows: Row[]): void {
  const header = ['system', 'config', 'precision', 'threads', 'kernel', 'train words/s', 'vs tfjs-layers', 'eval words/s', 'dynamic-eval words/s', 'GFLOP/s',
    'ms/batch', 'peak RSS MiB', 'RSS growth (after GC)', 'tensors before→after'];
  const baseline = (r: Row): Row | undefined => rows.find((b) => b.system === 'tfjs-layers' && b.config === r.config &&
    b.precision === r.precision && b.threads === r.threads);
  const cells = rows.map((r) => {
    const base = r.system === 'tfjs-rnnlm' ? baseline(r) : undefined;
    return [
      r.system, r.config, r.precision, r.threads === null ? 'default' : String(r.threads), r.kernel, fixed(r.trainWordsPerSecond),
      base ? `${(r.trainWordsPerSecond / base.trainWordsPerSecond).toFixed(2)}x` : '', fixed(r.evalWordsPerSecond),
      fixed(r.dynamicWordsPerSecond), fixed(r.trainGflops, 1),
      fixed(r.msPerBatch, 1), fixed(r.peakRssMiB), r.rssGrowthPercent === null ? '—' : `${r.rssGrowthPercent.toFixed(1)}%`,
      r.tensorsBefore === null ? '—' : `${r.tensorsBefore}→${r.tensorsAfter}`,
    ];
  });
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map(() => '---').join('|')}|`);
  for (const row of cells) console.log(`| ${row.join(' | ')} |`);
}

async function main(): Promise<void> {
  const program = new Command('bench')
    .description('training/evaluation throughput of tfjs-rnnlm, the tfjs-layers baseline and (optionally) PyTorch')
    .addOption(new Option('--backend <name>', 'math backend').choices(BACKEND_CHOICES).default('auto'))
    .option('--config <names>', `comma-separated configs: ${Object.keys(CONFIGS).join(', ')}`, 'small,medium')
    .option('--precision <list>', `comma-separated: ${PRECISIONS.join(', ')}`, 'fp32')
    .option('--threads <list>', 'comma-separated intra-op thread counts, or "default"', 'default')
    .option('--kernel <list>', `comma-separated: ${KERNEL_CHOICES.join(', ')}`, 'auto')
    .option('--batches <n>', 'timed training windows per config', '100')
    .option('--warmup <n>', 'untimed training windows first (V8 heap reaches its working size in ~100)', '20')
    .option('--eval-batches <n>', 'timed evaluation windows per config', '50')
    .option('--dynamic-windows <n>', 'timed dynamic-evaluation windows (batch 1) per config, 0 = none', '0')
    .option('--dynamic-bptt <n>', 'tokens in a dynamic-evaluation window (evaluate --dynamic\'s default, Krause et al.\'s)', String(DYNAMIC_WINDOW))
    .option('--no-baseline', 'skip the tfjs-layers baseline')
    .option('--pytorch', 'also run ../shared/peers/pytorch_lm_bench.py at each precision and thread count (python3 with torch)')
    .option('--data <dir>', 'corpus directory (default: ../shared/data/ptb if present, else synthetic)')
    .option('--out <file>', 'results file', path.join(PACKAGE_ROOT, 'bench', 'results.json'))
    .option('--child <job>', 'internal: run one precision/thread job and print its rows')
    .addHelpText('after', '\nExample:\n  npm run bench -- --config small,medium --precision fp32,bf16 --threads 1,2 --pytorch');
  program.parse();
  const opts = program.opts<{
    backend: BackendChoice; config: string; precision: string; threads: string; kernel: string; batches: string; warmup: string;
    evalBatches: string; dynamicWindows: string; dynamicBptt: string; baseline: boolean; pytorch?: boolean; data?: string; out: string; child?: string;
  }>();
  if (opts.child) {
    process.stdout.write(`${JSON.stringify(await runChild(JSON.parse(opts.child) as ChildJob))}\n`);
    return;
  }
  const configs = list(opts.config, Object.keys(CONFIGS), '--config');
  const precisions = list(opts.precision, PRECISIONS, '--precision');
  const kernels = list(opts.kernel, KERNEL_CHOICES, '--kernel');
  const threads = opts.threads.split(',').map((t) => (t.trim() === 'default' ? null : Math.max(1, count(t.trim(), '--threads'))));
  const counts: Counts = {
    batches: Math.max(1, count(opts.batches, '--batches')), warmup: count(opts.warmup, '--warmup'),
    evalBatches: Math.max(1, count(opts.evalBatches, '--eval-batches')), dynamicWindows: count(opts.dynamicWindows, '--dynamic-windows'),
    dynamicBptt: Math.max(1, count(opts.dynamicBptt, '--dynamic-bptt')),
  };
  const data = loadBenchData(opts.data);
  console.log(`CPU: ${cpuDescription()}; data: ${data.name} (${data.train.length.toLocaleString('en-US')} training tokens, ` +
    `vocabulary ${data.vocabSize}); batch 20, bptt 35, SGD; ${counts.warmup} warm-up + ${counts.batches} timed windows`);
  const rows: Row[] = [];
  const limits: MatmulLimit[] = [];
  const failures: string[] = [];
  const noPytorch = opts.pytorch ? pytorchUnavailable() : null;
  if (noPytorch) console.log(`PyTorch skipped: ${noPytorch}`);
  // Each config's systems run back to back (ours, the baseline, then PyTorch), so that a drift of the machine's
  // speed over the run does not fall on one system alone.
  for (const precision of precisions) {
    for (const threadCount of threads) {
      for (const config of configs) {
        const child = spawnChild({ backend: opts.backend, precision, threads: threadCount, kernels, configs: [config], baseline: opts.baseline, data: opts.data, counts });
        rows.push(...child.rows);
        if (config === configs[0]) limits.push(child.limit);
        if (opts.pytorch && !noPytorch) {
          const pyThreads = threadCount ?? os.cpus().length;
          const name = `pytorch ${config} ${precision} threads ${pyThreads}`;
          // A failed PyTorch run is reported, not allowed to throw away the rows measured so far and to come.
          try {
            rows.push(benchPytorch(config, data, counts, precision, pyThreads));
            process.stderr.write(`  ${name}: ${rows[rows.length - 1].trainWordsPerSecond.toFixed(0)} words/s\n`);
          } catch (error) {
            failures.push(`${name}: ${(error as Error).message}`);
            process.stderr.write(`  ${failures[failures.length - 1]}\n`);
          }
        }
      }
    }
  }
  printTable(rows);
  for (const l of limits) {
    console.log(`matmul limit (${l.size}x${l.size}, ${l.precision}, threads ${l.threads ?? 'default'}): TensorFlow ${l.gflops.toFixed(1)} GFLOP/s` +
      `${l.onednnGflops === null ? '' : `, oneDNN ${l.onednnGflops.toFixed(1)} GFLOP/s`}`);
  }
  const previous = fs.existsSync(opts.out) ? (JSON.parse(fs.readFileSync(opts.out, 'utf8')) as { runs?: unknown[] }).runs ?? [] : [];
  const run = { measured: new Date().toISOString(), cpu: cpuDescription(), cpus: os.cpus().length, node: process.version, counts, limits, rows };
  fs.writeFileSync(opts.out, `${JSON.stringify({ runs: [...previous, run] }, null, 2)}\n`);
  console.log(`results: ${path.relative(process.cwd(), opts.out) || opts.out}`);
  if (failures.length > 0) {
    console.error(`bench: ${failures.length} PyTorch run${failures.length > 1 ? 's' : ''} failed (above); the other rows are in the results`);
    process.exitCode = 1;
  }
}

main().catch((error: Error) => {
  console.error(`bench: ${error.message}`);
  process.exit(1);
});
