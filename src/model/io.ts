import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { ModelConfig, validateModelConfig } from '../config/model';
import { Vocabulary } from '../data/vocabulary';
import { ModelFileError } from '../errors';
import { resolveDirectory, writeDirectoryAtomically } from '../util/atomic-files';
import { sha256 } from '../util/sha256';
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
  /** sha256 of `data`, kept next to the manifest and checked on load. */
  checksum: string;
}

/** File name → sha256 of each binary file of a model or checkpoint directory. */
export type Checksums = Record<string, string>;

/** Encodes named tensors as one tfjs weights manifest group and its binary file. */
export async function encodeBundle(tensors: NamedTensor[], file: string): Promise<TensorBundle> {
  const { data, specs } = await tf.io.encodeWeights(tensors);
  const buffer = Buffer.from(data);
  return { manifest: [{ paths: [file], weights: specs }], data: buffer, checksum: sha256(buffer) };
}

/** Both take 4 bytes per element; nothing we write has another dtype. */
const DTYPE_BYTES: Readonly<Record<string, number>> = { float32: 4, int32: 4 };
const SPEC_KEYS = ['name', 'shape', 'dtype'];

/** Elements of a weight shape, or null when it is not a list of whole numbers with a safe product. */
function elementCount(shape: unknown): number | null {
  if (!Array.isArray(shape)) return null;
  let count = 1;
  for (const size of shape) {
    if (!Number.isSafeInteger(size) || size < 0) return null;
    count *= size;
    if (!Number.isSafeInteger(count)) return null;
  }
  return count;
}

/**
 * One weights file of a manifest, checked before anything is read or allocated: a model directory is
 * something users download, so its file must be a plain regular file inside `dir`, its specs named tensors of
 * a known dtype, and their sizes must add up to the file's size exactly.
 */
function checkedGroup(dir: string, group: unknown, source: string): { name: string; file: string; specs: tf.io.WeightsManifestEntry[]; elements: number } {
  const corrupted = (what: string): ModelFileError => new ModelFileError(`${source}: ${what}: the file is corrupted or was not written by tfjs-rnnlm`);
  const { paths, weights } = (group ?? {}) as { paths?: unknown; weights?: unknown };
  if (!Array.isArray(paths) || paths.length !== 1 || typeof paths[0] !== 'string') throw corrupted('a weights group must name exactly one file');
  const name = paths[0];
  if (name !== path.basename(name) || name === '.' || name === '..' || name.includes('\0') || name === '') {
    throw corrupted(`the weights file ${JSON.stringify(name)} is not a file name inside the model directory`);
  }
  if (!Array.isArray(weights)) throw corrupted(`the weights of ${name} are not a list`);
  let bytes = 0;
  let elements = 0;
  for (const spec of weights as Record<string, unknown>[]) {
    const count = elementCount(spec?.shape);
    const width = DTYPE_BYTES[String(spec?.dtype)];
    if (typeof spec?.name !== 'string' || count === null || width === undefined || Object.keys(spec).some((key) => !SPEC_KEYS.includes(key))) {
      throw corrupted(`${name} has a weight entry that is not {name, shape of whole numbers, dtype float32 or int32}: ${JSON.stringify(spec).slice(0, 80)}`);
    }
    bytes += count * width;
    elements += count;
  }
  const file = path.join(dir, name);
  const stats = fs.lstatSync(file, { throwIfNoEntry: false });
  if (!stats) throw new ModelFileError(`cannot read ${file}: the model directory is incomplete`);
  if (!stats.isFile()) throw corrupted(`${name} is not a regular file`);
  if (stats.size !== bytes) {
    throw new ModelFileError(`${file} has ${stats.size} bytes, the manifest says ${bytes}: the file is truncated or corrupted`);
  }
  return { name, file, specs: weights as tf.io.WeightsManifestEntry[], elements };
}

/** The groups of a manifest read from a file, which must be a list. */
function manifestGroups(manifest: unknown, source: string): unknown[] {
  if (!Array.isArray(manifest)) throw new ModelFileError(`${source}: the weights manifest is not a list: the file is corrupted`);
  return manifest;
}

/** Total elements a manifest describes, after checking each group against its file. */
export function manifestElements(dir: string, manifest: unknown, source: string): number {
  return manifestGroups(manifest, source).reduce((sum: number, group) => sum + checkedGroup(dir, group, source).elements, 0);
}

/**
 * Reads the tensors of a manifest (see `checkedGroup` for what is checked first); a file whose sha256 differs
 * from its entry in `checksums` is refused. Directories written before checksums existed have none.
 */
export function decodeBundle(dir: string, manifest: tf.io.WeightsManifestConfig, source: string, checksums?: Checksums): tf.NamedTensorMap {
  const out: tf.NamedTensorMap = {};
  for (const group of manifestGroups(manifest, source)) {
    const { name, file, specs } = checkedGroup(dir, group, source);
    const bytes = readFileOrFail(file);
    const expected = checksums?.[name];
    if (checksums && expected !== sha256(bytes)) {
      throw new ModelFileError(`${file} does not match its checksum in ${source}: the file is corrupted (copy or download it again)`);
    }
    Object.assign(out, tf.io.decodeWeights(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length), specs));
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
  /** Absent in directories written by 0.1.0. */
  checksums?: Checksums;
}

/** The files of a model directory for `weights` (defaults to the model's current weights). */
export async function modelFiles(model: LanguageModel, vocab: Vocabulary, weights?: tf.Tensor[]): Promise<Record<string, string | Buffer>> {
  const named = model.namedWeights().map((w, k) => ({ name: w.name, tensor: weights ? weights[k] : w.variable }));
  const bundle = await encodeBundle(named, 'weights.bin');
  const json: ModelJson = {
    format: MODEL_FORMAT, version: FORMAT_VERSION, modelConfig: model.config, vocabFingerprint: vocab.fingerprint,
    weightsManifest: bundle.manifest, checksums: { 'weights.bin': bundle.checksum },
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
  const source = `${resolved}/model.json`;
  const weightCount = LanguageModel.weightCount(json.modelConfig);
  const stored = manifestElements(resolved, json.weightsManifest, source);
  if (stored !== weightCount) {
    throw new ModelFileError(`${source}: the weights hold ${stored} numbers, the model configuration needs ${weightCount}: the file is corrupted`);
  }
  const saved = decodeBundle(resolved, json.weightsManifest, source, json.checksums);
  const model = new LanguageModel(json.modelConfig);
  try {
    assignWeights(model, saved, resolved);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return { model, vocab };
}
