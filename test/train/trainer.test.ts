import * as tf from '@tensorflow/tfjs';
import { nativeAvailability } from '../../src/backend';
import { cpuDescription } from '../../src/backend/cpu';
import { loadOnednn } from '../../src/backend/onednn';
import { StreamBatcher } from '../../src/data/batches';
import { DivergenceError } from '../../src/errors';
import { kernelChoice, setKernelChoice } from '../../src/layers/kernel-choice';
import { Trainer } from '../../src/train/trainer';
import { relativeError } from '../helpers';
import { patternIds, smallModel } from '../model/fixtures';
import { trainConfig } from './resume';

const config = trainConfig;
const pattern = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7];

test('a repeated pattern is learned: train perplexity falls below 2', async () => {
  const ids = patternIds(3000, pattern);
  const model = smallModel({ vocabSize: 10, tied: true, hiddenSizes: [16, 16] });
  const trainer = new Trainer(model, { train: ids, valid: ids.slice(0, 400), test: ids.slice(0, 400) }, config({ lr: 0.02, epochs: 6 }));
  const result = await trainer.run();
  expect(result.history).toHaveLength(6);
  expect(result.history[5].trainPpl).toBeLessThan(2);
  expect(result.testPpl).toBeLessThan(2);
  trainer.dispose();
  model.dispose();
});

test('the same seed gives the same losses (dropout on)', async () => {
  const ids = patternIds(1200, pattern);
  const losses = async (): Promise<number[]> => {
    const model = smallModel({ vocabSize: 10, dropout: { input: 0.2, hidden: 0.2, output: 0.2, recurrent: 0.2, embedding: 0.1, kind: 'variational' } });
    const trainer = new Trainer(model, { train: ids, valid: ids.slice(0, 200), test: ids.slice(0, 200) }, config({ epochs: 1 }));
    const out: number[] = [];
    await trainer.run({ onBatch: (p) => out.push(p.loss) });
    trainer.dispose();
    model.dispose();
    return out;
  };
  const first = await losses();
  expect(first.length).toBeGreaterThan(5);
  expect(await losses()).toEqual(first);
});

test('the tensor count stays flat over many training steps', async () => {
  const ids = patternIds(4000, pattern);
  const model = smallModel({ vocabSize: 10, dropout: { input: 0.1, hidden: 0.1, output: 0.1, recurrent: 0.1, embedding: 0.1, kind: 'standard' } });
  const trainer = new Trainer(model, { train: ids, valid: ids.slice(0, 100), test: ids.slice(0, 100) }, config({ optimizer: 'sgd', lr: 1 }));
  const counts: number[] = [];
  await trainer.run({ onBatch: (p) => { if (p.batch >= 3) counts.push(tf.memory().numTensors); } });
  // Within an epoch every step leaves exactly the carried state behind: the count never moves.
  expect(new Set(counts.slice(0, 40)).size).toBe(1);
  expect(counts.length).toBeGreaterThan(100);
  trainer.dispose();
  model.dispose();
});

test('a NaN loss stops training with the epoch and batch, and leaves the weights untouched', async () => {
  const ids = patternIds(600, pattern);
  const model = smallModel({ vocabSize: 10 });
  const trainer = new Trainer(model, { train: ids, valid: ids, test: ids }, config({ optimizer: 'sgd', lr: 1 }));
  model.outputBias.assign(tf.fill([10], NaN));
  const before = model.variables().map((v) => Array.from(v.dataSync()));
  await expect(trainer.run()).rejects.toThrow(DivergenceError);
  await expect(trainer.run()).rejects.toThrow(/diverged at epoch 1, batch 1: .*lower lr or clip/);
  model.variables().forEach((v, k) => expect(Array.from(v.dataSync())).toEqual(before[k]));
  trainer.dispose();
  model.dispose();
});

test('bptt longer than the training streams is a clear error', () => {
  const model = smallModel({ vocabSize: 10 });
  expect(() => new Trainer(model, { train: patternIds(100, pattern), valid: patternIds(50, pattern), test: patternIds(50, pattern) },
    config({ batchSize: 10, bptt: 35 }))).toThrow(/lower bptt or batchSize/);
  model.dispose();
});

const onednnLoaded = ['auto', 'tensorflow'].includes(process.env.RNNLM_BACKEND ?? 'auto') && nativeAvailability() === true && typeof loadOnednn() !== 'string';
(onednnLoaded ? test : test.skip)('steps whose gradients come from reused arrays (oneDNN kernels) follow the explicit kernels\' weights', () => {
  // Two layers of one size and a tied output layer: every step's large gradients land in arrays the next step
  // writes again (src/layers/onednn/reused-outputs.ts); a tensor or weight still reading one would drift.
  const ids = patternIds(2000, pattern);
  const settings = kernelChoice();
  const weightsAfterSteps = (kernel: 'auto' | 'explicit', recurrent: number): Float32Array[] => {
    setKernelChoice(kernel, settings.precision, kernel === 'auto' ? settings.onednn : null);
    const dropout = { input: 0.1, hidden: 0.1, output: 0.1, recurrent, embedding: 0, kind: 'variational' as const };
    const model = smallModel({ vocabSize: 10, tied: true, hiddenSizes: [16, 16], embeddingSize: 16, dropout });
    const trainer = new Trainer(model, { train: ids, valid: ids, test: ids }, config({ optimizer: 'sgd', lr: 1, batchSize: 4, bptt: 6 }));
    const batcher = new StreamBatcher(ids, 4, 6, { exact: false });
    for (let k = 0; k < 6; k++) trainer.step(batcher.span(k * 6, 6), k + 1);
    const weights = model.variables().map((v) => v.dataSync() as Float32Array);
    expect(model.layers.every((layer) => kernel === 'explicit' ? layer.lastKernel === 'explicit' : /^oneDNN/.test(layer.lastKernel ?? ''))).toBe(true);
    trainer.dispose();
    model.dispose();
    return weights;
  };
  try {
    for (const recurrent of [0, 0.2]) { // the oneDNN LSTM primitive, then the matmul LSTM (recurrent masks)
      const explicit = weightsAfterSteps('explicit', recurrent);
      const onednn = weightsAfterSteps('auto', recurrent);
      const tolerance = settings.precision === 'bf16' ? 3e-2 : 1e-4;
      onednn.forEach((w, k) => expect({ recurrent, weight: k, ok: relativeError(w, explicit[k]) < tolerance }).toEqual({ recurrent, weight: k, ok: true }));
    }
  } finally {
    setKernelChoice(settings.kernel, settings.precision, settings.onednn);
  }
});

test('each epoch records the CPU that trained it, both CPUs when a resume moved it to another machine', async () => {
  const ids = patternIds(1200, pattern);
  const data = { train: ids, valid: ids.slice(0, 200), test: ids.slice(0, 200) };
  const model = smallModel({ vocabSize: 10 });
  const first = new Trainer(model, data, config({ epochs: 2 }));
  await first.run({ onBatch: (p) => { if (p.epoch === 2 && p.batch === 3) first.requestStop(); } });
  expect(first.progress.history.map((m) => m.cpu)).toEqual([cpuDescription()]);
  expect(first.progress.epochCpus).toEqual([cpuDescription()]);
  first.dispose();
  // The same progress continued elsewhere: epoch 2 was begun on another CPU.
  const second = new Trainer(model, data, config({ epochs: 2 }), { ...first.progress, epochCpus: ['Other CPU, 8 vCPUs'] });
  const result = await second.run();
  expect(result.history.map((m) => m.cpu)).toEqual([cpuDescription(), `Other CPU, 8 vCPUs + ${cpuDescription()}`]);
  second.dispose();
  model.dispose();
});
