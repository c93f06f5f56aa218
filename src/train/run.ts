import * as fs from 'fs';
import * as path from 'path';
import { BackendChoice, BackendReport, describeBackend, selectBackend } from '../backend';
import { Corpus, DEFAULT_CORPUS_DIR, loadCorpus } from '../data/corpus';
import { DataError } from '../data/vocabulary';
import { ConfigError } from '../model/config';
import { HyperParameters, resolveHyper, toModelConfig, toTrainConfig } from '../model/hyper';
import { saveModel } from '../model/io';
import { LanguageModel } from '../model/lm';
import { CorpusRef, hasCheckpoint, loadCheckpoint, runPaths, saveCheckpoint } from './checkpoint';
import { RunReport, versions, writeReport } from './report';
import { scheduledLearningRate } from './schedule';
import { BatchProgress, DivergenceError, EpochMetrics, TrainConfig, Trainer, TrainResult } from './trainer';

export interface TrainRunOptions {
  /** Corpus directory; absent = the embedded Brown sample. */
  data?: string | null;
  char?: boolean;
  maxVocab?: number | null;
  preset?: string | null;
  /** Explicit hyper-parameters; they override the preset. */
  hyper?: Partial<HyperParameters>;
  /** Run directory for the best model, checkpoints and reports; absent = nothing is written. */
  save?: string | null;
  /**
   * Continue the run in `save` from its checkpoint. Only `epochs`, `maxBatches`, `lr` and `clip` may change
   * (e.g. a lower lr after a divergence); any other setting that differs from the run's is an error.
   */
  resume?: boolean;
  /** Replace an existing run directory. */
  force?: boolean;
  backend?: BackendChoice;
  /** Also checkpoint every N training batches (every epoch always). */
  checkpointEvery?: number | null;
  /** Aborting finishes the current batch, checkpoints and returns with `stopped: true`. */
  signal?: AbortSignal;
  /** Recorded in the report. */
  command?: string;
  onStart?(info: { backend: string; corpus: Corpus; model: LanguageModel; resumedAt: { epoch: number; batch: number } | null }): void;
  onBatch?(progress: BatchProgress): void;
  onEpoch?(metrics: EpochMetrics): void;
}

export interface TrainRunResult extends TrainResult {
  backend: string;
  model: LanguageModel;
  corpus: Corpus;
  report: RunReport;
}

/** A run directory that already holds something the user may want to keep. */
function checkSaveDirectory(save: string, resume: boolean, force: boolean): void {
  const exists = fs.existsSync(save);
  if (resume) {
    if (!hasCheckpoint(save)) throw new ConfigError(`--resume: ${save} has no checkpoint to resume from (train without --resume first)`);
    return;
  }
  if (!exists) return;
  if (!fs.statSync(save).isDirectory()) throw new ConfigError(`--save ${save} exists and is not a directory`);
  if (fs.readdirSync(save).length > 0 && !force) {
    throw new ConfigError(`--save ${save} already holds a run: add --resume to continue it or --force to replace it`);
  }
}

/** Settings a resumed run may change; any other would silently not apply, so giving one is an error. */
const RESUMABLE: readonly (keyof HyperParameters)[] = ['epochs', 'maxBatches', 'lr', 'clip'];
const flagName = (key: string): string => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** Refuses resume options that ask for a different corpus, preset or fixed setting than the run has. */
function checkResumeOptions(options: TrainRunOptions, corpus: CorpusRef, previousPreset: string | null): void {
  const fixed = Object.keys(options.hyper ?? {}).filter((key) => !RESUMABLE.includes(key as keyof HyperParameters));
  if (options.data != null && path.resolve(options.data) !== corpus.dir) fixed.unshift('data');
  if (options.char !== undefined && options.char !== corpus.char) fixed.unshift('char');
  if (options.maxVocab != null && options.maxVocab !== corpus.maxVocab) fixed.unshift('maxVocab');
  if (options.preset != null && previousPreset !== null && options.preset !== previousPreset) fixed.unshift('preset');
  if (fixed.length > 0) {
    throw new ConfigError(`--resume continues the run with its own settings, so ${fixed.map(flagName).join(', ')} cannot change ` +
      `(only ${RESUMABLE.map(flagName).join(', ')} can): drop ${fixed.length === 1 ? 'it' : 'them'}, or start a new run with another --save`);
  }
}

/** The run's settings with the changes a resume may make; a new lr restarts the schedule from it. */
function resumedTrainConfig(saved: TrainConfig, hyper: Partial<HyperParameters>): TrainConfig {
  toTrainConfig(resolveHyper(null, hyper)); // the same checks as for a new run
  return {
    ...saved,
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
  const save = options.save ? path.resolve(options.save) : null;
  if (options.resume && !save) throw new ConfigError('--resume needs --save DIR (the run directory to continue)');
  const every = options.checkpointEvery;
  if (every != null && !(Number.isInteger(every) && every > 0)) throw new ConfigError(`--checkpoint-every must be a positive integer, got ${every}`);
  if (save) checkSaveDirectory(save, options.resume ?? false, options.force ?? false);

  let trainer: Trainer;
  let corpus: Corpus;
  let corpusRef: CorpusRef;
  let preset = options.preset ?? null;
  const thisCommand = options.command ?? 'trainLanguageModel()';
  let command = thisCommand;
  let resumes: string[] = [];
  // Selected after the cheap checks (flags, directories) and before the first tensor: a typo is reported
  // before the native library loads, and the weights are created on the backend that trains them.
  let backend: BackendReport;
  if (options.resume && save) {
    backend = await selectBackend(options.backend ?? 'auto');
    const checkpoint = loadCheckpoint(save);
    corpusRef = checkpoint.corpus;
    const previous = readPreviousReport(save);
    checkResumeOptions(options, corpusRef, previous?.preset ?? null);
    preset = previous?.preset ?? preset;
    command = previous?.command ?? thisCommand;
    resumes = [...(previous?.resumes ?? []), thisCommand];
    corpus = loadCorpus(corpusRef.dir, { char: corpusRef.char, maxVocab: corpusRef.maxVocab ?? undefined });
    if (corpus.vocab.fingerprint !== checkpoint.vocab.fingerprint) {
      throw new DataError(`the corpus at ${corpusRef.dir} changed since the run started: its vocabulary differs from the checkpoint's`);
    }
    const trainConfig = resumedTrainConfig(checkpoint.trainConfig, options.hyper ?? {});
    const progress = checkpoint.progress;
    if (options.hyper?.lr !== undefined) progress.lr = scheduledLearningRate(trainConfig, progress.epoch, trainConfig.lr);
    trainer = new Trainer(checkpoint.model, corpus, trainConfig, progress);
    await trainer.restore(checkpoint.optimizerSlots, checkpoint.carried, checkpoint.best);
  } else {
    const hyper = resolveHyper(preset, options.hyper ?? {});
    const flagsTrainConfig = toTrainConfig(hyper); // checks the flags before the corpus is read
    const dir = path.resolve(options.data ?? DEFAULT_CORPUS_DIR);
    corpusRef = { dir, char: options.char ?? false, maxVocab: options.maxVocab ?? null };
    corpus = loadCorpus(dir, { char: corpusRef.char, maxVocab: corpusRef.maxVocab ?? undefined });
    const trainConfig = fitEvaluationBatches(flagsTrainConfig, corpus);
    const modelConfig = toModelConfig(hyper, corpus.vocab.size);
    backend = await selectBackend(options.backend ?? 'auto');
    const model = new LanguageModel(modelConfig);
    trainer = new Trainer(model, corpus, trainConfig);
  }
  const { model } = trainer;
  const backendLine = describeBackend(backend);
  const resumedAt = options.resume ? { epoch: trainer.progress.epoch, batch: trainer.progress.batch } : null;
  options.onStart?.({ backend: backendLine, corpus, model, resumedAt });

  const report = (status: RunReport['status'], testPpl: number | null): RunReport => ({
    status, command, resumes, preset,
    corpus: {
      dir: corpus.dir, level: corpus.level, vocabSize: corpus.vocab.size,
      tokens: { train: corpus.train.length, valid: corpus.valid.length, test: corpus.test.length },
    },
    modelConfig: model.config, trainConfig: trainer.config, parameters: model.parameterCount, backend: backendLine,
    versions: versions(backend.tensorflowVersion), epochs: trainer.progress.history, bestValidPpl: trainer.progress.bestValidPpl,
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
      checkpointEvery: options.checkpointEvery ?? null,
      onBatch: options.onBatch,
      onCheckpoint: checkpoint,
      onEpoch: async (metrics, isBest) => {
        if (save) {
          if (isBest) await saveModel(runPaths(save).model, model, corpus.vocab, trainer.best ?? undefined);
          await checkpoint();
          writeReport(save, report('running', null));
        }
        options.onEpoch?.(metrics);
      },
    });
  } catch (error) {
    if (!(error instanceof DivergenceError) || !save) throw error;
    // The checkpoint on disk is the last good state; the report says what happened.
    writeReport(save, report('diverged', null));
    const lower = +(trainer.progress.lr / 10).toPrecision(3);
    throw new DivergenceError(`${error.message}, e.g. rnnlm train --save ${options.save} --resume --lr ${lower}`);
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    trainer.dispose(); // optimizer slots, best-weight copy, carried state; the model stays with the caller
  }
  const final = report(result.stopped ? 'stopped' : 'finished', result.testPpl);
  if (save) writeReport(save, final);
  return { ...result, backend: backendLine, model, corpus, report: final };
}

/** The run's report so far (its preset, original command and resumes), if it has one. */
function readPreviousReport(save: string): RunReport | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(save, 'report.json'), 'utf8')) as RunReport;
  } catch {
    return null;
  }
}
