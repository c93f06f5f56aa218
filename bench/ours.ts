import * as tf from '@tensorflow/tfjs';
import { BackendReport } from '../src/backend';
import { DEFAULT_HYPER, HyperParameters, toModelConfig, toTrainConfig } from '../src/config';
import { StreamBatcher } from '../src/data/batches';
import { dynamicPerplexityWith, gradientRms } from '../src/eval/dynamic';
import { evaluatePerplexity } from '../src/eval/perplexity';
import { dynamicRates } from '../src/eval/windows';
import { LanguageModel } from '../src/model/lm';
import { Trainer } from '../src/train/trainer';
import { BenchData } from './data';
import { BATCH, BPTT, CONFIGS, Counts, Row, forwardFlops, timeTraining } from './measure';

/** tfjs-rnnlm itself: the library's Trainer for training, `evaluatePerplexity` for evaluation. */
export async function benchOurs(configName: string, data: BenchData, counts: Counts, backend: BackendReport): Promise<Row> {
  const hyper: HyperParameters = { ...DEFAULT_HYPER, ...CONFIGS[configName], batchSize: BATCH, bptt: BPTT };
  const model = new LanguageModel(toModelConfig(hyper, data.vocabSize));
  const trainer = new Trainer(model, { train: data.train, valid: data.valid, test: data.valid }, toTrainConfig(hyper));
  const batcher = new StreamBatcher(data.train, BATCH, BPTT, { exact: false });
  const timed = await timeTraining((k) => void trainer.step(batcher.window(k % batcher.numWindows), k + 1), counts, () => tf.memory().numTensors);
  trainer.dispose();

  // Evaluation as `evaluate` runs it (stateful, exact, no dropout), at the training batch size like PyTorch's script.
  const evalTokens = Math.min(data.valid.length, counts.evalBatches * BATCH * BPTT + 1);
  const evalStarted = performance.now();
  const evaluated = evaluatePerplexity(model, data.valid.subarray(0, evalTokens), BATCH, BPTT);
  const evalSeconds = (performance.now() - evalStarted) / 1000;
  const dynamicWordsPerSecond = counts.dynamicWindows > 0 ? timeDynamicEvaluation(model, data, counts.dynamicWindows, counts.dynamicBptt) : null;
  model.dispose();

  const tokens = counts.batches * BATCH * BPTT;
  return {
    system: 'tfjs-rnnlm', backend: backend.name, precision: backend.precision, threads: backend.threads, kernel: backend.kernel,
    config: configName, data: data.name, batches: counts.batches,
    trainWordsPerSecond: tokens / timed.seconds,
    evalWordsPerSecond: evaluated.tokens / evalSeconds,
    dynamicWordsPerSecond,
    trainGflops: (3 * forwardFlops(hyper, data.vocabSize, tokens)) / timed.seconds / 1e9,
    msPerBatch: (1000 * timed.seconds) / counts.batches,
    peakRssMiB: timed.peakRss, rssGrowthPercent: timed.growthPercent, tensorsBefore: timed.tensorsBefore, tensorsAfter: timed.tensorsAfter,
  };
}

/**
 * Dynamic evaluation as `evaluate --dynamic` runs it: one stream (Krause et al.'s), a step after each window of
 * `bptt` tokens, its default lr and λ (they do not change the work). The gradient statistics come from a few
 * training windows, untimed.
 */
function timeDynamicEvaluation(model: LanguageModel, data: BenchData, windows: number, bptt: number): number {
  const rms = gradientRms(model, data.train, bptt, 3);
  const settings = dynamicRates(bptt);
  const started = performance.now();
  const scored = dynamicPerplexityWith(model, data.valid.subarray(0, Math.min(data.valid.length, windows * bptt + 1)), rms, 1, bptt, settings);
  const seconds = (performance.now() - started) / 1000;
  tf.dispose(rms);
  return scored.tokens / seconds;
}
