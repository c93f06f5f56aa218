/**
 * Where a training step's time goes: the whole `Trainer.step`, then each of its parts timed alone on the same
 * sizes (the recurrent layers forward and backward, the output layer with its softmax cross-entropy forward and
 * backward, the embedding lookup and its gradient, global-norm clipping with the SGD update) and an evaluation
 * window. Each part is the median of `--repeats` runs after `--warmup`.
 *   npm run bench:profile -- [--config small,medium] [--precision fp32|bf16] [--threads N] [--kernel auto]
 */
import * as tf from '@tensorflow/tfjs';
import { Command, Option } from 'commander';
import { selectBackend } from '../src/backend';
import { cpuDescription } from '../src/backend/cpu';
import { matMulGflops, onednnProductGflops } from '../src/backend/info';
import { DEFAULT_HYPER, HyperParameters, KERNEL_CHOICES, KernelChoice, PRECISIONS, Precision, toModelConfig, toTrainConfig } from '../src/config';
import { StreamBatcher } from '../src/data/batches';
import { LanguageModel } from '../src/model/lm';
import { outputCrossEntropy, outputLogits } from '../src/model/loss';
import { clipFactor, globalNorm } from '../src/train/clip';
import { applyClipped } from '../src/train/optimizers';
import { Trainer } from '../src/train/trainer';
import { loadBenchData } from './data';
import { BATCH, BPTT, CONFIGS } from './measure';

/** Median milliseconds of `run` over `repeats` calls after `warmup` untimed ones. */
function median(run: () => void, warmup: number, repeats: number): number {
  for (let k = 0; k < warmup; k++) run();
  const times: number[] = [];
  for (let k = 0; k < repeats; k++) {
    const started = performance.now();
    run();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** Reads one value of each tensor, so the timing includes the work that made them. */
const settle = (tensors: tf.Tensor[]): void => {
  for (const t of tensors) t.dataSync();
};

async function profile(configName: string, precision: Precision, threads: number | null, kernel: KernelChoice, warmup: number, repeats: number): Promise<void> {
  const backend = await selectBackend({ backend: 'auto', precision, threads, kernel });
  const data = loadBenchData(undefined);
  const hyper: HyperParameters = { ...DEFAULT_HYPER, ...CONFIGS[configName], batchSize: BATCH, bptt: BPTT };
  const model = new LanguageModel(toModelConfig(hyper, data.vocabSize));
  const trainer = new Trainer(model, { train: data.train, valid: data.valid, test: data.valid }, toTrainConfig(hyper));
  const batcher = new StreamBatcher(data.train, BATCH, BPTT, { exact: false });
  let k = 0;
  const nextWindow = () => batcher.window(k++ % batcher.numWindows);
  const parts: [string, number][] = [];

  parts.push(['training step (Trainer.step)', median(() => void trainer.step(nextWindow(), k + 1), warmup, repeats)]);

  const window = batcher.window(0);
  const inputs = tf.tensor2d(window.inputs, [BATCH, BPTT], 'int32');
  const targets = tf.tensor1d(window.targets, 'int32');
  const variables = model.variables();
  const hiddenSize = model.layers[model.layers.length - 1].cell.units;

  parts.push(['  forward and loss only', median(() => tf.tidy(() => settle([model.loss(inputs, targets, null, 1, window.tokens).nll])), warmup, repeats)]);
  parts.push(['  forward and backward (variableGrads)', median(() => tf.tidy(() => {
    const { grads } = tf.variableGrads(() => model.loss(inputs, targets, null, 1, window.tokens).loss, variables);
    settle(Object.values(grads));
  }), warmup, repeats)]);

  // The recurrent layers alone: x from the embedding, gradient of a fixed random projection of the outputs.
  const x0 = tf.tidy(() => tf.gather(model.embedding, inputs) as tf.Tensor3D);
  const layerVariables = model.layers.flatMap((layer) => layer.cell.trainableWeights.map((w) => w.read() as tf.Variable));
  const probe = tf.randomNormal([BATCH, BPTT, hiddenSize]);
  parts.push(['  recurrent layers, forward', median(() => tf.tidy(() => {
    let x = x0;
    for (const layer of model.layers) x = layer.run(x).outputs;
    settle([x]);
  }), warmup, repeats)]);
  parts.push(['  recurrent layers, forward and backward', median(() => tf.tidy(() => {
    const { grads } = tf.variableGrads(() => {
      let x = x0;
      for (const layer of model.layers) x = layer.run(x).outputs;
      return tf.sum(tf.mul(x, probe)) as tf.Scalar;
    }, layerVariables);
    settle(Object.values(grads));
  }), warmup, repeats)]);

  // The output layer and softmax cross-entropy alone, on random features of the right size.
  const hidden = tf.randomNormal([BATCH * BPTT, hiddenSize]) as tf.Tensor2D;
  const output = model.output;
  parts.push(['  output layer + softmax CE, forward', median(() => tf.tidy(() => settle([outputCrossEntropy(hidden, output, targets, null, window.tokens)])), warmup, repeats)]);
  parts.push(['  output layer + softmax CE, forward and backward', median(() => tf.tidy(() => {
    const { grads } = tf.variableGrads(() => outputCrossEntropy(hidden, output, targets, null, window.tokens),
      [output.weight as tf.Variable, output.bias as tf.Variable]);
    settle(Object.values(grads));
  }), warmup, repeats)]);
  parts.push(['  logits only (evaluation)', median(() => tf.tidy(() => settle([outputLogits(hidden, output)])), warmup, repeats)]);

  parts.push(['  embedding lookup and its gradient', median(() => tf.tidy(() => {
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(tf.gather(model.embedding, inputs), tf.randomNormal([BATCH, BPTT, hyper.embedding]))) as tf.Scalar,
      [model.embedding]);
    settle(Object.values(grads));
  }), warmup, repeats)]);

  // Clipping and the update over every weight, with gradients of the right sizes.
  const fakeGrads: tf.NamedTensorMap = Object.fromEntries(variables.map((v) => [v.name, tf.mul(tf.randomNormal(v.shape), 1e-3)]));
  parts.push(['  global-norm clip + SGD update', median(() => tf.tidy(() => {
    const factor = clipFactor(globalNorm(fakeGrads).dataSync()[0], 0.25);
    applyClipped(trainer.optimizer, 'sgd', fakeGrads, factor, variables, 0);
    settle([variables[0]]);
  }), warmup, repeats)]);

  parts.push(['evaluation window (model.forward, inference)', median(() => tf.tidy(() => {
    settle([model.forward(inputs, null, null, { inference: true }).logits]);
  }), warmup, repeats)]);

  console.log(`\n${configName} (${hyper.layers}×${hyper.hidden} ${hyper.cell}, tied, batch ${BATCH}, bptt ${BPTT}), ${backend.name} ${precision}, ` +
    `threads ${threads ?? 'default'}, kernel ${backend.kernel}; ${cpuDescription()}; median of ${repeats}`);
  for (const [name, ms] of parts) console.log(`${name.padEnd(52)} ${ms.toFixed(1).padStart(8)} ms`);
  const onednnLimit = onednnProductGflops(2048, precision, 5);
  console.log(`matmul limit 2048³ at ${precision}: TensorFlow ${matMulGflops(2048, 5).toFixed(1)} GFLOP/s` +
    `${onednnLimit === null ? '' : `, oneDNN ${onednnLimit.toFixed(1)} GFLOP/s`}`);
  tf.dispose([inputs, targets, x0, probe, hidden, ...Object.values(fakeGrads)]);
  trainer.dispose();
  model.dispose();
}

async function main(): Promise<void> {
  const program = new Command('profile')
    .description('time a training step and each of its parts alone, per config')
    .option('--config <names>', `comma-separated configs: ${Object.keys(CONFIGS).join(', ')}`, 'small,medium')
    .addOption(new Option('--precision <p>', 'precision (one per process)').choices(PRECISIONS).default('fp32'))
    .option('--threads <n>', 'TensorFlow intra-op threads (default: all cores)')
    .addOption(new Option('--kernel <k>', 'recurrent kernel').choices(KERNEL_CHOICES).default('auto'))
    .option('--warmup <n>', 'untimed runs of each part', '5')
    .option('--repeats <n>', 'timed runs of each part', '15');
  program.parse();
  const opts = program.opts<{ config: string; precision: Precision; threads?: string; kernel: KernelChoice; warmup: string; repeats: string }>();
  for (const config of opts.config.split(',')) {
    if (!(config in CONFIGS)) throw new Error(`--config: "${config}" is not one of ${Object.keys(CONFIGS).join(', ')}`);
    await profile(config, opts.precision, opts.threads ? Number(opts.threads) : null, opts.kernel, Number(opts.warmup), Number(opts.repeats));
  }
}

main().catch((error: Error) => {
  console.error(`profile: ${error.message}`);
  process.exit(1);
});
