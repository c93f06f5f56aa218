import { Command } from 'commander';
import { BACKEND_OPTIONS, GENERATE_OPTIONS, MODEL_DIRECTORY_OPTIONS, generateText, loadModelFromDirectory, selectBackend } from '../../src';
import { givenOptions, optionsOf } from '../options';

export function generateCommand(): Command {
  const command = new Command('generate').description('sample text from a saved model, printed token by token as it is sampled');
  for (const option of [...optionsOf(MODEL_DIRECTORY_OPTIONS), ...optionsOf(GENERATE_OPTIONS), ...optionsOf(BACKEND_OPTIONS)]) command.addOption(option);
  return command
    .addHelpText('after', '\nExample:\n  rnnlm generate --model runs/small --prime "the company" --length 30 --temperature 0.8 --top-p 0.9\n')
    .action(async (parsed) => {
      await selectBackend(givenOptions(BACKEND_OPTIONS, parsed));
      const { model, vocab } = loadModelFromDirectory(parsed.model);
      // Written as it comes, so Ctrl-C keeps what was printed.
      const print = (piece: string): boolean => process.stdout.write(piece);
      const text = generateText(model, vocab, givenOptions(GENERATE_OPTIONS, parsed), {
        onPrime: print, onToken: (_token, piece) => print(piece),
      });
      if (!text.endsWith('\n')) print('\n');
    });
}
