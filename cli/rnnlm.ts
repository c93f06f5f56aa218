#!/usr/bin/env node
/** The `rnnlm` command: a thin shell over the library API (src/index.ts). */

import * as path from 'path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import {
  BACKEND_NAMES, BackendChoice, CELL_KINDS, ConfigError, DataError, DivergenceError, HyperParameters, ModelFileError,
  PACKAGE_VERSION, describeBackend, epochTable, evaluateModelOnCorpus, generateText, loadModelFromDirectory,
  presetNames, selectBackend, trainLanguageModel, backendInfo,
} from '../src';

const int = (flag: string) => (value: string): number => {
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`${flag} needs a whole number, got "${value}"`);
  return n;
};
const num = (flag: string) => (value: string): number => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`${flag} needs a number, got "${value}"`);
  return n;
};
const sizes = (value: string): number | number[] => {
  const parts = value.split(',').map((p) => int('--hidden')(p));
  return parts.length === 1 ? parts[0] : parts;
};
const backendOption = (): Option =>
  new Option('--backend <name>', 'math backend').choices(['auto', ...BACKEND_NAMES]).default('auto');

/** Maps commander's camelCase options onto HyperParameters, keeping only what the user gave. */
const HYPER_KEYS: (keyof HyperParameters)[] = [
  'cell', 'layers', 'hidden', 'embedding', 'tied', 'dropout', 'dropoutKind', 'dropoutInput', 'dropoutHidden', 'dropoutOutput',
  'dropoutRecurrent', 'dropoutEmbedding', 'init', 'initScale', 'forgetBias', 'batchSize', 'bptt', 'epochs', 'optimizer',
  'lr', 'schedule', 'lrDecay', 'decayStart', 'clip', 'seed', 'maxBatches',
];

function explicitHyper(options: Record<string, unknown>): Partial<HyperParameters> {
  const out: Record<string, unknown> = {};
  for (const key of HYPER_KEYS) if (options[key] !== undefined) out[key] = options[key];
  return out as Partial<HyperParameters>;
}

const fmt = (value: number | null | undefined, digits = 2): string => (value == null ? '—' : value.toFixed(digits));

/** Progress on stderr: a live line on a terminal, a line every ~10% of the epoch otherwise (logs, CI). */
function progressPrinter(): (p: { epoch: number; batch: number; batches: number; loss: number; wordsPerSecond: number }) => void {
  const tty = process.stderr.isTTY;
  let started = Date.now();
  let lastEpoch = -1;
  return (p) => {
    if (p.epoch !== lastEpoch) {
      lastEpoch = p.epoch;
      started = Date.now();
    }
    const elapsed = (Date.now() - started) / 1000;
    const eta = p.batch > 0 ? (elapsed / p.batch) * (p.batches - p.batch) : 0;
    const line = `epoch ${p.epoch} batch ${p.batch}/${p.batches} loss ${p.loss.toFixed(3)} ppl ${fmt(Math.exp(p.loss))} ` +
      `${Math.round(p.wordsPerSecond)} words/s ETA ${Math.round(eta)}s`;
    if (tty) {
      const width = 20;
      const filled = Math.round((p.batch / p.batches) * width);
      process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${line}\x1b[K`);
      if (p.batch === p.batches) process.stderr.write('\r\x1b[K');
    } else if (p.batch === p.batches || p.batch % Math.max(1, Math.round(p.batches / 10)) === 0) {
      process.stderr.write(`${line}\n`);
    }
  };
}

const program = new Command();
program
  .name('rnnlm')
  .description('Train, evaluate and sample recurrent language models (LSTM, GRU, peephole LSTM, tanh RNN) on TensorFlow.js')
  .version(PACKAGE_VERSION)
  .option('--verbose', 'show stack traces of errors')
  .showHelpAfterError('(run with --help for usage)');

program
  .command('train')
  .description('train a language model by truncated BPTT; without --data, on the embedded Brown corpus sample')
  .option('--data <dir>', 'corpus directory with train/valid/test(.txt) or ptb.{train,valid,test}.txt')
  .option('--char', 'character-level tokens instead of words')
  .option('--max-vocab <n>', 'keep the N most frequent types, map the rest to <unk>', int('--max-vocab'))
  .option('--preset <name>', `hyper-parameter preset: ${presetNames().join(', ')}`)
  .addOption(new Option('--cell <kind>', 'recurrent cell (default lstm)').choices([...CELL_KINDS]))
  .option('--layers <n>', 'stacked layers (default 2)', int('--layers'))
  .option('--hidden <n[,n...]>', 'units per layer, one size or one per layer (default 200)', sizes)
  .option('--embedding <n>', 'embedding size (default 200)', int('--embedding'))
  .option('--tied', 'tie the output projection to the embedding (Press & Wolf 2017)')
  .option('--dropout <p>', 'input, between-layer and output dropout (default 0.2)', num('--dropout'))
  .addOption(new Option('--dropout-kind <kind>', 'variational: one mask per window; standard: per step (default variational)').choices(['variational', 'standard']))
  .option('--dropout-input <p>', 'dropout on the embeddings', num('--dropout-input'))
  .option('--dropout-hidden <p>', 'dropout between layers', num('--dropout-hidden'))
  .option('--dropout-output <p>', 'dropout before the projection', num('--dropout-output'))
  .option('--dropout-recurrent <p>', 'dropout on the h fed back into the cells (default 0)', num('--dropout-recurrent'))
  .option('--dropout-embedding <p>', 'drop whole word types (default 0)', num('--dropout-embedding'))
  .addOption(new Option('--init <kind>', 'uniform(±init-scale) or default (Glorot/orthogonal)').choices(['uniform', 'default']))
  .option('--init-scale <x>', 'uniform init half-width (default 0.1)', num('--init-scale'))
  .option('--forget-bias <x>', 'initial LSTM forget-gate bias (default 1)', num('--forget-bias'))
  .option('--batch-size <n>', 'parallel streams (default 20)', int('--batch-size'))
  .option('--bptt <n>', 'steps per window (default 35)', int('--bptt'))
  .option('--epochs <n>', 'epochs (default 6); with --resume, the new total', int('--epochs'))
  .addOption(new Option('--optimizer <name>', 'optimizer (default sgd)').choices(['sgd', 'adam']))
  .option('--lr <x>', 'learning rate (default 20)', num('--lr'))
  .addOption(new Option('--schedule <name>', 'lr schedule (default plateau)').choices(['fixed', 'plateau', 'none']))
  .option('--lr-decay <x>', 'fixed schedule: factor per epoch after --decay-start (default 0.5)', num('--lr-decay'))
  .option('--decay-start <n>', 'fixed schedule: first epoch without decay... decay starts after it (default 4)', int('--decay-start'))
  .option('--clip <x>', 'max global gradient norm, 0 = off (default 0.25)', num('--clip'))
  .option('--seed <n>', 'random seed (default 1111)', int('--seed'))
  .option('--save <dir>', 'run directory: best model, checkpoints, report.json/md')
  .option('--resume', 'continue the run in --save from its last checkpoint')
  .option('--force', 'replace an existing run in --save')
  .option('--checkpoint-every <n>', 'also checkpoint every N batches', int('--checkpoint-every'))
  .option('--max-batches <n>', 'cap batches per epoch (quick runs)', int('--max-batches'))
  .addOption(backendOption())
  .option('--json', 'print one JSON object per epoch (and a final one) on stdout')
  .addHelpText('after', '\nExample:\n  rnnlm train --data ../shared/data/ptb --preset small-tied-vd --epochs 1 --save runs/small\n')
  .action(async (options) => {
    const controller = new AbortController();
    let signalCode = 0;
    const stop = (code: number) => (): void => {
      if (signalCode) process.exit(code); // a second Ctrl-C: leave at once
      signalCode = code;
      process.stderr.write('\nrnnlm: stopping after this batch and writing a checkpoint (Ctrl-C again to quit at once)\n');
      controller.abort();
    };
    process.on('SIGINT', stop(130));
    process.on('SIGTERM', stop(143));
    const json = Boolean(options.json);
    let printedHeader = false;
    const result = await trainLanguageModel({
      data: options.data ?? null, char: options.char ?? false, maxVocab: options.maxVocab ?? null, preset: options.preset ?? null,
      hyper: explicitHyper(options), save: options.save ?? null, resume: options.resume ?? false, force: options.force ?? false,
      backend: options.backend as BackendChoice, checkpointEvery: options.checkpointEvery ?? null, signal: controller.signal,
      command: ['rnnlm', ...process.argv.slice(2)].join(' '),
      onStart: ({ backend, corpus, model, resumedAt }) => {
        const source = options.data ? corpus.dir : `embedded default corpus: ${corpus.dir}`;
        process.stderr.write(`backend: ${backend}\ncorpus: ${source} (${corpus.level} level, vocabulary ${corpus.vocab.size})\n` +
          `model: ${model.config.hiddenSizes.length}x${model.config.hiddenSizes.join('/')} ${model.config.cell}` +
          `${model.config.tied ? ' tied' : ''}, ${model.parameterCount.toLocaleString('en-US')} parameters\n` +
          (resumedAt ? `resuming at epoch ${resumedAt.epoch}, batch ${resumedAt.batch}\n` : ''));
      },
      onBatch: json ? undefined : progressPrinter(),
      onEpoch: (m) => {
        if (json) {
          process.stdout.write(`${JSON.stringify({
            epoch: m.epoch, lr: m.lr, train_ppl: m.trainPpl, valid_ppl: m.validPpl, words_per_s: m.wordsPerSecond,
            elapsed_s: m.elapsedSeconds, backend: m.backend,
          })}\n`);
          return;
        }
        const rows = epochTable([m]).split('\n');
        process.stdout.write(`${(printedHeader ? rows.slice(2) : rows).join('\n')}\n`);
        printedHeader = true;
      },
    });
    if (result.stopped) {
      const resume = options.save ? `resume with: rnnlm train --save ${options.save} --resume` : 'no --save was given, so nothing was kept';
      process.stderr.write(`rnnlm: stopped; ${options.save ? 'checkpoint written; ' : ''}${resume}\n`);
      process.exit(signalCode || 130);
    }
    if (json) {
      process.stdout.write(`${JSON.stringify({ test_ppl: result.testPpl, best_valid_ppl: result.bestValidPpl, backend: result.backend })}\n`);
    } else {
      process.stdout.write(`test ppl: ${fmt(result.testPpl)} (best valid ppl ${fmt(result.bestValidPpl)})\n`);
      if (options.save) process.stdout.write(`saved: ${path.join(options.save, 'model')}, report: ${path.join(options.save, 'report.md')}\n`);
    }
  });

program
  .command('evaluate')
  .description('exact perplexity of a saved model on one split of a corpus')
  .requiredOption('--model <dir>', 'a run directory (uses its best model) or a model directory')
  .requiredOption('--data <dir>', 'corpus directory')
  .addOption(new Option('--split <name>', 'which split').choices(['test', 'valid', 'train']).default('test'))
  .option('--batch-size <n>', 'evaluation streams (default 1 for test, 10 otherwise)', int('--batch-size'))
  .option('--bptt <n>', 'window length (does not change the result beyond float rounding)', int('--bptt'), 35)
  .addOption(backendOption())
  .option('--json', 'print a JSON object with perplexity, tokens, nll, backend')
  .addHelpText('after', '\nExample:\n  rnnlm evaluate --model runs/small --data ../shared/data/ptb --split test\n')
  .action(async (options) => {
    const backend = describeBackend(await selectBackend(options.backend as BackendChoice));
    const { model, vocab } = loadModelFromDirectory(options.model);
    const batchSize = options.batchSize ?? (options.split === 'test' ? 1 : 10);
    const result = evaluateModelOnCorpus(model, vocab, options.data, options.split, batchSize, options.bptt);
    if (options.json) process.stdout.write(`${JSON.stringify({ ...result, backend })}\n`);
    else process.stdout.write(`perplexity: ${result.perplexity.toFixed(2)}\n`);
  });

program
  .command('generate')
  .description('sample text from a saved model')
  .requiredOption('--model <dir>', 'a run directory (uses its best model) or a model directory')
  .option('--prime <text>', 'text to start from (default: a sentence start)')
  .option('--length <n>', 'tokens to sample', int('--length'), 50)
  .option('--temperature <x>', 'softmax temperature', num('--temperature'), 1)
  .option('--seed <n>', 'random seed', int('--seed'), 1)
  .addOption(backendOption())
  .addHelpText('after', '\nExample:\n  rnnlm generate --model runs/small --prime "the company" --length 30 --temperature 0.8\n')
  .action(async (options) => {
    await selectBackend(options.backend as BackendChoice);
    const { model, vocab } = loadModelFromDirectory(options.model);
    process.stdout.write(`${generateText(model, vocab, {
      prime: options.prime, length: options.length, temperature: options.temperature, seed: options.seed,
    })}\n`);
  });

program
  .command('info')
  .description('backend in use, available backends, versions, threads and a matMul GFLOP/s figure per backend')
  .addOption(backendOption())
  .option('--json', 'print the information as JSON')
  .addHelpText('after', '\nExample:\n  rnnlm info\n')
  .action(async (options) => {
    const info = await backendInfo(options.backend as BackendChoice);
    if (options.json) {
      process.stdout.write(`${JSON.stringify(info)}\n`);
      return;
    }
    process.stdout.write(`backend: ${info.backend}\n`);
    for (const b of info.backends) {
      process.stdout.write(`  ${b.name.padEnd(10)} ${b.available === true ? 'available' : `unavailable: ${b.available}`}` +
        `${b.gflops !== null ? `  matMul ${b.size}x${b.size}: ${b.gflops.toFixed(1)} GFLOP/s` : ''}\n`);
    }
    process.stdout.write(`versions: tfjs-rnnlm ${info.versions.tfjsRnnlm}, tfjs ${info.versions.tfjs}, ` +
      `TensorFlow ${info.versions.tensorflow ?? '— (native backend not loaded)'}, node ${info.versions.node}\n` +
      `threads: ${info.threads}\n`);
  });

/** User errors are one line on stderr and exit 1; anything else is a bug and says how to see the stack. */
function fail(error: unknown): never {
  const verbose = program.opts().verbose || process.env.DEBUG;
  const known = error instanceof ConfigError || error instanceof DataError || error instanceof ModelFileError ||
    error instanceof DivergenceError || error instanceof InvalidArgumentError;
  const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
  process.stderr.write(`rnnlm: ${message}${known || verbose ? '' : ' (run with --verbose for details)'}\n`);
  if (verbose && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  process.exit(error instanceof DivergenceError ? 3 : 1);
}

program.exitOverride();
program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  fail(error);
});
