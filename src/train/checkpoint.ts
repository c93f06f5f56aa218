import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { DEFAULT_HYPER, ModelConfig, TrainConfig, toTrainConfig, validateModelConfig } from '../config';
import { Vocabulary } from '../data/vocabulary';
import { ModelFileError } from '../errors';
import { Checksums, FORMAT_VERSION, assignWeights, decodeBundle, encodeBundle, loadModel, manifestElements, readJsonOrFail } from '../model/io';
import { resolveDirectory, writeDirectoryAtomically } from '../util/atomic-files';
import { runPaths } from '../util/run-directory';
import { LanguageModel, ModelState } from '../model/lm';
import { optimizerState } from './optimizers';
import { CPU_NOT_RECORDED, Trainer, TrainingProgress } from './trainer';

/** The checkpoint/ directory of a run (see src/util/run-directory.ts for the whole layout). */
export const CHECKPOINT_FORMAT = 'tfjs-rnnlm-checkpoint';

/** Where the data came from, so `--resume` can reload the same corpus. */
export interface CorpusRef {
  dir: string;
  char: boolean;
  maxVocab: number | null;
  /** Fine-tuning: the vocabulary is the starting model's (kept in the checkpoint), not rebuilt from the corpus. */
  lockedVocabulary?: boolean;
}

interface CheckpointJson {
  format: string;
  version: number;
  modelConfig: ModelConfig;
  trainConfig: TrainConfig;
  corpus: CorpusRef;
  progress: TrainingProgress;
  vocabFingerprint: string;
  weights: tf.io.WeightsManifestConfig;
  optimizer: tf.io.WeightsManifestConfig;
  /** Per layer, the number of state tensors ([h] or [h, c]). */
  stateLayout: number[];
  state: tf.io.WeightsManifestConfig;
  /** NT-ASGD's average of the iterates, once averaging started (absent before, and in older checkpoints). */
  average?: tf.io.WeightsManifestConfig;
  /** Absent in checkpoints written by 0.1.0. */
  checksums?: Checksums;
}

export async function saveCheckpoint(runDir: string, trainer: Trainer, vocab: Vocabulary, corpus: CorpusRef): Promise<void> {
  const { model } = trainer;
  const weights = await encodeBundle(model.namedWeights().map((w) => ({ name: w.name, tensor: w.variable })), 'weights.bin');
  const slots = await optimizerState(trainer.optimizer);
  const optimizer = await encodeBundle(slots, 'optimizer.bin');
  tf.dispose(slots[0].tensor); // getWeights() makes the iteration count afresh on every call; the other slots are the optimizer's own
  const carried = trainer.carried?.layers ?? [];
  const state = await encodeBundle(
    carried.flatMap((layer, k) => layer.map((tensor, j) => ({ name: `layer${k}/state${j}`, tensor }))), 'state.bin');
  const averageWeights = trainer.averageWeights;
  const average = averageWeights
    ? await encodeBundle(model.namedWeights().map((w, k) => ({ name: w.name, tensor: averageWeights[k] })), 'average.bin')
    : null;
  const json: CheckpointJson = {
    format: CHECKPOINT_FORMAT, version: FORMAT_VERSION, modelConfig: model.config, trainConfig: trainer.config, corpus,
    progress: trainer.progress, vocabFingerprint: vocab.fingerprint, weights: weights.manifest,
    optimizer: optimizer.manifest, stateLayout: carried.map((layer) => layer.length), state: state.manifest,
    ...(average ? { average: average.manifest } : {}),
    checksums: {
      'weights.bin': weights.checksum, 'optimizer.bin': optimizer.checksum, 'state.bin': state.checksum,
      ...(average ? { 'average.bin': average.checksum } : {}),
    },
  };
  writeDirectoryAtomically(runPaths(runDir).checkpoint, {
    'checkpoint.json': JSON.stringify(json, null, 2), 'vocab.json': JSON.stringify(vocab.toJSON()),
    'weights.bin': weights.data, 'optimizer.bin': optimizer.data, 'state.bin': state.data,
    ...(average ? { 'average.bin': average.data } : {}),
  });
}

export interface LoadedCheckpoint {
  model: LanguageModel;
  vocab: Vocabulary;
  trainConfig: TrainConfig;
  corpus: CorpusRef;
  progress: TrainingProgress;
  optimizerSlots: { name: string; tensor: tf.Tensor }[];
  carried: ModelState | null;
  /** The best-valid weights (from model/), in `model.variables()` order. */
  best: tf.Tensor[] | null;
  /** NT-ASGD's average of the iterates, in `model.variables()` order, once averaging started. */
  average: tf.Tensor[] | null;
}

/** Frees every tensor of a loaded checkpoint that is not handed on (a resume that stops early, a test's read). */
export function disposeLoadedCheckpoint(checkpoint: LoadedCheckpoint): void {
  checkpoint.model.dispose();
  tf.dispose([
    ...checkpoint.optimizerSlots.map((slot) => slot.tensor), ...(checkpoint.carried?.layers.flat() ?? []), ...(checkpoint.best ?? []),
    ...(checkpoint.average ?? []),
  ]);
}

export function hasCheckpoint(runDir: string): boolean {
  return resolveDirectory(runPaths(runDir).checkpoint) !== null;
}

export function loadCheckpoint(runDir: string): LoadedCheckpoint {
  const dir = resolveDirectory(runPaths(runDir).checkpoint);
  if (!dir) throw new ModelFileError(`nothing to resume in ${runDir}: it has no checkpoint/ directory`);
  const json = readJsonOrFail<CheckpointJson>(path.join(dir, 'checkpoint.json'));
  if (json.format !== CHECKPOINT_FORMAT || json.version !== FORMAT_VERSION) {
    throw new ModelFileError(`${dir}/checkpoint.json is not a ${CHECKPOINT_FORMAT} v${FORMAT_VERSION} file`);
  }
  const vocab = Vocabulary.fromJSON(readJsonOrFail(path.join(dir, 'vocab.json')));
  if (vocab.fingerprint !== json.vocabFingerprint) throw new ModelFileError(`${dir}: vocab.json does not match the checkpoint`);
  const source = `${dir}/checkpoint.json`;
  try {
    validateModelConfig(json.modelConfig);
  } catch (error) {
    throw new ModelFileError(`${source}: ${(error as Error).message}`);
  }
  const weightCount = LanguageModel.weightCount(json.modelConfig);
  if (manifestElements(dir, json.weights, source) !== weightCount) {
    throw new ModelFileError(`${source}: the weights do not have the ${weightCount} numbers the model configuration needs: the checkpoint is corrupted`);
  }
  const saved = decodeBundle(dir, json.weights, source, json.checksums);
  const model = new LanguageModel(json.modelConfig);
  assignWeights(model, saved, dir);
  const slots = decodeBundle(dir, json.optimizer, source, json.checksums);
  const optimizerSlots = Object.keys(slots).map((name) => ({ name, tensor: slots[name] }));
  const stateTensors = decodeBundle(dir, json.state, source, json.checksums);
  const carried = json.stateLayout.length === 0 ? null : {
    layers: json.stateLayout.map((count, k) =>
      Array.from({ length: count }, (_, j) => stateTensors[`layer${k}/state${j}`] as tf.Tensor2D)),
  };
  let average: tf.Tensor[] | null = null;
  if (json.average) {
    const averaged = decodeBundle(dir, json.average, source, json.checksums);
    average = model.namedWeights().map((w) => averaged[w.name]);
  }
  let best: tf.Tensor[] | null = null;
  if (resolveDirectory(runPaths(runDir).model)) {
    const saved = loadModel(runPaths(runDir).model);
    best = saved.model.variables().map((v) => tf.keep(tf.clone(v)));
    saved.model.dispose();
  }
  // Settings and progress fields newer than the checkpoint take their defaults (regularisers off, no averaging;
  // an epoch in progress was trained so far on a CPU that was not recorded).
  const { progress } = json;
  return {
    model, vocab, trainConfig: { ...toTrainConfig(DEFAULT_HYPER), ...json.trainConfig }, corpus: json.corpus,
    progress: { ...progress, averaging: progress.averaging ?? null, epochCpus: progress.epochCpus ?? (progress.batch > 0 ? [CPU_NOT_RECORDED] : []) },
    optimizerSlots, carried, best, average,
  };
}
