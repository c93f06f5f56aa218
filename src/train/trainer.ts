import * as tf from '@tensorflow/tfjs';
import { TrainConfig } from '../config/hyper';
import { StreamBatcher, Window } from '../data/batches';
import { cpuDescription } from '../backend/cpu';
import { ConfigError, DivergenceError } from '../errors';
import { PassProgress, PerplexityPass, WindowProgress } from '../eval/perplexity';
import { reusingOutputArrays } from '../layers/onednn/reused-outputs';
import { LanguageModel, ModelState } from '../model/lm';
import { IterateAverage, averagingStarts } from './asgd';
import { clipFactor, globalNorm } from './clip';
import { NamedTensor, applyClipped, createOptimizer, restoreOptimizerState, setLearningRate } from './optimizers';
import { afterValidation, scheduledLearningRate } from './schedule';
import { Span, variableWindows } from './variable-bptt';

export interface EpochMetrics {
  epoch: number;
  lr: number;
  trainPpl: number;
  validPpl: number;
  /** Training tokens per second of this epoch (evaluation and start-up excluded). */
  wordsPerSecond: number;
  /** Wall time since training started, across resumes. */
  elapsedSeconds: number;
  backend: string;
  /**
   * The CPU that trained this epoch (`cpuDescription`); CPUs joined by " + " when a resume continued the epoch
   * on another machine. Absent in reports written before CPUs were recorded.
   */
  cpu?: string;
  /** The validation ran on NT-ASGD's averaged weights (absent in reports written before NT-ASGD existed). */
  averaged?: boolean;
}

/** Stands for the CPU of epochs (or parts of one) trained before CPUs were recorded. */
export const CPU_NOT_RECORDED = 'not recorded';

/** Everything needed to continue a run exactly where it stopped (JSON part; tensors travel separately). */
export interface TrainingProgress {
  /** Epoch in progress (1-based); `epochs + 1` when training is finished. */
  epoch: number;
  /** Next training window of the epoch in progress. */
  batch: number;
  lr: number;
  bestValidPpl: number | null;
  bestEpoch: number | null;
  history: EpochMetrics[];
  /** Partial sums of the epoch in progress. */
  epochNll: number;
  epochTokens: number;
  epochTrainSeconds: number;
  elapsedSeconds: number;
  /** NT-ASGD: the first epoch of averaged steps and the number of iterates averaged so far; null before the switch. */
  averaging: { fromEpoch: number; steps: number } | null;
  /** The CPUs that have trained the epoch in progress so far, in order. */
  epochCpus: string[];
}

export interface BatchProgress {
  epoch: number;
  /** Epochs in the run. */
  epochs: number;
  batch: number;
  batches: number;
  loss: number;
  wordsPerSecond: number;
  lr: number;
  /** Global norm of this batch's gradient before clipping. */
  gradNorm: number;
}

export interface TrainHooks {
  onBatch?(progress: BatchProgress): void;
  /** After each epoch's validation; `isBest` when valid ppl is the best so far (save the model then). */
  onEpoch?(metrics: EpochMetrics, isBest: boolean): Promise<void> | void;
  /** Every `checkpointEvery` batches, and when a stop was requested. */
  onCheckpoint?(reason: 'interval' | 'stop'): Promise<void> | void;
  checkpointEvery?: number | null;
  /** Hears the windows of each validation pass ("validation") and of the final test pass ("test"). */
  onPass?: PassProgress;
}

export interface TrainResult {
  history: EpochMetrics[];
  bestValidPpl: number | null;
  /** Test perplexity of the best-valid weights; null when training was stopped before it was scored. */
  testPpl: number | null;
  stopped: boolean;
}

export function initialProgress(config: TrainConfig): TrainingProgress {
  // NT-ASGD with averageAfter 0 averages from the first step: AWD-LSTM's fine-tuning stage (finetune.py).
  const averaging = config.optimizer === 'ntasgd' && config.averageAfter === 0 ? { fromEpoch: 1, steps: 0 } : null;
  return {
    epoch: 1, batch: 0, lr: scheduledLearningRate(config, 1, config.lr), bestValidPpl: null, bestEpoch: null,
    history: [], epochNll: 0, epochTokens: 0, epochTrainSeconds: 0, elapsedSeconds: 0, averaging, epochCpus: [],
  };
}

/** Seed of a window's dropout masks: a function of (seed, epoch, batch) only, so resuming redraws the same masks. */
function windowSeed(seed: number, epoch: number, batch: number): number {
  return ((seed * 1000003 + epoch * 7919 + batch * 31) % 2147483647) + 1;
}

/**
 * Lets pending events run. Steps are synchronous and the awaited hooks settle as microtasks, so without this
 * a SIGINT/SIGTERM handler (a macrotask) would only run when the whole training is over.
 */
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Truncated-BPTT training: each epoch walks the B parallel streams window by window (of T steps, or of
 * variable length), carrying the hidden state (reset at the epoch start, cut from the gradient), clips the
 * global gradient norm, adds weight decay and steps the optimizer; then evaluates validation perplexity (of
 * the averaged weights once NT-ASGD averages), adjusts the lr and remembers the best weights.
 */
export class Trainer {
  readonly optimizer: tf.Optimizer;
  progress: TrainingProgress;
  /** Hidden state carried into the next window (null = zeros). */
  carried: ModelState | null = null;
  /** Copy of the weights with the best validation perplexity. */
  private bestWeights: tf.Tensor[] | null = null;
  private stopRequested = false;
  /** Gradient norm (before clipping) of the last step. */
  private lastGradNorm = NaN;
  private readonly batcher: StreamBatcher;
  /** NT-ASGD's running mean of the iterates, once triggered. */
  private averager: IterateAverage | null = null;
  /** The windows of one epoch (variable-length BPTT draws them per epoch). */
  private spans: { epoch: number; spans: Span[] } | null = null;
  /** Recorded with each epoch's metrics: words/s mean little without the machine. */
  private readonly cpu = cpuDescription();

  constructor(
    readonly model: LanguageModel,
    private readonly data: { train: Int32Array; valid: Int32Array; test: Int32Array },
    readonly config: TrainConfig,
    progress?: TrainingProgress,
  ) {
    this.batcher = new StreamBatcher(data.train, config.batchSize, config.bptt, { exact: false });
    if (config.bptt > this.batcher.streamLength) {
      throw new ConfigError((option) => `${option('bptt')} ${config.bptt} is longer than each of the ${config.batchSize} training streams ` +
        `(${this.batcher.streamLength} tokens): lower ${option('bptt')} or ${option('batchSize')}`);
    }
    this.progress = progress ?? initialProgress(config);
    this.optimizer = createOptimizer(config.optimizer, this.progress.lr);
  }

  /** Training windows of the epoch in progress. */
  get batchesPerEpoch(): number {
    const all = this.epochSpans(this.progress.epoch).length;
    return this.config.maxBatches === null ? all : Math.min(all, this.config.maxBatches);
  }

  /** The windows of `epoch`: every T steps, or variable lengths that depend only on the seed and the epoch. */
  private epochSpans(epoch: number): Span[] {
    if (this.spans?.epoch !== epoch) {
      const { streamLength } = this.batcher;
      const { bptt, seed } = this.config;
      const spans = this.config.variableBptt ? variableWindows(streamLength, bptt, seed, epoch)
        : Array.from({ length: this.batcher.numWindows }, (_, k) => ({ start: k * bptt, steps: Math.min(bptt, streamLength - k * bptt) }));
      this.spans = { epoch, spans };
    }
    return this.spans.spans;
  }

  /**
   * Continues from a checkpoint: optimizer slots, the carried state, the best weights so far and, once
   * NT-ASGD averages, the average of the iterates (`progress.averaging` says how many).
   */
  async restore(
    optimizerSlots: NamedTensor[], carried: ModelState | null, bestWeights: tf.Tensor[] | null, average: tf.Tensor[] | null = null,
  ): Promise<void> {
    if (optimizerSlots.length > 0) await restoreOptimizerState(this.optimizer, optimizerSlots);
    tf.dispose(optimizerSlots.map((slot) => slot.tensor)); // the optimizer keeps copies (or just the count)
    this.carried = carried;
    this.bestWeights = bestWeights;
    if (average && this.progress.averaging) this.averager = new IterateAverage(average, this.progress.averaging.steps);
    if (average) tf.dispose(average); // the average keeps its own variables
  }

  /** NT-ASGD's average of the iterates, in `model.variables()` order; null until the first averaged step. */
  get averageWeights(): tf.Tensor[] | null {
    return this.averager?.average ?? null;
  }

  /** Asks the loop to stop after the current batch (Ctrl-C): it checkpoints and returns. */
  requestStop(): void {
    this.stopRequested = true;
  }

  /**
   * One optimisation step on one window: the cross-entropy plus AR/TAR, its gradient clipped, then weight
   * decay; NT-ASGD then averages the new iterate. Returns the mean cross-entropy (nats per token).
   */
  step(window: Window, seed: number): number {
    const variables = this.model.variables();
    const carried = this.carried;
    const { alpha, beta, clip, weightDecay } = this.config;
    let next = null as ModelState | null;
    // The tidy disposes every tensor of the step, so the addon's gradient arrays can serve the next one.
    const { nll, loss, norm } = reusingOutputArrays(() => tf.tidy(() => {
      const inputs = tf.tensor2d(window.inputs, [window.batchSize, window.steps], 'int32');
      const targets = tf.tensor1d(window.targets, 'int32');
      const kept: { nll?: tf.Scalar } = {};
      const { value, grads } = this.model.variableGrads(inputs, (lookup) => {
        const result = this.model.loss(inputs, targets, carried, seed, window.tokens, { alpha, beta }, lookup);
        next = { layers: result.state.layers.map((layerState) => layerState.map((s) => tf.keep(s))) };
        kept.nll = tf.keep(result.nll); // variableGrads keeps only the value it differentiates
        return result.loss;
      });
      const values = tf.stack([kept.nll as tf.Scalar, value, globalNorm(grads)]).dataSync();
      kept.nll?.dispose();
      if (values.every(Number.isFinite)) {
        applyClipped(this.optimizer, this.config.optimizer, grads, clipFactor(values[2], clip), variables, weightDecay);
      }
      return { nll: values[0], loss: values[1], norm: values[2] };
    }));
    if (carried) tf.dispose(carried.layers);
    this.carried = next;
    this.lastGradNorm = norm;
    if (![nll, loss, norm].every(Number.isFinite)) {
      throw this.diverged(`loss ${loss}, gradient norm ${norm}; the weights were not updated`, this.progress.batch + 1);
    }
    if (this.progress.averaging) {
      this.averager ??= new IterateAverage(variables); // the first averaged step (or a resume before it) starts it
      this.averager.update(variables);
      this.progress.averaging.steps = this.averager.count;
    }
    return nll;
  }

  async run(hooks: TrainHooks = {}): Promise<TrainResult> {
    const { config } = this;
    const startedAt = Date.now() - this.progress.elapsedSeconds * 1000;
    const elapsed = (): number => (Date.now() - startedAt) / 1000;
    while (this.progress.epoch <= config.epochs) {
      const p = this.progress;
      if (!p.epochCpus.includes(this.cpu)) p.epochCpus.push(this.cpu);
      if (p.batch === 0) {
        p.lr = scheduledLearningRate(config, p.epoch, p.lr);
        this.resetCarried();
      }
      setLearningRate(this.optimizer, p.lr);
      const batches = this.batchesPerEpoch;
      const spans = this.epochSpans(p.epoch);
      let sinceCheckpoint = 0;
      while (p.batch < batches) {
        const { start, steps } = spans[p.batch];
        const window = this.batcher.span(start, steps);
        if (config.variableBptt) setLearningRate(this.optimizer, (p.lr * steps) / config.bptt); // every token weighs the same
        const started = performance.now();
        const loss = this.step(window, windowSeed(config.seed, p.epoch, p.batch));
        // A finite loss so large that the perplexity overflows (> 709 nats per token) is a divergence too.
        if (!Number.isFinite(Math.exp(loss))) throw this.diverged(`loss ${loss} nats per token (the perplexity overflows)`, p.batch + 1);
        p.epochTrainSeconds += (performance.now() - started) / 1000;
        p.epochNll += loss * window.tokens;
        p.epochTokens += window.tokens;
        p.batch += 1;
        p.elapsedSeconds = elapsed();
        hooks.onBatch?.({
          epoch: p.epoch, epochs: config.epochs, batch: p.batch, batches, loss, wordsPerSecond: p.epochTokens / Math.max(p.epochTrainSeconds, 1e-9),
          lr: p.lr, gradNorm: this.lastGradNorm,
        });
        await yieldToEventLoop();
        if (this.stopRequested) {
          await hooks.onCheckpoint?.('stop');
          return { history: p.history, bestValidPpl: p.bestValidPpl, testPpl: null, stopped: true };
        }
        sinceCheckpoint += 1;
        if (hooks.checkpointEvery && sinceCheckpoint >= hooks.checkpointEvery && p.batch < batches) {
          sinceCheckpoint = 0;
          await hooks.onCheckpoint?.('interval');
        }
      }
      const validPpl = await this.withAveragedWeights(() => this.perplexityUnlessStopped(this.data.valid, config.evalBatchSize, hooks.onPass?.('validation')));
      if (validPpl === null) {
        // Every window of the epoch is trained: the checkpoint resumes at this validation.
        await hooks.onCheckpoint?.('stop');
        return { history: p.history, bestValidPpl: p.bestValidPpl, testPpl: null, stopped: true };
      }
      // Checked before anything is saved, so the last checkpoint keeps the last good weights.
      if (!Number.isFinite(validPpl)) throw this.diverged(`validation perplexity ${validPpl}`, null);
      const improved = p.bestValidPpl === null || validPpl < p.bestValidPpl;
      const metrics: EpochMetrics = {
        epoch: p.epoch, lr: p.lr, trainPpl: Math.exp(p.epochNll / p.epochTokens), validPpl,
        wordsPerSecond: p.epochTokens / p.epochTrainSeconds, elapsedSeconds: elapsed(), backend: tf.getBackend(),
        cpu: p.epochCpus.join(' + '), averaged: this.averaged !== null,
      };
      if (improved) {
        p.bestValidPpl = validPpl;
        p.bestEpoch = p.epoch;
        this.keepBestWeights();
      }
      const previous = p.history.map((m) => m.validPpl);
      if (config.optimizer === 'ntasgd' && !p.averaging && averagingStarts(previous, validPpl, p.epoch, config)) {
        p.averaging = { fromEpoch: p.epoch + 1, steps: 0 }; // the next step starts the average
      }
      p.history.push(metrics);
      p.lr = afterValidation(config, p.lr, improved);
      p.epoch += 1;
      p.batch = 0;
      p.epochNll = 0;
      p.epochTokens = 0;
      p.epochTrainSeconds = 0;
      p.epochCpus = [];
      p.elapsedSeconds = elapsed();
      this.resetCarried();
      await hooks.onEpoch?.(metrics, improved);
      if (this.stopRequested) return { history: p.history, bestValidPpl: p.bestValidPpl, testPpl: null, stopped: true };
    }
    const testPpl = await this.testBest(hooks.onPass?.('test'));
    if (testPpl === null) await hooks.onCheckpoint?.('stop'); // a resume scores test and trains nothing
    return { history: this.progress.history, bestValidPpl: this.progress.bestValidPpl, testPpl, stopped: testPpl === null };
  }

  /** A DivergenceError naming where it happened and what to do. */
  private diverged(what: string, batch: number | null): DivergenceError {
    const where = `epoch ${this.progress.epoch}${batch === null ? ' (validation)' : `, batch ${batch}`}`;
    return new DivergenceError((option) =>
      `training diverged at ${where}: ${what}; lower ${option('lr')} or ${option('clip')}`);
  }

  /**
   * Test perplexity of the best-valid weights (the current weights when no epoch was validated); null when a
   * stop was requested during the pass.
   */
  async testBest(onWindow?: WindowProgress): Promise<number | null> {
    const current = this.model.variables().map((v) => tf.clone(v));
    if (this.bestWeights) this.assignWeights(this.bestWeights);
    try {
      return await this.perplexityUnlessStopped(this.data.test, this.config.testBatchSize, onWindow);
    } finally {
      this.assignWeights(current);
      tf.dispose(current);
    }
  }

  /**
   * The perplexity of `ids`, letting pending events run after each window: a pass takes minutes on a medium
   * model (test at batch 1), and a Ctrl-C must neither wait for it nor be lost. Null when a stop was requested.
   */
  private async perplexityUnlessStopped(ids: Int32Array, batchSize: number, onWindow?: WindowProgress): Promise<number | null> {
    const pass = new PerplexityPass(this.model, ids, batchSize, this.config.bptt, onWindow);
    try {
      while (!pass.done) {
        await yieldToEventLoop();
        if (this.stopRequested) return null;
        pass.step();
      }
      return pass.result.perplexity;
    } finally {
      pass.dispose();
    }
  }

  /** The best weights so far (for saving), or null before the first validation. */
  get best(): tf.Tensor[] | null {
    return this.bestWeights;
  }

  dispose(): void {
    this.resetCarried();
    if (this.bestWeights) tf.dispose(this.bestWeights);
    this.bestWeights = null;
    this.averager?.dispose();
    this.averager = null;
    this.optimizer.dispose();
  }

  /** The weights validation sees and the best model keeps: the averaged ones once NT-ASGD averages. */
  private keepBestWeights(): void {
    if (this.bestWeights) tf.dispose(this.bestWeights);
    this.bestWeights = (this.averaged?.average ?? this.model.variables()).map((v) => tf.keep(tf.clone(v)));
  }

  /** The running average once it holds at least one iterate. */
  private get averaged(): IterateAverage | null {
    return this.averager && this.averager.count > 0 ? this.averager : null;
  }

  /** Runs `f` with the averaged weights in the model (when averaging), then puts the iterate back. */
  private async withAveragedWeights<T>(f: () => Promise<T>): Promise<T> {
    const averaged = this.averaged;
    if (!averaged) return f();
    const current = this.model.variables().map((v) => tf.clone(v));
    this.assignWeights(averaged.average);
    try {
      return await f();
    } finally {
      this.assignWeights(current);
      tf.dispose(current);
    }
  }

  private assignWeights(values: tf.Tensor[]): void {
    this.model.variables().forEach((v, k) => v.assign(values[k]));
  }

  private resetCarried(): void {
    if (this.carried) tf.dispose(this.carried.layers);
    this.carried = null;
  }
}
