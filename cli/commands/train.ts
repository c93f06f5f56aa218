import * as fs from 'fs';
import * as path from 'path';
import { Command } from 'commander';
import {
  BACKEND_OPTIONS, CORPUS_OPTIONS, DEFAULT_CORPUS_DIR, FINE_TUNE_OPTIONS, HYPER_OPTIONS, RUN_DIRECTORY_OPTIONS, TENSORBOARD_OPTIONS,
  cpuDescription, describeModel, epochTable, passProgressPrinter, presetNames, progressPrinter, trainLanguageModel,
} from '../../src';
import { cliTrainCommand, givenOptions, addOptions, shellLine } from '../options';

/** How often the trainer checks that the process that started it is still there. */
const PARENT_CHECK_MS = 500;

const fmt = (value: number | null | undefined, digits = 2): string => (value == null ? '—' : value.toFixed(digits));

/**
 * Whether the user detached this run from the shell that started it on purpose, with `setsid`: the process leads
 * its own session (field 6 of /proc/self/stat), so no terminal hangs up on it and it outlives its parent by
 * design. (`nohup` leaves no trace: Node resets the SIGHUP disposition it sets.) Linux only; elsewhere false.
 */
function detachedOnPurpose(): boolean {
  try {
    // The command name (field 2) is in parentheses and may hold spaces: count the fields after its ')'.
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]) === process.pid;
  } catch {
    return false;
  }
}

/** Where a resumed run picks up: a position in an epoch, or, with every epoch trained, the test pass alone. */
function resumeLine({ epoch, batch, epochs }: { epoch: number; batch: number; epochs: number }): string {
  if (epoch <= epochs) return `resuming at epoch ${epoch}, batch ${batch}`;
  return `resuming: ${epochs === 1 ? 'its epoch is' : `all ${epochs} epochs are`} trained; scoring the best weights on test`;
}

export function trainCommand(): Command {
  const command = new Command('train')
    .description('train a language model by truncated BPTT; without --data, on the embedded Brown corpus sample')
    .option('--preset <name>', `hyper-parameter preset: ${presetNames().join(', ')} (default: none; flags override it)`);
  addOptions(command, CORPUS_OPTIONS, FINE_TUNE_OPTIONS, HYPER_OPTIONS, RUN_DIRECTORY_OPTIONS, TENSORBOARD_OPTIONS, BACKEND_OPTIONS);
  return command
    .option('--json', 'print one JSON object per epoch (and a final one) on stdout')
    .addHelpText('after', '\nExample:\n  rnnlm train --data ../shared/data/ptb --preset small-tied-vd --epochs 1 --save runs/small\n')
    .action(async (options) => {
      const controller = new AbortController();
      let signalCode = 0;
      /** The causes seen so far: the same signal twice quits at once, two different ones (a process group's
       * SIGTERM and the end of the npm that shared it, or Ctrl-C's SIGINT and npm's end) stop once. */
      const causes = new Set<string>();
      const stop = (code: number, cause: string, why = '') => (): void => {
        if (causes.has(cause)) process.exit(code); // a second Ctrl-C: leave at once
        causes.add(cause);
        if (signalCode) return; // a stop is already under way
        signalCode = code;
        const keep = options.save ? 'writing a checkpoint' : 'nothing is kept without --save';
        process.stderr.write(`\nrnnlm: ${why}stopping after this batch or evaluation window, ${keep} (Ctrl-C again to quit at once)\n`);
        controller.abort();
      };
      process.on('SIGINT', stop(130, 'SIGINT'));
      process.on('SIGTERM', stop(143, 'SIGTERM'));
      process.on('SIGHUP', stop(129, 'SIGHUP')); // the terminal closed (Node's default would end the run without a checkpoint)
      // `npx rnnlm train` runs this process under npm, and a plain `kill` of npm (docker stop, a job scheduler)
      // ends npm alone: a parent that goes away is taken as a SIGTERM, so the run checkpoints and stops. A run
      // started with setsid is meant to outlive the shell that started it, so it is not watched.
      if (!detachedOnPurpose()) {
        const parent = process.ppid;
        const watchParent = setInterval(() => {
          if (process.ppid === parent) return;
          clearInterval(watchParent);
          stop(143, 'parent', `the parent process ${parent} ended: `)();
        }, PARENT_CHECK_MS).unref();
      }
      // Our stdout/stderr may be pipes into that parent, or into a reader that stops early: writing to them must
      // not end the run before its checkpoint (this replaces the CLI's exit on a closed stdout).
      for (const stream of [process.stdout, process.stderr]) stream.removeAllListeners('error').on('error', () => undefined);
      const json = Boolean(options.json);
      let printedHeader = false;
      const result = await trainLanguageModel({
        ...givenOptions(CORPUS_OPTIONS, options), ...givenOptions(RUN_DIRECTORY_OPTIONS, options), ...givenOptions(BACKEND_OPTIONS, options),
        ...givenOptions(FINE_TUNE_OPTIONS, options), ...givenOptions(TENSORBOARD_OPTIONS, options),
        preset: options.preset ?? null, hyper: givenOptions(HYPER_OPTIONS, options), signal: controller.signal,
        command: shellLine(['rnnlm', ...process.argv.slice(2)]),
        onStart: ({ backend, corpus, model, resumedAt, cautions }) => {
          const source = corpus.dir === DEFAULT_CORPUS_DIR ? `embedded default corpus: ${corpus.dir}` : corpus.dir;
          process.stderr.write(`backend: ${backend}\ncpu: ${cpuDescription()}\ncorpus: ${source} (${corpus.level} level, vocabulary ${corpus.vocab.size})\n` +
            `model: ${describeModel(model.config, model.parameterCount)}` +
            `${options.initFrom ? `, starting from ${options.initFrom} (its vocabulary locked)` : ''}\n` +
            (resumedAt ? `${resumeLine(resumedAt)}\n` : '') + cautions.map((caution) => `caution: ${caution}\n`).join(''));
        },
        onBatch: json ? undefined : progressPrinter(),
        onPass: passProgressPrinter(undefined, undefined, 'train'),
        onEpoch: (m) => {
          if (json) {
            process.stdout.write(`${JSON.stringify({
              epoch: m.epoch, lr: m.lr, train_ppl: m.trainPpl, valid_ppl: m.validPpl, words_per_s: m.wordsPerSecond,
              elapsed_s: m.elapsedSeconds, backend: m.backend, cpu: m.cpu, averaged: m.averaged === true,
            })}\n`);
            return;
          }
          const rows = epochTable([m]).split('\n');
          process.stdout.write(`${(printedHeader ? rows.slice(2) : rows).join('\n')}\n`);
          printedHeader = true;
        },
      });
      if (result.stopped) {
        const resume = options.save ? `resume with: ${cliTrainCommand({ save: options.save, resume: true })}` : 'no --save was given, so nothing was kept';
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
}
