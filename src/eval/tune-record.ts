import * as tf from '@tensorflow/tfjs';
import * as fs from 'fs';
import * as path from 'path';
import { ConfigError, ModelFileError } from '../errors';
import { LanguageModel } from '../model/lm';
import { cleanLeftovers, writeFileAtomically } from '../util/atomic-files';
import { runPaths } from '../util/run-directory';
import { sha256 } from '../util/sha256';
import { RecordedTrial, TunableAdaptation, sameSetting } from './tune';

/**
 * A tuning's trials, and dynamic evaluation's gradient statistics, kept in a directory as they are computed (its
 * user holds the directory's lock, `acquireRunLock`, as training holds a run's), so
 * that `--tune` started again with the same directory scores only what is still missing: a 5-token tuning of a
 * medium model on one thread is hours of batch-1 passes (README, Test-time methods). `tuning.json` is rewritten
 * whole after every trial (a temporary file, fsynced, checked and renamed, as checkpoints are), so a kill or a full
 * disk leaves the trials recorded before it. It also names what the trials depend on besides their settings: a
 * directory written for another model, split, window or method is refused instead of mixed in.
 */
export const TUNING_FILE = 'tuning.json';
export const STATISTICS_FILE = 'gradient-rms.bin';
const FORMAT = 'tfjs-rnnlm tuning 1';

/** What a tuning's trials depend on besides their own settings. */
export interface TuningIdentity {
  method: TunableAdaptation['method'];
  /** SHA-256 of the model's weights (names, shapes and values). */
  model: string;
  /** SHA-256 of the valid split's ids, and of the training split's where dynamic evaluation reads it (else null). */
  valid: string;
  train: string | null;
  batchSize: number;
  bptt: number;
  /** The method's settings that tuning keeps: the statistics' windows, or the cache's size. */
  kept: Record<string, number | null>;
}

interface StoredTrial {
  adaptation: TunableAdaptation;
  /** null: the setting diverged (NaN or infinite, which JSON cannot hold). */
  perplexity: number | null;
  tokens: number;
  screen: boolean;
}

interface TuningFile {
  format: string;
  identity: TuningIdentity;
  trials: StoredTrial[];
  /** The gradient RMS in STATISTICS_FILE: each tensor's shape, and the file's SHA-256. */
  statistics: { shapes: number[][]; sha256: string } | null;
}

const bytesOf = (values: ArrayBufferView): Uint8Array => new Uint8Array(values.buffer, values.byteOffset, values.byteLength);

/** The identity of a tuning of `adaptation` on `valid` (and `train` for dynamic evaluation). */
export function tuningIdentity(
  model: LanguageModel, valid: Int32Array, train: () => Int32Array, adaptation: TunableAdaptation, batchSize: number, bptt: number,
): TuningIdentity {
  const weights = sha256(...model.variables().flatMap((v) => [`${v.name}:${v.shape.join('x')}`, bytesOf(v.dataSync() as Float32Array)]));
  const dynamic = adaptation.method === 'dynamic';
  return {
    method: adaptation.method, model: weights, valid: sha256(bytesOf(valid)), train: dynamic ? sha256(bytesOf(train())) : null, batchSize, bptt,
    kept: dynamic ? { statsWindows: adaptation.statsWindows } : { size: adaptation.size },
  };
}

/** The first difference between two identities, in words, or null when they are the same. */
function difference(recorded: TuningIdentity, wanted: TuningIdentity): string | null {
  if (recorded.method !== wanted.method) return `it tuned ${recorded.method}, not ${wanted.method}`;
  if (recorded.model !== wanted.model) return 'it tuned another model (other weights)';
  if (recorded.valid !== wanted.valid) return 'its valid split was another text';
  if (recorded.train !== wanted.train) return 'its training split (the gradient statistics) was another text';
  for (const key of ['batchSize', 'bptt'] as const) {
    if (recorded[key] !== wanted[key]) return `its ${key} was ${recorded[key]}, not ${wanted[key]}`;
  }
  for (const [key, value] of Object.entries(wanted.kept)) {
    if (recorded.kept[key] !== value) return `its ${key} was ${recorded.kept[key] ?? 'all'}, not ${value ?? 'all'}`;
  }
  return null;
}

export class TuningRecord {
  private constructor(private readonly dir: string, private readonly file: TuningFile) {}

  /**
   * The record in `dir` (created when missing) for a tuning of `identity`, whose caller holds the directory's
   * lock; an existing record of another tuning, or one that cannot be read, is an error that leaves it as it is.
   */
  static open(dir: string, identity: TuningIdentity): TuningRecord {
    const file = path.join(dir, TUNING_FILE);
    if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory()) throw new ConfigError((option) => `${option('tuneDir')} ${dir} is a file, not a directory`);
    for (const name of [TUNING_FILE, STATISTICS_FILE]) cleanLeftovers(path.join(dir, name)); // what killed writes left
    if (!fs.existsSync(file)) {
      // Its own files may be there without tuning.json: the lock (and what a takeover set aside), the statistics
      // of a run killed before its first trial, the temporary copies of a killed write.
      const own = [path.basename(runPaths(dir).lock), TUNING_FILE, STATISTICS_FILE];
      if (fs.existsSync(dir) && fs.readdirSync(dir).some((entry) => !own.some((name) => entry.startsWith(name)))) {
        throw new ConfigError((option) => `${option('tuneDir')} ${dir} is not empty and holds no ${TUNING_FILE}: give a new or empty directory`);
      }
      return new TuningRecord(dir, { format: FORMAT, identity, trials: [], statistics: null });
    }
    let stored: TuningFile;
    try {
      stored = JSON.parse(fs.readFileSync(file, 'utf8')) as TuningFile;
    } catch (error) {
      throw new ModelFileError(`${file} cannot be read (${(error as Error).message}): remove it to tune from the start`);
    }
    if (stored?.format !== FORMAT || !Array.isArray(stored.trials) || typeof stored.identity !== 'object') {
      throw new ModelFileError(`${file} is not a tuning record of this version: remove it to tune from the start`);
    }
    const differs = difference(stored.identity, identity);
    if (differs) {
      throw new ConfigError((option) => `${option('tuneDir')} ${dir} holds another tuning (${differs}): give another directory, or remove it to tune from the start`);
    }
    return new TuningRecord(dir, stored);
  }

  /** The recorded trial of `adaptation`'s setting on the screen's part of valid or on all of it, if any. */
  find(adaptation: TunableAdaptation, screen: boolean): RecordedTrial | null {
    const found = this.file.trials.find((t) => t.screen === screen && sameSetting(t.adaptation, adaptation));
    return found ? { ...found, adaptation, perplexity: found.perplexity ?? NaN, resumed: true } : null;
  }

  /** Records a trial just scored. */
  add(trial: RecordedTrial): void {
    const { adaptation, perplexity, tokens, screen } = trial;
    this.file.trials.push({ adaptation, perplexity: Number.isFinite(perplexity) ? perplexity : null, tokens, screen });
    this.save();
  }

  /** The recorded gradient RMS as tensors (the caller disposes them), or null when none is recorded. */
  statistics(): tf.Tensor[] | null {
    const recorded = this.file.statistics;
    if (!recorded) return null;
    const file = path.join(this.dir, STATISTICS_FILE);
    const bytes = fs.existsSync(file) ? fs.readFileSync(file) : null;
    if (!bytes || sha256(bytes) !== recorded.sha256) return null; // gathered again, and recorded again
    // As a model's weights are read (src/model/io.ts): float32 tensors one after another, described by specs.
    const specs = recorded.shapes.map((shape, k): tf.io.WeightsManifestEntry => ({ name: String(k), shape, dtype: 'float32' }));
    const tensors = tf.io.decodeWeights(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length), specs);
    return specs.map(({ name }) => tensors[name]);
  }

  /** Records the gradient RMS: its values first, then the file that names them. */
  saveStatistics(rms: tf.Tensor[]): void {
    const parts = rms.map((r) => Buffer.from(bytesOf(r.dataSync() as Float32Array)));
    const bytes = Buffer.concat(parts);
    writeFileAtomically(path.join(this.dir, STATISTICS_FILE), bytes);
    this.file.statistics = { shapes: rms.map((r) => r.shape), sha256: sha256(bytes) };
    this.save();
  }

  private save(): void {
    writeFileAtomically(path.join(this.dir, TUNING_FILE), `${JSON.stringify(this.file, null, 1)}\n`);
  }
}
