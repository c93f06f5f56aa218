import * as fs from 'fs';
import * as path from 'path';
import { Command } from 'commander';
import { DataError, SERVE_OPTIONS, serveDirectory } from '../../src';
import { optionValues, addOptions } from '../options';

export function serveCommand(): Command {
  const command = new Command('serve')
    .description('serve an export (rnnlm export) on http://127.0.0.1 so a browser can open its page')
    .argument('<dir>', 'the directory written by rnnlm export --out');
  addOptions(command, SERVE_OPTIONS);
  return command
    .addHelpText('after', '\nExample:\n  rnnlm serve web/small --port 8080\n')
    .action(async (dir: string, parsed) => {
      if (!fs.existsSync(path.join(dir, 'index.html'))) throw new DataError(`${dir} has no index.html: give a directory written by rnnlm export`);
      const { url } = await serveDirectory(dir, optionValues(SERVE_OPTIONS, parsed).port);
      process.stdout.write(`serving ${path.resolve(dir)} at ${url} (Ctrl-C to stop)\n`);
    });
}
