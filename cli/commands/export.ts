import { Command } from 'commander';
import { BACKEND_OPTIONS, EXPORT_OPTIONS, MODEL_DIRECTORY_OPTIONS, exportForBrowser, selectBackend } from '../../src';
import { givenOptions, optionValues, addOptions } from '../options';

export function exportCommand(): Command {
  const command = new Command('export').description('write a web page that samples from a saved model in the browser (TensorFlow.js)');
  addOptions(command, MODEL_DIRECTORY_OPTIONS, EXPORT_OPTIONS, BACKEND_OPTIONS);
  return command
    .addHelpText('after', '\nExample:\n  rnnlm export --model runs/small --out web/small\n')
    .action(async (parsed) => {
      await selectBackend(givenOptions(BACKEND_OPTIONS, parsed));
      const options = optionValues(EXPORT_OPTIONS, parsed);
      const files = await exportForBrowser(optionValues(MODEL_DIRECTORY_OPTIONS, parsed).model, options);
      process.stdout.write(`wrote ${options.out}: ${files.join(', ')}\nopen it with: rnnlm serve ${options.out}\n`);
    });
}
