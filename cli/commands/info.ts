import { Command } from 'commander';
import { BACKEND_OPTIONS, backendInfo, bf16Advice } from '../../src';
import { givenOptions, addOptions } from '../options';

export function infoCommand(): Command {
  const command = new Command('info').description('the CPU, backend in use, available backends, oneDNN kernels, whether signals are held off the native kernels, versions, threads, a matMul GFLOP/s figure per backend and whether bf16 pays here');
  addOptions(command, BACKEND_OPTIONS);
  return command
    .option('--json', 'print the information as JSON')
    .addHelpText('after', '\nExample:\n  rnnlm info\n')
    .action(async (parsed) => {
      const info = await backendInfo(givenOptions(BACKEND_OPTIONS, parsed));
      if (parsed.json) {
        process.stdout.write(`${JSON.stringify(info)}\n`);
        return;
      }
      process.stdout.write(`cpu: ${info.cpu}\nbackend: ${info.backend}\n`);
      for (const b of info.backends) {
        process.stdout.write(`  ${b.name.padEnd(10)} ${b.available === true ? 'available' : `unavailable: ${b.available}`}` +
          `${b.gflops !== null ? `  matMul ${b.size}x${b.size}: ${b.gflops.toFixed(1)} GFLOP/s` : ''}\n`);
      }
      const gflops = (value: number | null): string => (value === null ? '—' : `${value.toFixed(1)} GFLOP/s`);
      const advice = bf16Advice(info.onednnGflops);
      process.stdout.write(`bf16: ${info.bf16 === true ? 'available' : `unavailable: ${info.bf16}`}\n` +
        `TensorFlow matMul 1024x1024: fp32 ${gflops(info.nativeGflops.fp32)}, bf16 fpmath mode ${gflops(info.nativeGflops.bf16)}\n` +
        `oneDNN recurrent and output kernels: ${'version' in info.onednn ? `oneDNN ${info.onednn.version}, ${info.onednn.isa} kernels` : `unavailable: ${info.onednn.unavailable}`}\n` +
        ('version' in info.onednn ? `oneDNN products 1024x1024: fp32 ${gflops(info.onednnGflops.fp32)}, bf16 ${gflops(info.onednnGflops.bf16)}\n` : '') +
        (advice ? `  ${advice}\n` : '') +
        `signals: ${info.signals === true ? 'held off the threads that run native kernels' : `not held off the native kernels' threads: ${info.signals}`}\n`);
      process.stdout.write(`versions: tfjs-rnnlm ${info.versions.tfjsRnnlm}, tfjs ${info.versions.tfjs}, ` +
        `TensorFlow ${info.versions.tensorflow ?? '— (native backend not loaded)'}, node ${info.versions.node}\n` +
        `threads: ${info.threads}\n`);
    });
}
