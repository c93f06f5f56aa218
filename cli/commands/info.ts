import { Command } from 'commander';
import { BACKEND_OPTIONS, backendInfo } from '../../src';
import { optionValues, optionsOf } from '../options';

export function infoCommand(): Command {
  const command = new Command('info').description('backend in use, available backends, versions, threads and a matMul GFLOP/s figure per backend');
  for (const option of optionsOf(BACKEND_OPTIONS)) command.addOption(option);
  return command
    .option('--json', 'print the information as JSON')
    .addHelpText('after', '\nExample:\n  rnnlm info\n')
    .action(async (parsed) => {
      const info = await backendInfo(optionValues(BACKEND_OPTIONS, parsed).backend);
      if (parsed.json) {
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
}
