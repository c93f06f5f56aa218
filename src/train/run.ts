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
import { BatchProgress, EpochMetrics, Trainer, TrainResult } from './trainer';

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
  /** Continue the run in `save` from its checkpoint (only `epochs` and `maxBatches` may change). */
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

/** Trains a language model end to end: corpus, model, truncated-BPTT epochs, checkpoints, reports, test ppl. */
export async function trainLanguageModel(options: TrainRunOptions): Promise<TrainRunResult> {
  const save = options.save ? path.resolve(options.save) : null;
  if (options.resume && !save) throw new ConfigError('--resume needs --save DIR (the run directory to continue)');
  if (save) checkSaveDirectory(save, options.resume ?? false, options.force ?? false);

  let trainer: Trainer;
  let corpus: Corpus;
  let corpusRef: CorpusRef;
  let preset = options.preset ?? null;
  // Selected after the cheap checks (flags, directories) and before the first tensor: a typo is reported
  // before the native library loads, and the weights are created on the backend that trains them.
  let backend: BackendReport;
  if (options.resume && save) {
    backend = await selectBackend(options.backend ?? 'auto');
    const checkpoint = loadCheckpoint(save);
    corpusRef = checkpoint.corpus;
    corpus = loadCorpus(corpusRef.dir, { char: corpusRef.char, maxVocab: corpusRef.maxVocab ?? undefined });
    if (corpus.vocab.fingerprint !== checkpoint.vocab.fingerprint) {
      throw new DataError(`the corpus at ${corpusRef.dir} changed since the run started: its vocabulary differs from the checkpoint's`);
    }
    const trainConfig = {
      ...checkpoint.trainConfig,
      epochs: options.hyper?.epochs ?? checkpoint.trainConfig.epochs,
      maxBatches: options.hyper?.maxBatches !== undefined ? options.hyper.maxBatches : checkpoint.trainConfig.maxBatches,
    };
    trainer = new Trainer(checkpoint.model, corpus, trainConfig, checkpoint.progress);
    await trainer.restore(checkpoint.optimizerSlots, checkpoint.carried, checkpoint.best);
    preset = readPreviousPreset(save) ?? preset;
  } else {
    const hyper = resolveHyper(preset, options.hyper ?? {});
    const trainConfig = toTrainConfig(hyper);
    const dir = path.resolve(options.data ?? DEFAULT_CORPUS_DIR);
    corpusRef = { dir, char: options.char ?? false, maxVocab: options.maxVocab ?? null };
    corpus = loadCorpus(dir, { char: corpusRef.char, maxVocab: corpusRef.maxVocab ?? undefined });
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
    status, command: options.command ?? 'trainLanguageModel()', preset,
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
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    trainer.dispose(); // optimizer slots, best-weight copy, carried state; the model stays with the caller
  }
  const final = report(result.stopped ? 'stopped' : 'finished', result.testPpl);
  if (save) writeReport(save, final);
  return { ...result, backend: backendLine, model, corpus, report: final };
}

function readPreviousPreset(save: string): string | null {
  try {
    return (JSON.parse(fs.readFileSync(path.join(save, 'report.json'), 'utf8')) as RunReport).preset;
  } catch {
    return null;
  }
}
