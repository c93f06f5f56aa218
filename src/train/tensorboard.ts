import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../errors';
import { LanguageModel } from '../model/lm';
import { BatchProgress, EpochMetrics } from './trainer';

/** What we use of tfjs-node's SummaryFileWriter (tf.node.summaryFileWriter). */
interface SummaryWriter {
  scalar(name: string, value: number, step: number): void;
  histogram(name: string, data: tf.Tensor, step: number): void;
  flush(): void;
}

/**
 * TensorBoard event files of a training run, written with tfjs-node's summary writer (TensorFlow's own
 * event writer, so TensorBoard reads them as it reads Python's). The x axis is the global batch number:
 * training scalars every `every` batches (means over those batches), validation and weight histograms per epoch.
 */
export class TensorBoardLog {
  private sumLoss = 0;
  private sumNorm = 0;
  private count = 0;

  private constructor(private readonly writer: SummaryWriter, private readonly every: number, private readonly model: LanguageModel) {}

  /** Refuses a backend without tfjs-node: the summary writer is a TensorFlow C library op. */
  static open(dir: string, every: number, model: LanguageModel): TensorBoardLog {
    const backend = tf.getBackend();
    if (backend !== 'tensorflow') {
      throw new ConfigError((option) =>
        `${option('tensorboard')} needs the tensorflow backend (tfjs-node writes the event files), but this run uses ${backend}: ` +
          `drop ${option('tensorboard')} or run on ${option('backend')} tensorflow`);
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const node = require('@tensorflow/tfjs-node') as { node: { summaryFileWriter(dir: string): SummaryWriter } };
    return new TensorBoardLog(node.node.summaryFileWriter(dir), every, model);
  }

  batch(progress: BatchProgress): void {
    this.sumLoss += progress.loss;
    this.sumNorm += progress.gradNorm;
    this.count += 1;
    if (progress.batch % this.every !== 0 && progress.batch !== progress.batches) return;
    const step = globalStep(progress.epoch, progress.batch, progress.batches);
    const loss = this.sumLoss / this.count;
    this.writer.scalar('train/loss', loss, step);
    this.writer.scalar('train/ppl', Math.exp(loss), step);
    this.writer.scalar('train/grad_norm', this.sumNorm / this.count, step);
    this.writer.scalar('train/lr', progress.lr, step);
    this.writer.scalar('train/words_per_s', progress.wordsPerSecond, step);
    this.sumLoss = 0;
    this.sumNorm = 0;
    this.count = 0;
  }

  epoch(metrics: EpochMetrics, batches: number): void {
    const step = globalStep(metrics.epoch, batches, batches);
    this.writer.scalar('valid/ppl', metrics.validPpl, step);
    this.writer.scalar('epoch/train_ppl', metrics.trainPpl, step);
    for (const { name, variable } of this.model.namedWeights()) this.writer.histogram(`weights/${name}`, variable, step);
    this.writer.flush();
  }

  close(): void {
    this.writer.flush();
  }
}

function globalStep(epoch: number, batch: number, batches: number): number {
  return (epoch - 1) * batches + batch;
}
