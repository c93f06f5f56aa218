import * as fs from 'fs';
import * as path from 'path';
import { BackendReport, describeBackend, selectBackend } from '../backend';
import {
  BACKEND_OPTIONS, BackendOptions, CORPUS_OPTIONS, CorpusOptions, FINE_TUNE_OPTIONS, FineTuneOptions, HyperParameters,
  ModelConfig, Precision, RESUMABLE_KEYS, RUN_DIRECTORY_OPTIONS, RunDirectoryOptions, TENSORBOARD_OPTIONS, TensorBoardOptions, TrainConfig, checkOptions,
  combineHyper, loadPreset, pickOptions, resolveHyper, toModelConfig, toTrainConfig,
} from '../config';
import { Corpus, DEFAULT_CORPUS_DIR, loadCorpus } from '../data/corpus';
import { ConfigError, DataError, DiskFullError, DivergenceError, OptionNamer, TrainCommandNamer, TrainCommandOptions, UserError } from '../errors';
import { PassProgress } from '../eval/perplexity';
import { saveModel } from '../model/io';
import { LanguageModel } from '../model/lm';
import { outputKernelName } from '../model/native-output';
import { runtimeVersions } from '../package';
import { cleanLeftovers, formatBytes } from '../util/atomic-files';
import { runOutputs, runPaths } from '../util/run-directory';
import { acquireRunLock } from '../util/run-lock';
import { CorpusRef, disposeLoadedCheckpoint, hasCheckpoint, loadCheckpoint, saveCheckpoint } from './checkpoint';
import { checkFineTuneOptions, loadCorpusWithVocabulary, startFineTuning } from './fine-tune';
import { RunReport, writeReport } from './report';
import { scheduledLearningRate } from './schedule';
import { TensorBoardLog } from './tensorboard';
import { BatchProgress, EpochMetrics, Trainer, TrainResult } from './trainer';

/**
 * What `rnnlm train` takes: the corpus (CORPUS_OPTIONS), the run directory (RUN_DIRECTORY_OPTIONS: with
 * `resume`, only the resumable hyper-parameters may change, e.g. a lower lr after a divergence), the backend,
 * a preset and explicit hyper-parameters that override it.
 */
export interface TrainRunOptions
  extends Partial<CorpusOptions>, Partial<RunDirectoryOptions>, Partial<BackendOptions>, Partial<FineTuneOptions>, Partial<TensorBoardOptions> {
  preset?: string | null;
  /** Explicit hyper-parameters; they override the preset. */
  hyper?: Partial<HyperParameters>;
  /** Aborting finishes the current batch, checkpoints and returns with `stopped: true`. */
  signal?: AbortSignal;
  /** Recorded in the report. */
  command?: string;
  onStart?(info: {
    backend: string; corpus: Corpus; model: LanguageModel; resumedAt: { epoch: number; batch: number; epochs: number } | null;
    /** What this run's settings are known to cost (`trainingCautions`), one line each. */
    cautions: string[];
  }): void;
  onBatch?(progress: BatchProgress): void;
  onEpoch?(metrics: EpochMetrics): void;
  /** Hears the windows of each validation pass and of the final test pass. */
  onPass?: PassProgress;
}

export interface TrainRunResult extends TrainResult {
  backend: string;
  model: LanguageModel;
  corpus: Corpus;
  report: RunReport;
}

/** What a run directory holds besides its lock. */
function runContents(save: string): string[] {
  return fs.readdirSync(save).filter((entry) => entry !== path.basename(runPaths(save).lock));
}

/**
 * Refuses to start where the user may lose something, naming a step that works from there: --resume needs a
 * checkpoint (a run stopped before its first one can only start again, with --force); a run directory that
 * holds anything is not replaced without --force.
 */
function checkSaveDirectory(save: string, resume: boolean, force: boolean, restart: TrainCommandOptions | null): void {
  const contents = runContents(save);
  const paths = runPaths(save);
  const holdsRun = hasCheckpoint(save) || fs.existsSync(paths.report.json) || fs.existsSync(paths.model);
  if (resume) {
    if (hasCheckpoint(save)) return;
    throw new ConfigError((option, command) => {
      const again = restart ? command(restart) : `the command that started it with ${option('force')} added`;
      if (holdsRun) return `${option('resume')}: ${save} has no checkpoint to resume from (its run stopped before the first one); start it again with ${again}`;
      if (contents.length === 0) return `${option('resume')}: ${save} holds no run to resume; start one without ${option('resume')}`;
      return `${option('resume')}: ${save} holds no run to resume: give the directory that train ${option('save')} wrote`;
    });
  }
  if (contents.length === 0 || force) return;
  throw new ConfigError((option, command) => {
    if (hasCheckpoint(save)) return `${option('save')} ${save} already holds a run: add ${option('resume')} to continue it or ${option('force')} to replace it`;
    if (holdsRun) {
      return `${option('save')} ${save} holds a run that stopped before its first checkpoint, so there is nothing to resume: ` +
        `start it again with ${restart ? command(restart) : `${option('force')}`}`;
    }
    return `${option('save')} ${save} is not empty and holds no run: choose a new or empty directory`;
  });
}

/** What --force replaces: everything a run writes, leftovers included; other files in the directory stay. */
function clearRun(save: string): void {
  const ours = runOutputs(runPaths(save)).map((output) => path.basename(output));
  for (const entry of runContents(save)) {
    if (ours.some((name) => entry === name || entry.startsWith(`${name}.tmp-`) || entry.startsWith(`${name}.old-`))) {
      fs.rmSync(path.join(save, entry), { recursive: true, force: true });
    }
  }
}

/** Removes what writes killed half-way left in a run directory (a set-aside copy whose original is gone is put back). */
function cleanRunDirectory(save: string): void {
  for (const output of runOutputs(runPaths(save))) cleanLeftovers(output);
}

/** The settings a run was started with (not where it is saved), as the call or command that gives them. */
function startOptions(options: TrainRunOptions): TrainCommandOptions {
  const given = Object.entries({
    data: options.data != null ? path.resolve(options.data) : undefined, char: options.char || undefined, maxVocab: options.maxVocab, preset: options.preset,
    checkpointEvery: options.checkpointEvery, backend: options.backend, precision: options.precision, kernel: options.kernel,
  }).filter(([, value]) => value != null);
  const hyper = Object.keys(options.hyper ?? {}).length > 0 ? { hyper: options.hyper } : {};
  return { ...Object.fromEntries(given), ...hyper };
}

/** The call (or command) that starts the run in `save` again from scratch, or null when its settings are unknown. */
function restartOptions(start: TrainCommandOptions | undefined, save: string): TrainCommandOptions | null {
  return start ? { ...start, save, force: true } : null;
}

/** Refuses resume options that ask for a different corpus, preset or fixed setting than the run has. */
function checkResumeOptions(options: TrainRunOptions, corpus: CorpusRef, previousPreset: string | null): void {
  const fixed = Object.keys(options.hyper ?? {}).filter((key) => !RESUMABLE_KEYS.includes(key as keyof HyperParameters));
  if (options.data != null && path.resolve(options.data) !== corpus.dir) fixed.unshift('data');
  if (options.char !== undefined && options.char !== corpus.char) fixed.unshift('char');
  if (options.maxVocab != null && options.maxVocab !== corpus.maxVocab) fixed.unshift('maxVocab');
  if (options.preset != null && previousPreset !== null && options.preset !== previousPreset) fixed.unshift('preset');
  if (fixed.length > 0) {
    throw new ConfigError((option) =>
      `${option('resume')} continues the run with its own settings, so ${fixed.map(option).join(', ')} cannot change ` +
        `(only ${RESUMABLE_KEYS.map(option).join(', ')} can): drop ${fixed.length === 1 ? 'it' : 'them'}, or start a new run with another ${option('save')}`);
  }
}

/** The run's settings with the changes a resume may make; a new lr restarts the schedule from it. */
function resumedTrainConfig(saved: TrainConfig, hyper: Partial<HyperParameters>): TrainConfig {
  resolveHyper(null, { optimizer: saved.optimizer, ...hyper }); // the same checks as for a new run of this optimizer
  return {
    ...saved,
    averageAfter: hyper.averageAfter !== undefined ? hyper.averageAfter : saved.averageAfter,
    epochs: hyper.epochs ?? saved.epochs,
    maxBatches: hyper.maxBatches !== undefined ? hyper.maxBatches : saved.maxBatches,
    lr: hyper.lr ?? saved.lr,
    clip: hyper.clip ?? saved.clip,
  };
}

/** Perplexity does not depend on the evaluation batch size, so a short valid/test split just gets fewer streams. */
function fitEvaluationBatches(config: TrainConfig, corpus: Corpus): TrainConfig {
  return {
    ...config,
    evalBatchSize: Math.max(1, Math.min(config.evalBatchSize, corpus.valid.length - 1)),
    testBatchSize: Math.max(1, Math.min(config.testBatchSize, corpus.test.length - 1)),
  };
}

/** Trains a language model end to end: corpus, model, truncated-BPTT epochs, checkpoints, reports, test ppl. */
export async function trainLanguageModel(options: TrainRunOptions): Promise<TrainRunResult> {
  const table = { ...CORPUS_OPTIONS, ...RUN_DIRECTORY_OPTIONS, ...BACKEND_OPTIONS, ...FINE_TUNE_OPTIONS, ...TENSORBOARD_OPTIONS };
  checkOptions(table, pickOptions(table, options));
  if (options.initFrom) checkFineTuneOptions(options);
  const save = options.save ? path.resolve(options.save) : null;
  if (options.resume && !save) throw new ConfigError((option) => `${option('resume')} needs ${option('save')} DIR (the run directory to continue)`);
  if (options.force && !save) throw new ConfigError((option) => `${option('force')} replaces the run in ${option('save')} DIR, and no ${option('save')} was given`);
  if (!save) return train(options, null, null);
  if (fs.existsSync(save) && !fs.statSync(save).isDirectory()) throw new ConfigError((option) => `${option('save')} ${save} exists and is not a directory`);
  // Taken before anything is read or written: it also finds an unwritable directory before training starts.
  const lock = acquireRunLock(save, options.command ?? 'trainLanguageModel()');
  try {
    cleanRunDirectory(save);
    const previous = options.resume ? readPreviousReport(save) : null;
    const start = options.resume ? previous?.start : startOptions(options);
    checkSaveDirectory(save, options.resume ?? false, options.force ?? false, restartOptions(start, save));
    if (options.force && !options.resume) clearRun(save);
    return await train(options, save, previous);
  } finally {
    lock.release();
  }
}

/** The step that works after a failure in the middle of a run: resume from its checkpoint, or start again without one. */
function nextStep(
  save: string, restart: TrainCommandOptions | null, option: OptionNamer, command: TrainCommandNamer, change: Record<string, unknown> = {},
): string {
  const changed = Object.keys(change).length > 0;
  if (hasCheckpoint(save)) return `resume from the last checkpoint: ${command({ save, resume: true, ...(changed ? { hyper: change } : {}) })}`;
  if (!restart) return `start again (there is no checkpoint yet) with the command that started the run and ${option('force')}`;
  const hyper = changed ? { hyper: { ...restart.hyper, ...change } } : {};
  return `start again (there is no checkpoint yet): ${command({ ...restart, ...hyper })}`;
}

/** `previous`: the report of the run a resume continues (null for a new run, or a run stopped before its first report). */
async function train(options: TrainRunOptions, save: string | null, previous: RunReport | null): Promise<TrainRunResult> {
  let trainer: Trainer;
  let corpus: Corpus;
  let corpusRef: CorpusRef;
  let preset = options.preset ?? null;
  const thisCommand = options.command ?? 'trainLanguageModel()';
  let command = thisCommand;
  let resumes: string[] = [];
  let start: TrainCommandOptions | undefined = startOptions(options);
  // Selected after the cheap checks (flags, directories) and before the first tensor: a typo is reported
  // before the native library loads, and the weights are created on the backend that trains them.
  let backend: BackendReport;
  if (options.resume && save) {
    // The run's own backend, precision and kernel, unless this call names others (e.g. fp32 on a CPU without bf16).
    backend = await selectBackend({ ...pickOptions(BACKEND_OPTIONS, previous?.start ?? {}), ...pickOptions(BACKEND_OPTIONS, options) });
    const checkpoint = loadCheckpoint(save);
    corpusRef = checkpoint.corpus;
    checkResumeOptions(options, corpusRef, previous?.preset ?? null);
    preset = previous?.preset ?? preset;
    command = previous?.command ?? thisCommand;
    resumes = [...(previous?.resumes ?? []), thisCommand];
    start = previous?.start;
    corpus = corpusRef.lockedVocabulary
      ? loadCorpusWithVocabulary(corpusRef.dir, checkpoint.vocab, save)
      : loadCorpus(corpusRef.dir, { char: corpusRef.char, maxVocab: corpusRef.maxVocab ?? undefined });
    if (corpus.vocab.fingerprint !== checkpoint.vocab.fingerprint) {
      throw new DataError(`the corpus at ${corpusRef.dir} changed since the run started: its vocabulary differs from the checkpoint's`);
    }
    const trainConfig = resumedTrainConfig(checkpoint.trainConfig, options.hyper ?? {});
    const progress = checkpoint.progress;
    // A run stopped (or killed) during its final test pass has trained every epoch: its resume scores test.
    const testPpl = previous?.testPpl ?? null;
    if (progress.epoch > trainConfig.epochs && testPpl !== null) {
      disposeLoadedCheckpoint(checkpoint);
      throw runComplete(save, progress.epoch - 1, testPpl);
    }
    if (options.hyper?.lr !== undefined) progress.lr = scheduledLearningRate(trainConfig, progress.epoch, trainConfig.lr);
    trainer = new Trainer(checkpoint.model, corpus, trainConfig, progress);
    await trainer.restore(checkpoint.optimizerSlots, checkpoint.carried, checkpoint.best, checkpoint.average);
  } else {
    const loadedPreset = preset ? loadPreset(preset) : null;
    const hyper = combineHyper(loadedPreset?.hyper ?? {}, options.hyper ?? {}); // checked before the corpus is read
    const flagsTrainConfig = toTrainConfig(hyper);
    const dir = path.resolve(options.data ?? DEFAULT_CORPUS_DIR);
    corpusRef = { dir, char: options.char ?? false, maxVocab: options.maxVocab ?? null };
    let model: LanguageModel;
    if (options.initFrom) {
      backend = await selectBackend(pickOptions(BACKEND_OPTIONS, options));
      ({ model, corpus } = startFineTuning(options.initFrom, dir, loadedPreset, options.hyper ?? {}));
      corpusRef = { ...corpusRef, char: corpus.level === 'char', lockedVocabulary: true };
    } else {
      corpus = loadCorpus(dir, { char: corpusRef.char, maxVocab: corpusRef.maxVocab ?? undefined });
      const modelConfig = toModelConfig(hyper, corpus.vocab.size);
      backend = await selectBackend(pickOptions(BACKEND_OPTIONS, options));
      model = new LanguageModel(modelConfig);
    }
    trainer = new Trainer(model, corpus, fitEvaluationBatches(flagsTrainConfig, corpus));
  }
  const { model } = trainer;
  let board: TensorBoardLog | null = null;
  try {
    if (options.tensorboard) board = TensorBoardLog.open(options.tensorboard, options.tensorboardEvery ?? TENSORBOARD_OPTIONS.tensorboardEvery.default, model);
  } catch (error) {
    trainer.dispose();
    model.dispose();
    throw error;
  }
  const backendLine = describeBackend(backend);
  const resumedAt = options.resume ? { epoch: trainer.progress.epoch, batch: trainer.progress.batch, epochs: trainer.config.epochs } : null;
  options.onStart?.({ backend: backendLine, corpus, model, resumedAt, cautions: trainingCautions(backend.precision, model.config) });

  const report = (status: RunReport['status'], testPpl: number | null): RunReport => ({
    status, command, resumes, start, preset,
    corpus: {
      dir: corpus.dir, level: corpus.level, vocabSize: corpus.vocab.size,
      tokens: { train: corpus.train.length, valid: corpus.valid.length, test: corpus.test.length },
    },
    modelConfig: model.config, trainConfig: trainer.config, parameters: model.parameterCount, backend: backendLine,
    kernels: model.layers.map((layer) => layer.lastKernel ?? 'not run yet'), outputKernel: outputKernelName(),
    versions: runtimeVersions(backend.tensorflowVersion), epochs: trainer.progress.history, bestValidPpl: trainer.progress.bestValidPpl,
    bestEpoch: trainer.progress.bestEpoch, testPpl, wallSeconds: trainer.progress.elapsedSeconds,
  });

  const checkpoint = async (): Promise<void> => {
    if (save) await saveCheckpoint(save, trainer, corpus.vocab, corpusRef);
  };
  const onAbort = (): void => trainer.requestStop();
  options.signal?.addEventListener('abort', onAbort);
  if (options.signal?.aborted) trainer.requestStop();
  let result: TrainResult;
  try {
    result = await trainer.run({
      // A resume keeps the run's interval unless it names another, as it keeps its backend and kernel.
      checkpointEvery: options.checkpointEvery ?? pickOptions(RUN_DIRECTORY_OPTIONS, start ?? {}).checkpointEvery ?? null,
      onBatch: (progress) => {
        board?.batch(progress);
        options.onBatch?.(progress);
      },
      onCheckpoint: checkpoint,
      onPass: options.onPass,
      onEpoch: async (metrics, isBest) => {
        board?.epoch(metrics, trainer.batchesPerEpoch);
        if (save) {
          if (isBest) await saveModel(runPaths(save).model, model, corpus.vocab, trainer.best ?? undefined);
          await checkpoint();
          writeReport(save, report('running', null));
        }
        options.onEpoch?.(metrics);
      },
    });
  } catch (error) {
    if (!save) throw error;
    const restart = restartOptions(start, save);
    if (error instanceof DivergenceError) {
      // The checkpoint on disk is the last good state; the report says what happened.
      writeReport(save, report('diverged', null));
      const lr = +(trainer.progress.lr / 10).toPrecision(3);
      throw new DivergenceError((option, command) => `${error.describe(option, command)} and ${nextStep(save, restart, option, command, { lr })}`);
    }
    if (error instanceof DiskFullError) {
      throw new DiskFullError((option, command) =>
        `${error.describe(option, command)}: free at least ${formatBytes(error.bytesNeeded)} on that disk, then ${nextStep(save, restart, option, command)}`,
        error.bytesNeeded);
    }
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    board?.close();
    trainer.dispose(); // optimizer slots, best-weight copy, carried state; the model stays with the caller
  }
  const final = report(result.stopped ? 'stopped' : 'finished', result.testPpl);
  if (save) writeReport(save, final);
  return { ...result, backend: backendLine, model, corpus, report: final };
}

/**
 * What a run's settings are known to cost, said as it starts. bf16 with weight drop: `awd-medium` trained 7.6–10.4%
 * worse in bf16 than in float32 over its first four epochs, and 3.7% better without weight drop over its first
 * (docs/results/README.md, "bf16 against float32 on the medium runs").
 */
export function trainingCautions(precision: Precision, model: ModelConfig): string[] {
  const weightDrop = model.dropout.weight ?? 0;
  if (precision !== 'bf16' || weightDrop === 0) return [];
  return [`bf16 with weight drop (${weightDrop}) trained awd-medium 8-10% worse than float32 (docs/results/README.md: "bf16 against float32 on the medium runs"); --precision fp32 avoids it`];
}

/** A resume of a run that has trained all its epochs and scored test: nothing to do but train it further. */
function runComplete(save: string, epochs: number, testPpl: number): UserError {
  return new ConfigError((option, command) =>
    `${save} is complete: it trained all ${epochs} epoch${epochs === 1 ? '' : 's'}, test ppl ${testPpl.toFixed(2)}; to train it further, resume with a larger ${option('epochs')}, ` +
      `e.g. ${command({ save, resume: true, hyper: { epochs: epochs + 5 } })}`);
}

/** The run's report so far (its preset, original command and resumes), if it has one. */
function readPreviousReport(save: string): RunReport | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(save, 'report.json'), 'utf8')) as RunReport;
  } catch {
    return null;
  }
}
