#!/usr/bin/env node
/** The `rnnlm` command: a thin shell over the library API (src/index.ts); flags come from src/config/. */

import { Command, CommanderError, InvalidArgumentError } from 'commander';
import * as fs from 'fs';
import { BACKEND_OPTIONS, ConfigError, PACKAGE_VERSION, UserError } from '../src';
import { evaluateCommand } from './commands/evaluate';
import { exportCommand } from './commands/export';
import { generateCommand } from './commands/generate';
import { infoCommand } from './commands/info';
import { reportCommand } from './commands/report';
import { scoreCommand } from './commands/score';
import { serveCommand } from './commands/serve';
import { trainCommand } from './commands/train';
import { cliTrainCommand, flagName } from './options';

/** The command line being parsed, for the usage hint of commander's errors ("rnnlm train"). */
let usage = 'rnnlm';

const program = new Command();
program
  .name('rnnlm')
  .description('Train, evaluate and sample recurrent language models (LSTM, GRU, peephole LSTM, tanh RNN) on TensorFlow.js')
  .version(PACKAGE_VERSION)
  .option('--verbose', `${BACKEND_OPTIONS.verbose.description} (for errors also DEBUG=1)`)
  .addHelpText('after', '\nExamples:\n  rnnlm train --save runs/brown     # a few minutes on the embedded Brown sample\n' +
    '  rnnlm report runs/brown           # its table and learning curve\n  rnnlm train --help                # every flag with its default\n')
  // Commander's errors as one line on stderr that says where the usage is, like the tool's own errors.
  .configureOutput({
    outputError: (text, write) => write(`rnnlm: ${text.replace(/^error: /, '').trim().replace(/\s*\n\s*/g, ' ')}; see ${usage} --help\n`),
  })
  .hook('preSubcommand', (_program, command) => {
    usage = `rnnlm ${command.name()}`;
  })
  .hook('preAction', (_program, command) => {
    refuseStrayArguments(command);
    // The program takes --verbose wherever it stands; the command's backend options read it from there.
    if (program.opts().verbose) command.setOptionValue('verbose', true);
  })
  .exitOverride();

// Each command gets the program's error output and exit handling (what `program.command()` would copy).
for (const command of [trainCommand(), evaluateCommand(), generateCommand(), scoreCommand(), exportCommand(), serveCommand(), reportCommand(), infoCommand()]) {
  program.addCommand(command.copyInheritedSettings(program));
}

/**
 * Words that are neither flags nor declared arguments are refused, not ignored: `rnnlm train corpus/` would
 * otherwise train on the embedded sample. A directory given where --data was meant gets that hint.
 */
function refuseStrayArguments(command: Command): void {
  const stray = command.args.slice(command.registeredArguments.length);
  if (stray.length === 0) return;
  const first = stray[0];
  const takesData = command.options.some((option) => option.long === '--data');
  const isDirectory = fs.statSync(first, { throwIfNoEntry: false })?.isDirectory() ?? false;
  throw new ConfigError((option) => {
    const hint = takesData && isDirectory ? `for the corpus in ${first}, use ${option('data')} ${first}` : `see rnnlm ${command.name()} --help`;
    const what = stray.length === 1 ? `argument "${first}"` : `arguments ${stray.map((word) => `"${word}"`).join(' ')}`;
    return `${command.name()} does not take the ${what}: ${hint}`;
  });
}

/**
 * User errors are one line on stderr, with options named as flags, and the error's exit code (1, or 3 for a
 * divergence); anything else is a bug and says how to see the stack.
 */
function fail(error: unknown): never {
  const verbose = program.opts().verbose || process.env.DEBUG;
  const known = error instanceof UserError || error instanceof InvalidArgumentError;
  const text = error instanceof UserError ? error.describe(flagName, cliTrainCommand) : error instanceof Error ? error.message : String(error);
  process.stderr.write(`rnnlm: ${text.split('\n')[0]}${known || verbose ? '' : ' (run with --verbose for details)'}\n`);
  if (verbose && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  process.exit(error instanceof UserError ? error.exitCode : 1);
}

/**
 * A reader that stops early (`rnnlm score text | head`, also with `2>&1`) closes our output. Like any Unix tool
 * that SIGPIPE ends, stop there with its status (128 + 13) instead of Node's stack trace. `train` replaces this:
 * it keeps running to its checkpoint.
 */
const CLOSED_OUTPUT_STATUS = 141;
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(CLOSED_OUTPUT_STATUS);
    throw error;
  });
}

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  fail(error);
});
