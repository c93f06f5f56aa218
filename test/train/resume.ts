import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { TrainConfig } from '../../src/config';
import { Vocabulary } from '../../src/data/vocabulary';
import { LanguageModel } from '../../src/model/lm';
import { loadCheckpoint, saveCheckpoint } from '../../src/train/checkpoint';
import { Trainer, TrainingProgress } from '../../src/train/trainer';

export interface Data {
  train: Int32Array;
  valid: Int32Array;
  test: Int32Array;
}

/** A training configuration of the trainer tests: Adam, no schedule, tiny windows; regularisers off. */
export const trainConfig = (overrides: Partial<TrainConfig> = {}): TrainConfig => ({
  optimizer: 'adam', lr: 0.01, schedule: 'none', lrDecay: 1, decayStart: 0, clip: 1, epochs: 4, batchSize: 8, bptt: 10,
  maxBatches: null, evalBatchSize: 4, testBatchSize: 1, seed: 5, weightDecay: 0, alpha: 0, beta: 0,
  nonmono: 5, averageAfter: null, variableBptt: false,
  ...overrides,
});

export interface RunTrace {
  losses: number[];
  validPpl: number[];
  trainer: Trainer;
}

/** Runs a trainer to the end, recording every batch's loss and every epoch's valid ppl. */
export async function traceRun(trainer: Trainer, onBatch?: (epoch: number, batch: number) => void): Promise<RunTrace> {
  const losses: number[] = [];
  const result = await trainer.run({ onBatch: (p) => { losses.push(p.loss); onBatch?.(p.epoch, p.batch); } });
  return { losses, validPpl: result.history.map((m) => m.validPpl), trainer };
}

/**
 * Runs a training to `stopAt` (epoch, batch), writes its checkpoint to disk as `rnnlm train` does on Ctrl-C,
 * reads it back into a new model and trainer and runs that to the end. Returns the losses of both parts
 * and the valid perplexities of every epoch, for comparison with an uninterrupted run.
 */
export async function interruptedRun(
  model: LanguageModel, data: Data, config: TrainConfig, stopAt: { epoch: number; batch: number }, progress?: TrainingProgress,
): Promise<RunTrace> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlm-resume-test-'));
  try {
    const vocab = new Vocabulary(['<eos>', ...Array.from({ length: model.config.vocabSize - 1 }, (_, k) => `w${k}`)], 'word');
    const first = new Trainer(model, data, config, progress);
    const losses: number[] = [];
    await first.run({
      onBatch: (p) => {
        losses.push(p.loss);
        if (p.epoch === stopAt.epoch && p.batch === stopAt.batch) first.requestStop();
      },
      onCheckpoint: () => saveCheckpoint(dir, first, vocab, { dir, char: false, maxVocab: null }),
    });
    first.dispose();
    model.dispose();
    const checkpoint = loadCheckpoint(dir);
    const second = new Trainer(checkpoint.model, data, checkpoint.trainConfig, checkpoint.progress);
    await second.restore(checkpoint.optimizerSlots, checkpoint.carried, checkpoint.best, checkpoint.average);
    const rest = await traceRun(second);
    return { losses: [...losses, ...rest.losses], validPpl: rest.validPpl, trainer: second };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The values of tensors, for comparisons. */
export const values = (tensors: tf.Tensor[]): number[][] => tensors.map((t) => Array.from(t.dataSync()));
