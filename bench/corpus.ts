/**
 * Memory of a large corpus: `npm run bench:corpus -- [--gigabytes 1] [--corpus DIR]`.
 *
 * Writes a synthetic word-level corpus of the given size (10k-type Zipf vocabulary, 20 words a line; kept in
 * DIR for later runs), loads it with `loadCorpus` (files read and tokenized as streams), then trains three
 * windows and validates a tiny model on it. Prints the file size, the tokens, the size of the token array, the
 * load time and the peak RSS of the process, so that memory can be read against the size of the text.
 * (The flag is not `--dir`: tfjs-node's loader reads the command line and takes `--dir` as its own.)
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Command } from 'commander';
import { selectBackend } from '../src/backend';
import { resolveHyper, toModelConfig, toTrainConfig } from '../src/config';
import { loadCorpus } from '../src/data/corpus';
import { LanguageModel } from '../src/model/lm';
import { Trainer } from '../src/train/trainer';
import { formatBytes } from '../src/util/atomic-files';

const TYPES = 10_000;
const WORDS_PER_LINE = 20;
const BLOCK_BYTES = 8 << 20;

/** Word k of the synthetic vocabulary, drawn with probability ∝ 1/(k+1) from a fixed-seed generator. */
function zipfSampler(seed: number): () => string {
  const words = Array.from({ length: TYPES }, (_, k) => `w${k}`);
  const cumulative = new Float64Array(TYPES);
  let total = 0;
  for (let k = 0; k < TYPES; k++) cumulative[k] = total += 1 / (k + 1);
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const target = (state / 2 ** 32) * total;
    let low = 0;
    let high = TYPES - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (cumulative[middle] < target) low = middle + 1;
      else high = middle;
    }
    return words[low];
  };
}

function writeText(file: string, bytes: number, seed: number): void {
  const next = zipfSampler(seed);
  const fd = fs.openSync(file, 'w');
  let written = 0;
  while (written < bytes) {
    const lines: string[] = [];
    let size = 0;
    while (size < Math.min(BLOCK_BYTES, bytes - written)) {
      const line = `${Array.from({ length: WORDS_PER_LINE }, next).join(' ')}\n`;
      lines.push(line);
      size += line.length;
    }
    const block = Buffer.from(lines.join(''));
    fs.writeSync(fd, block);
    written += block.length;
  }
  fs.closeSync(fd);
}

async function main(): Promise<void> {
  const options = new Command()
    .option('--gigabytes <x>', 'size of the training text', '1')
    .option('--corpus <dir>', 'where the corpus is written (and reused)', path.join(os.tmpdir(), 'rnnlm-bench-corpus'))
    .parse()
    .opts();
  const bytes = Math.round(Number(options.gigabytes) * 1e9);
  const dir = path.resolve(options.corpus);
  fs.mkdirSync(dir, { recursive: true });
  const train = path.join(dir, 'train.txt');
  if (fs.statSync(train, { throwIfNoEntry: false })?.size !== bytes) {
    process.stderr.write(`writing ${formatBytes(bytes)} of text to ${train}\n`);
    // Each block is cut at a line end, so the size is exact only when the last block is trimmed.
    writeText(train, bytes, 1);
    fs.truncateSync(train, bytes - 1);
    fs.appendFileSync(train, '\n');
    writeText(path.join(dir, 'valid.txt'), 20_000, 2);
    writeText(path.join(dir, 'test.txt'), 20_000, 3);
  }
  const backend = await selectBackend('auto');
  const rssBefore = process.memoryUsage().rss;
  const started = Date.now();
  const corpus = loadCorpus(dir);
  const loadSeconds = (Date.now() - started) / 1000;
  const peakAfterLoad = process.resourceUsage().maxRSS * 1024;
  const hyper = resolveHyper(null, { layers: 1, hidden: 16, embedding: 16, batchSize: 20, bptt: 35, epochs: 1, maxBatches: 3 });
  const model = new LanguageModel(toModelConfig(hyper, corpus.vocab.size));
  const trainer = new Trainer(model, corpus, toTrainConfig(hyper));
  const { history } = await trainer.run();
  const tokens = corpus.train.length;
  const row = {
    file: formatBytes(fs.statSync(train).size), tokens: tokens.toLocaleString('en-US'), tokenArray: formatBytes(tokens * 4),
    loadSeconds: Math.round(loadSeconds), rssBeforeLoad: formatBytes(rssBefore), peakRssAfterLoad: formatBytes(peakAfterLoad),
    peakRssAfterTraining: formatBytes(process.resourceUsage().maxRSS * 1024), validPpl: history[0].validPpl.toFixed(1), backend: backend.name,
  };
  process.stdout.write(`${JSON.stringify(row, null, 2)}\n`);
  trainer.dispose();
  model.dispose();
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exit(1);
});
