import * as fs from 'fs';
import { Command } from 'commander';
import { BACKEND_OPTIONS, DataError, MODEL_DIRECTORY_OPTIONS, loadModelFromDirectory, scoreText, selectBackend } from '../../src';
import { givenOptions, addOptions } from '../options';

/** The text to score: a file, or standard input for `-` or nothing. */
function readInput(file: string | undefined): { text: string; source: string } {
  if (file === undefined || file === '-') return { text: fs.readFileSync(0, 'utf8'), source: 'standard input' };
  try {
    return { text: fs.readFileSync(file, 'utf8'), source: file };
  } catch (error) {
    throw new DataError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

export function scoreCommand(): Command {
  const command = new Command('score')
    .description('log-probability, token count and perplexity of each line of a text under a saved model')
    .argument('[file]', 'the text, one sentence per line; - or nothing reads standard input');
  addOptions(command, MODEL_DIRECTORY_OPTIONS, BACKEND_OPTIONS);
  return command
    .option('--json', 'print one JSON object per line: text, logprob, tokens, perplexity')
    .addHelpText('after', '\nExample:\n  rnnlm score --model runs/small --json sentences.txt\n')
    .action(async (file: string | undefined, parsed) => {
      await selectBackend(givenOptions(BACKEND_OPTIONS, parsed));
      const { model, vocab } = loadModelFromDirectory(parsed.model);
      const { text, source } = readInput(file);
      for (const line of scoreText(model, vocab, text, source)) {
        process.stdout.write(parsed.json
          ? `${JSON.stringify({ text: line.text, logprob: line.logProb, tokens: line.tokens, perplexity: line.perplexity })}\n`
          : `${line.logProb.toFixed(2)}\t${line.tokens}\t${line.perplexity.toFixed(2)}\t${line.text}\n`);
      }
    });
}
