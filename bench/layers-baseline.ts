import * as tf from '@tensorflow/tfjs';
import { BackendReport } from '../src/backend';
import { DEFAULT_HYPER, HyperParameters } from '../src/config';
import { StreamBatcher } from '../src/data/batches';
import { BenchData } from './data';
import { BATCH, BPTT, CONFIGS, Counts, Row, forwardFlops, timeTraining } from './measure';

/**
 * What a TensorFlow.js user would write instead of using tfjs-rnnlm: tf.layers.embedding → dropout → stacked
 * stateful tf.layers.lstm/gru (returnSequences) with dropout between → dense softmax, `trainOnBatch` with
 * sparse categorical cross-entropy and the same SGD, on the same windows. tfjs-layers can neither tie the
 * projection to the embedding nor clip the global norm, so it gets its own projection and no clipping.
 */
export async function benchLayers(configName: string, data: BenchData, counts: Counts, backend: BackendReport): Promise<Row> {
  const hyper: HyperParameters = { ...DEFAULT_HYPER, ...CONFIGS[configName] };
  const hidden = hyper.hidden as number;
  const model = tf.sequential();
  model.add(tf.layers.embedding({ inputDim: data.vocabSize, outputDim: hyper.embedding, batchInputShape: [BATCH, BPTT] }));
  model.add(tf.layers.dropout({ rate: hyper.dropout }));
  for (let k = 0; k < hyper.layers; k++) {
    const args = { units: hidden, returnSequences: true, stateful: true };
    model.add(hyper.cell === 'gru' ? tf.layers.gru(args) : tf.layers.lstm(args));
    model.add(tf.layers.dropout({ rate: hyper.dropout }));
  }
  model.add(tf.layers.dense({ units: data.vocabSize, activation: 'softmax' }));
  model.compile({ optimizer: tf.train.sgd(hyper.lr), loss: 'sparseCategoricalCrossentropy' });

  const batcher = new StreamBatcher(data.train, BATCH, BPTT, { exact: false });
  const step = async (k: number): Promise<void> => {
    const window = batcher.window(k % batcher.numWindows);
    const [x, y] = tf.tidy(() => [
      tf.tensor2d(window.inputs, [BATCH, BPTT], 'int32'), tf.tensor3d(window.targets, [BATCH, BPTT, 1], 'int32').toFloat(),
    ]);
    await model.trainOnBatch(x, y);
    tf.dispose([x, y]);
  };
  const timed = await timeTraining(step, counts, () => tf.memory().numTensors);
  model.dispose();
  const tokens = counts.batches * BATCH * BPTT;
  return {
    system: 'tfjs-layers', backend: backend.name, precision: backend.precision, threads: backend.threads, kernel: 'tf.layers',
    config: configName, data: data.name, batches: counts.batches,
    trainWordsPerSecond: tokens / timed.seconds, evalWordsPerSecond: null, dynamicWordsPerSecond: null,
    trainGflops: (3 * forwardFlops(hyper, data.vocabSize, tokens)) / timed.seconds / 1e9,
    msPerBatch: (1000 * timed.seconds) / counts.batches,
    peakRssMiB: timed.peakRss, rssGrowthPercent: timed.growthPercent, tensorsBefore: timed.tensorsBefore, tensorsAfter: timed.tensorsAfter,
  };
}
