import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { ModelConfig, validateModelConfig } from '../config/model';
import { Vocabulary } from '../data/vocabulary';
import { ModelFileError } from '../errors';
import { resolveDirectory, writeDirectoryAtomically } from '../util/atomic-files';
import { LanguageModel } from './lm';

/**
 * On-disk layout of a model directory (tfjs weights format: a JSON manifest + a flat little-endian .bin):
 *   model.json   format, model config, vocabulary fingerprint, weights manifest
 *   vocab.json   the vocabulary
 *   weights.bin  the weights
 * Directories are written whole into a temporary sibling and renamed into place, so a crash at any moment
 * leaves either the old or the new directory complete (see `writeDirectoryAtomically`).
 */
export const MODEL_FORMAT = 'tfjs-rnnlm-model';
export const FORMAT_VERSION = 1;

export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

export interface TensorBundle {
  manifest: tf.io.WeightsManifestConfig;
  data: Buffer;
}

/** Encodes named tensors as one tfjs weights manifest group and its binary file. */
export async function encodeBundle(tensors: NamedTensor[], file: string): Promise<TensorBundle> {
  const { data, specs } = await tf.io.encodeWeights(tensors);
  return { manifest: [{ paths: [file], weights: specs }], data: Buffer.from(data) };
}

export function decodeBundle(dir: string, manifest: tf.io.WeightsManifestConfig): tf.NamedTensorMap {
  const out: tf.NamedTensorMap = {};
  for (const group of manifest) {
    const file = path.join(dir, group.paths[0]);
    const bytes = readFileOrFail(file);
    const expected = group.weights.reduce((sum, spec) => sum + spec.shape.reduce((a, b) => a * b, 1) * 4, 0);
    if (bytes.length !== expected) {
      throw new ModelFileError(`${file} has ${bytes.length} bytes, the manifest says ${expected}: the file is truncated or corrupted`);
    }
    Object.assign(out, tf.io.decodeWeights(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length), group.weights));
  }
  return out;
}

export function readFileOrFail(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch {
    throw new ModelFileError(`cannot read ${file}: the model directory is incomplete`);
  }
}

export function readJsonOrFail<T>(file: string): T {
  const text = readFileOrFail(file).toString('utf8');
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ModelFileError(`${file} is not valid JSON: the model directory is corrupted`);
  }
}

interface ModelJson {
  format: string;
  version: number;
  modelConfig: ModelConfig;
  vocabFingerprint: string;
  weightsManifest: tf.io.WeightsManifestConfig;
}

/** The files of a model directory for `weights` (defaults to the model's current weights). */
export async function modelFiles(model: LanguageModel, vocab: Vocabulary, weights?: tf.Tensor[]): Promise<Record<string, string | Buffer>> {
  const named = model.namedWeights().map((w, k) => ({ name: w.name, tensor: weights ? weights[k] : w.variable }));
  const bundle = await encodeBundle(named, 'weights.bin');
  const json: ModelJson = {
    format: MODEL_FORMAT, version: FORMAT_VERSION, modelConfig: model.config, vocabFingerprint: vocab.fingerprint,
    weightsManifest: bundle.manifest,
  };
  return { 'model.json': JSON.stringify(json, null, 2), 'vocab.json': JSON.stringify(vocab.toJSON()), 'weights.bin': bundle.data };
}

export async function saveModel(dir: string, model: LanguageModel, vocab: Vocabulary, weights?: tf.Tensor[]): Promise<void> {
  writeDirectoryAtomically(dir, await modelFiles(model, vocab, weights));
}

export interface LoadedModel {
  model: LanguageModel;
  vocab: Vocabulary;
}

/** Assigns saved weights by name, checking that every weight is present with the right shape. */
export function assignWeights(model: LanguageModel, saved: tf.NamedTensorMap, source: string): void {
  for (const { name, variable } of model.namedWeights()) {
    const tensor = saved[name];
    if (!tensor) throw new ModelFileError(`${source} lacks the weight "${name}": the model directory is corrupted`);
    if (!tf.util.arraysEqual(tensor.shape, variable.shape)) {
      throw new ModelFileError(`${source}: weight "${name}" has shape [${tensor.shape}], the config needs [${variable.shape}]`);
    }
    variable.assign(tensor);
  }
  tf.dispose(Object.values(saved));
}

/** Loads a model directory written by `saveModel`; every failure is a one-line ModelFileError. */
export function loadModel(dir: string): LoadedModel {
  const resolved = resolveDirectory(dir);
  if (!resolved) throw new ModelFileError(`no model at ${dir}: the directory does not exist`);
  const json = readJsonOrFail<ModelJson>(path.join(resolved, 'model.json'));
  if (json.format !== MODEL_FORMAT || json.version !== FORMAT_VERSION) {
    throw new ModelFileError(`${resolved}/model.json is not a ${MODEL_FORMAT} v${FORMAT_VERSION} file`);
  }
  let vocab: Vocabulary;
  try {
    vocab = Vocabulary.fromJSON(readJsonOrFail(path.join(resolved, 'vocab.json')));
  } catch (error) {
    throw new ModelFileError(`${resolved}/vocab.json: ${(error as Error).message}`);
  }
  if (vocab.fingerprint !== json.vocabFingerprint || vocab.size !== json.modelConfig.vocabSize) {
    throw new ModelFileError(`${resolved}: vocab.json does not belong to these weights (fingerprint or size differs)`);
  }
  try {
    validateModelConfig(json.modelConfig);
  } catch (error) {
    throw new ModelFileError(`${resolved}/model.json: ${(error as Error).message}`);
  }
  const saved = decodeBundle(resolved, json.weightsManifest);
  const model = new LanguageModel(json.modelConfig);
  try {
    assignWeights(model, saved, resolved);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return { model, vocab };
}
