#!/usr/bin/env node
/** The `rnnlm` command: a thin shell over the library API (src/index.ts). */

import * as path from 'path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import {
  BACKEND_NAMES, BackendChoice, CELL_KINDS, ConfigError, DEFAULT_CORPUS_DIR, DEFAULT_HYPER, DataError, DivergenceError,
  HyperParameters, ModelFileError, PACKAGE_VERSION, ReportError, backendInfo, describeBackend, describeModel, epochTable,
  evaluateModelOnCorpus, generateText, loadModelFromDirectory, presetNames, progressPrinter, readReport, reportPaths,
  reportSummary, selectBackend, trainLanguageModel, writeLearningCurve,
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
/** "(default 20)", from the library's defaults so that the help cannot drift from them. */
const byDefault = (key: keyof HyperParameters): string => `(default ${DEFAULT_HYPER[key]})`;
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

/** The command line being parsed, for the usage hint of commander's errors ("rnnlm train"). */
let usage = 'rnnlm';

const program = new Command();
program
  .name('rnnlm')
  .description('Train, evaluate and sample recurrent language models (LSTM, GRU, peephole LSTM, tanh RNN) on TensorFlow.js')
  .version(PACKAGE_VERSION)
  .option('--verbose', 'show stack traces of errors (also DEBUG=1)')
  .addHelpText('after', '\nExamples:\n  rnnlm train --save runs/brown     # a few minutes on the embedded Brown sample\n' +
    '  rnnlm report runs/brown           # its table and learning curve\n  rnnlm train --help                # every flag with its default\n')
  // Commander's errors as one line on stderr that says where the usage is, like the tool's own errors.
  .configureOutput({
    outputError: (text, write) => write(`rnnlm: ${text.replace(/^error: /, '').trim().replace(/\s*\n\s*/g, ' ')}; see ${usage} --help\n`),
  })
  .hook('preSubcommand', (_program, command) => {
    usage = `rnnlm ${command.name()}`;
  });

program
  .command('train')
  .description('train a language model by truncated BPTT; without --data, on the embedded Brown corpus sample')
  .option('--data <dir>', 'corpus directory with train/valid/test(.txt) or ptb.{train,valid,test}.txt (default: the Brown sample)')
  .option('--char', 'character-level tokens instead of words')
  .option('--max-vocab <n>', 'keep the N most frequent types, map the rest to <unk> (default: all, up to 200,000)', int('--max-vocab'))
  .option('--preset <name>', `hyper-parameter preset: ${presetNames().join(', ')} (default: none; flags override it)`)
  .addOption(new Option('--cell <kind>', `recurrent cell ${byDefault('cell')}`).choices([...CELL_KINDS]))
  .option('--layers <n>', `stacked layers ${byDefault('layers')}`, int('--layers'))
  .option('--hidden <n[,n...]>', `units per layer, one size or one per layer ${byDefault('hidden')}`, sizes)
  .option('--embedding <n>', `embedding size ${byDefault('embedding')}`, int('--embedding'))
  .option('--tied', 'tie the output projection to the embedding (Press & Wolf 2017)')
  .option('--dropout <p>', `input, between-layer and output dropout ${byDefault('dropout')}`, num('--dropout'))
  .addOption(new Option('--dropout-kind <kind>', `variational: one mask per window; standard: per step ${byDefault('dropoutKind')}`)
    .choices(['variational', 'standard']))
  .option('--dropout-input <p>', 'dropout on the embeddings (default: --dropout)', num('--dropout-input'))
  .option('--dropout-hidden <p>', 'dropout between layers (default: --dropout)', num('--dropout-hidden'))
  .option('--dropout-output <p>', 'dropout before the projection (default: --dropout)', num('--dropout-output'))
  .option('--dropout-recurrent <p>', `dropout on the h fed back into the cells ${byDefault('dropoutRecurrent')}`, num('--dropout-recurrent'))
  .option('--dropout-embedding <p>', `drop whole word types ${byDefault('dropoutEmbedding')}`, num('--dropout-embedding'))
  .addOption(new Option('--init <kind>', `uniform(±init-scale) or default (Glorot/orthogonal) ${byDefault('init')}`).choices(['uniform', 'default']))
  .option('--init-scale <x>', `uniform init half-width ${byDefault('initScale')}`, num('--init-scale'))
  .option('--forget-bias <x>', `initial LSTM forget-gate bias ${byDefault('forgetBias')}`, num('--forget-bias'))
  .option('--batch-size <n>', `parallel streams ${byDefault('batchSize')}`, int('--batch-size'))
  .option('--bptt <n>', `steps per window ${byDefault('bptt')}`, int('--bptt'))
  .option('--epochs <n>', `epochs ${byDefault('epochs')}; with --resume, the new total`, int('--epochs'))
  .addOption(new Option('--optimizer <name>', `optimizer ${byDefault('optimizer')}`).choices(['sgd', 'adam']))
  .option('--lr <x>', `learning rate ${byDefault('lr')}; with --resume, a new lr from now on`, num('--lr'))
  .addOption(new Option('--schedule <name>', `lr schedule ${byDefault('schedule')}`).choices(['fixed', 'plateau', 'none']))
  .option('--lr-decay <x>', `fixed schedule: factor per epoch after --decay-start ${byDefault('lrDecay')}`, num('--lr-decay'))
  .option('--decay-start <n>', `fixed schedule: last epoch at the full lr ${byDefault('decayStart')}`, int('--decay-start'))
  .option('--clip <x>', `max global gradient norm, 0 = off ${byDefault('clip')}; with --resume, a new clip`, num('--clip'))
  .option('--seed <n>', `random seed ${byDefault('seed')}`, int('--seed'))
  .option('--save <dir>', 'run directory: best model, checkpoint, report.json/md, learning-curve.svg (default: nothing is saved)')
  .option('--resume', 'continue the run in --save from its last checkpoint')
  .option('--force', 'replace an existing run in --save')
  .option('--checkpoint-every <n>', 'also checkpoint every N batches (default: at the end of each epoch only)', int('--checkpoint-every'))
  .option('--max-batches <n>', 'cap batches per epoch, for quick runs (default: the whole split)', int('--max-batches'))
  .addOption(backendOption())
  .option('--json', 'print one JSON object per epoch (and a final one) on stdout')
  .addHelpText('after', '\nExample:\n  rnnlm train --data ../shared/data/ptb --preset small-tied-vd --epochs 1 --save runs/small\n')
  .action(async (options) => {
    const controller = new AbortController();
    let signalCode = 0;
    const stop = (code: number) => (): void => {
      if (signalCode) process.exit(code); // a second Ctrl-C: leave at once
      signalCode = code;
      const keep = options.save ? 'writing a checkpoint' : 'nothing is kept without --save';
      process.stderr.write(`\nrnnlm: stopping after this batch, ${keep} (Ctrl-C again to quit at once)\n`);
      controller.abort();
    };
    process.on('SIGINT', stop(130));
    process.on('SIGTERM', stop(143));
    const json = Boolean(options.json);
    let printedHeader = false;
    const result = await trainLanguageModel({
      data: options.data ?? null, char: options.char, maxVocab: options.maxVocab ?? null, preset: options.preset ?? null,
      hyper: explicitHyper(options), save: options.save ?? null, resume: options.resume ?? false, force: options.force ?? false,
      backend: options.backend as BackendChoice, checkpointEvery: options.checkpointEvery ?? null, signal: controller.signal,
      command: ['rnnlm', ...process.argv.slice(2)].join(' '),
      onStart: ({ backend, corpus, model, resumedAt }) => {
        const source = corpus.dir === DEFAULT_CORPUS_DIR ? `embedded default corpus: ${corpus.dir}` : corpus.dir;
        process.stderr.write(`backend: ${backend}\ncorpus: ${source} (${corpus.level} level, vocabulary ${corpus.vocab.size})\n` +
          `model: ${describeModel(model.config, model.parameterCount)}\n` +
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
  .command('report')
  .description('print the summary and epoch table of a run directory and write its learning curve (SVG, log scale)')
  .argument('<dir>', 'a run directory (train --save DIR)')
  .option('--out <file>', 'where to write the learning curve (default: DIR/learning-curve.svg)')
  .option('--json', 'print report.json instead of the summary and table')
  .addHelpText('after', '\nExample:\n  rnnlm report runs/small --out small-curve.svg\n')
  .action((dir: string, options) => {
    const report = readReport(dir);
    const out: string = options.out ?? reportPaths(dir).curve;
    writeLearningCurve(out, report);
    if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else process.stdout.write(`${reportSummary(report)}\n\n${epochTable(report.epochs)}\n\nlearning curve: ${out}\n`);
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
    error instanceof ReportError || error instanceof DivergenceError || error instanceof InvalidArgumentError;
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
