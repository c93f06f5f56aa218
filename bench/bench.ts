/**
 * Training and evaluation throughput: `npm run bench -- [--backend B] [--config small,medium,gru] [--batches N]`.
 *
 * For each config it builds the model with the library's own Trainer, runs `--warmup` training windows (kernel
 * set-up, allocator), then times `--batches` windows of training and `--eval-batches` windows of evaluation,
 * and prints one table row per config; `bench/results.json` gets the same numbers. Data: Penn Treebank from
 * ../shared/data/ptb when present, else a synthetic 10k-vocabulary stream (Zipf-distributed ids).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { Command, Option } from 'commander';
import { selectBackend } from '../src/backend';
import { createCell } from '../src/cells';
import { BACKEND_CHOICES, BackendChoice, DEFAULT_HYPER, HyperParameters, toModelConfig, toTrainConfig } from '../src/config';
import { StreamBatcher } from '../src/data/batches';
import { loadCorpus } from '../src/data/corpus';
import { LanguageModel, ModelState } from '../src/model/lm';
import { tokenNll } from '../src/model/loss';
import { PACKAGE_ROOT } from '../src/package';
import { Trainer } from '../src/train/trainer';

/** The configs: PyTorch word_language_model's small and medium tied LSTMs, and a medium GRU. */
const CONFIGS: Record<string, Partial<HyperParameters>> = {
  small: { cell: 'lstm', layers: 2, hidden: 200, embedding: 200, tied: true, dropout: 0.2 },
  medium: { cell: 'lstm', layers: 2, hidden: 650, embedding: 650, tied: true, dropout: 0.5 },
  gru: { cell: 'gru', layers: 2, hidden: 650, embedding: 650, tied: true, dropout: 0.5 },
};
const PTB_DIR = path.resolve(PACKAGE_ROOT, '..', 'shared', 'data', 'ptb');
const SYNTHETIC_VOCAB = 10_000;

interface Data {
  name: string;
  vocabSize: number;
  train: Int32Array;
  valid: Int32Array;
}

interface Row {
  backend: string;
  config: string;
  data: string;
  batches: number;
  trainWordsPerSecond: number;
  evalWordsPerSecond: number;
  trainGflops: number;
  msPerBatch: number;
  peakRssMiB: number;
  rssGrowthPercent: number;
  tensorsBefore: number;
  tensorsAfter: number;
}

function loadData(dataDir: string | undefined): Data {
  const dir = dataDir ?? (fs.existsSync(PTB_DIR) ? PTB_DIR : null);
  if (dir) {
    const corpus = loadCorpus(dir);
    return { name: path.basename(dir), vocabSize: corpus.vocab.size, train: corpus.train, valid: corpus.valid };
  }
  // Zipf-like ids (rank r with probability ∝ 1/r) from a fixed LCG: reproducible, no data file needed.
  let state = 12345;
  const uniform = (): number => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
  const harmonic = Math.log(SYNTHETIC_VOCAB) + 0.5772;
  const stream = (length: number): Int32Array =>
    Int32Array.from({ length }, () => Math.min(SYNTHETIC_VOCAB - 1, Math.floor(Math.exp(uniform() * harmonic)) - 1));
  return { name: 'synthetic', vocabSize: SYNTHETIC_VOCAB, train: stream(300_000), valid: stream(60_000) };
}

/** Multiply-add FLOPs of one forward pass over `tokens` positions; training costs 3× (forward + two backward matmuls). */
function forwardFlops(h: HyperParameters, vocabSize: number, tokens: number): number {
  const hidden = h.hidden as number;
  const gates = createCell(h.cell, { units: 1 }).gates; // blocks of the fused affine
  let perToken = 0;
  let input = h.embedding;
  for (let k = 0; k < h.layers; k++) {
    perToken += 2 * (input + hidden) * gates * hidden; // [x, h]·W
    input = hidden;
  }
  perToken += 2 * hidden * vocabSize; // projection to the vocabulary
  return perToken * tokens;
}

function rssMiB(): number {
  return process.memoryUsage().rss / 2 ** 20;
}

/**
 * RSS after a full garbage collection (`npm run bench` passes --expose-gc). Between major collections V8's heap
 * grows by ~0.5 MB of garbage per batch and drops back, so only collected readings show retained memory.
 */
function settledRssMiB(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return rssMiB();
}

function benchConfig(configName: string, data: Data, options: { batches: number; warmup: number; evalBatches: number }): Row {
  const hyper: HyperParameters = { ...DEFAULT_HYPER, ...CONFIGS[configName] };
  const model = new LanguageModel(toModelConfig(hyper, data.vocabSize));
  const trainer = new Trainer(model, { train: data.train, valid: data.valid, test: data.valid }, toTrainConfig(hyper));
  const batcher = new StreamBatcher(data.train, hyper.batchSize, hyper.bptt, { exact: false });
  const windows = batcher.numWindows;
  const trainWindow = (k: number): number => trainer.step(batcher.window(k % windows), k + 1);

  for (let k = 0; k < options.warmup; k++) trainWindow(k);
  const tensorsBefore = tf.memory().numTensors;
  const rssBefore = settledRssMiB();
  let peakRss = rssBefore;
  let tokens = 0;
  const started = performance.now();
  for (let k = 0; k < options.batches; k++) {
    trainWindow(options.warmup + k);
    tokens += hyper.batchSize * hyper.bptt;
    if (k % 25 === 0) peakRss = Math.max(peakRss, rssMiB());
  }
  const trainSeconds = (performance.now() - started) / 1000;
  const tensorsAfter = tf.memory().numTensors;
  peakRss = Math.max(peakRss, rssMiB());
  const rssAfter = settledRssMiB();

  // Evaluation as `evaluate` runs it: stateful, no dropout, batch 10.
  const evalBatcher = new StreamBatcher(data.valid, DEFAULT_HYPER.evalBatchSize, hyper.bptt, { exact: true });
  const evalWindows = Math.min(options.evalBatches, evalBatcher.numWindows);
  let state: ModelState | null = null;
  let evalTokens = 0;
  const evalStarted = performance.now();
  for (let k = 0; k < evalWindows; k++) {
    const window = evalBatcher.window(k);
    const result = tf.tidy(() => {
      const inputs = tf.tensor2d(window.inputs, [window.batchSize, window.steps], 'int32');
      const { logits, state: next } = model.forward(inputs, state, null);
      return { sum: tf.sum(tokenNll(logits, tf.tensor1d(window.targets, 'int32'))), next: next.layers };
    });
    result.sum.dataSync();
    result.sum.dispose();
    if (state) tf.dispose(state.layers);
    state = { layers: result.next };
    evalTokens += window.tokens;
  }
  const evalSeconds = (performance.now() - evalStarted) / 1000;
  if (state) tf.dispose(state.layers);
  trainer.dispose();
  model.dispose();

  return {
    backend: tf.getBackend(),
    config: configName,
    data: data.name,
    batches: options.batches,
    trainWordsPerSecond: tokens / trainSeconds,
    evalWordsPerSecond: evalTokens / evalSeconds,
    trainGflops: (3 * forwardFlops(hyper, data.vocabSize, tokens)) / trainSeconds / 1e9,
    msPerBatch: (1000 * trainSeconds) / options.batches,
    peakRssMiB: peakRss,
    rssGrowthPercent: (100 * (rssAfter - rssBefore)) / rssBefore,
    tensorsBefore,
    tensorsAfter,
  };
}

function printTable(rows: Row[]): void {
  const header = ['backend', 'config', 'data', 'batches', 'train words/s', 'eval words/s', 'GFLOP/s', 'ms/batch', 'peak RSS MiB', 'RSS growth (after GC)', 'tensors before→after'];
  const cells = rows.map((r) => [
    r.backend, r.config, r.data, String(r.batches), r.trainWordsPerSecond.toFixed(0), r.evalWordsPerSecond.toFixed(0),
    r.trainGflops.toFixed(1), r.msPerBatch.toFixed(1), r.peakRssMiB.toFixed(0), `${r.rssGrowthPercent.toFixed(1)}%`,
    `${r.tensorsBefore}→${r.tensorsAfter}`,
  ]);
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map(() => '---').join('|')}|`);
  for (const row of cells) console.log(`| ${row.join(' | ')} |`);
}

async function main(): Promise<void> {
  const program = new Command('bench')
    .description('training/evaluation throughput of the benchmark configs')
    .addOption(new Option('--backend <name>', 'math backend').choices(BACKEND_CHOICES).default('auto'))
    .option('--config <names>', `comma-separated configs: ${Object.keys(CONFIGS).join(', ')}`, Object.keys(CONFIGS).join(','))
    .option('--batches <n>', 'timed training windows per config', '100')
    .option('--warmup <n>', 'untimed training windows first (V8 heap reaches its working size in ~100)', '20')
    .option('--eval-batches <n>', 'timed evaluation windows per config', '50')
    .option('--data <dir>', 'corpus directory (default: ../shared/data/ptb if present, else synthetic)')
    .option('--out <file>', 'results file', path.join(PACKAGE_ROOT, 'bench', 'results.json'))
    .addHelpText('after', '\nExample:\n  npm run bench -- --backend tensorflow --config small --batches 500');
  program.parse();
  const opts = program.opts<{ backend: BackendChoice; config: string; batches: string; warmup: string; evalBatches: string; data?: string; out: string }>();
  const count = (value: string, flag: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} must be a whole number, got "${value}"`);
    return n;
  };
  const configNames = opts.config.split(',').map((s) => s.trim());
  for (const name of configNames) {
    if (!(name in CONFIGS)) throw new Error(`unknown config "${name}": use ${Object.keys(CONFIGS).join(', ')}`);
  }
  const numbers = { batches: Math.max(1, count(opts.batches, '--batches')), warmup: count(opts.warmup, '--warmup'), evalBatches: Math.max(1, count(opts.evalBatches, '--eval-batches')) };
  const report = await selectBackend(opts.backend);
  const data = loadData(opts.data);
  console.log(`backend: ${report.name}; data: ${data.name} (${data.train.length.toLocaleString('en-US')} training tokens, vocabulary ${data.vocabSize})`);
  const rows: Row[] = [];
  for (const name of configNames) {
    rows.push(benchConfig(name, data, numbers));
    console.log(`${name}: ${rows[rows.length - 1].trainWordsPerSecond.toFixed(0)} words/s`);
  }
  printTable(rows);
  const previous = fs.existsSync(opts.out) ? (JSON.parse(fs.readFileSync(opts.out, 'utf8')) as { rows?: Row[] }).rows ?? [] : [];
  const kept = previous.filter((p) => !rows.some((r) => r.backend === p.backend && r.config === p.config));
  const results = { updated: new Date().toISOString(), cpus: os.cpus().length, node: process.version, rows: [...kept, ...rows] };
  fs.writeFileSync(opts.out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`results: ${path.relative(process.cwd(), opts.out) || opts.out}`);
}

main().catch((error: Error) => {
  console.error(`bench: ${error.message}`);
  process.exit(1);
});
