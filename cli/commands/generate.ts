import { Command } from 'commander';
import { BACKEND_OPTIONS, GENERATE_OPTIONS, MODEL_DIRECTORY_OPTIONS, generateText, loadModelFromDirectory, selectBackend } from '../../src';
import { givenOptions, addOptions } from '../options';

export function generateCommand(): Command {
  const command = new Command('generate').description('sample text from a saved model, printed token by token as it is sampled');
  addOptions(command, MODEL_DIRECTORY_OPTIONS, GENERATE_OPTIONS, BACKEND_OPTIONS);
  return command
    .addHelpText('after', '\nExample:\n  rnnlm generate --model runs/small --prime "the company" --length 30 --temperature 0.8 --top-p 0.9\n')
    .action(async (parsed) => {
      await selectBackend(givenOptions(BACKEND_OPTIONS, parsed));
      const { model, vocab } = loadModelFromDirectory(parsed.model);
      // Written as it comes, so Ctrl-C keeps what was printed. A write that finds the reader gone (`| head`) marks
      // stdout errored at once, and sampling stops there; the CLI then exits as a closed pipe asks (rnnlm.ts).
      const print = (piece: string): void => void process.stdout.write(piece);
      const text = generateText(model, vocab, givenOptions(GENERATE_OPTIONS, parsed), {
        onPrime: print,
        onToken: (_token, piece) => {
          print(piece);
          return !process.stdout.errored;
        },
      });
      if (!text.endsWith('\n')) print('\n');
    });
}
