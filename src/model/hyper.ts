import * as fs from 'fs';
import * as path from 'path';
import { CellKind, InitKind } from '../cells';
import { DropoutKind } from '../layers/dropout';
import { PACKAGE_ROOT } from '../package';
import { OptimizerName } from '../train/optimizers';
import { ScheduleName } from '../train/schedule';
import { TrainConfig } from '../train/trainer';
import { ConfigError, ModelConfig, validateModelConfig } from './config';

/**
 * Every knob of a run, flat, as the CLI flags and the preset files spell them. `dropout` sets the input,
 * between-layer and output rates at once (as PyTorch's word_language_model does); the specific rates
 * override it.
 */
export interface HyperParameters {
  cell: CellKind;
  layers: number;
  /** One size for every layer, or one per layer. */
  hidden: number | number[];
  embedding: number;
  tied: boolean;
  dropout: number;
  dropoutKind: DropoutKind;
  dropoutInput: number | null;
  dropoutHidden: number | null;
  dropoutOutput: number | null;
  dropoutRecurrent: number;
  dropoutEmbedding: number;
  init: InitKind;
  initScale: number;
  forgetBias: number;
  batchSize: number;
  bptt: number;
  epochs: number;
  optimizer: OptimizerName;
  lr: number;
  schedule: ScheduleName;
  lrDecay: number;
  decayStart: number;
  clip: number;
  seed: number;
  evalBatchSize: number;
  testBatchSize: number;
  maxBatches: number | null;
}

/** PyTorch word_language_model's defaults (2×200 LSTM, SGD lr 20, clip 0.25, batch 20, bptt 35, lr/4 on plateau). */
export const DEFAULT_HYPER: HyperParameters = {
  cell: 'lstm', layers: 2, hidden: 200, embedding: 200, tied: false,
  dropout: 0.2, dropoutKind: 'variational', dropoutInput: null, dropoutHidden: null, dropoutOutput: null,
  dropoutRecurrent: 0, dropoutEmbedding: 0,
  init: 'uniform', initScale: 0.1, forgetBias: 1,
  batchSize: 20, bptt: 35, epochs: 6, optimizer: 'sgd', lr: 20, schedule: 'plateau', lrDecay: 0.5, decayStart: 4, clip: 0.25,
  seed: 1111, evalBatchSize: 10, testBatchSize: 1, maxBatches: null,
};

export interface Preset {
  name: string;
  description: string;
  source: string;
  hyper: Partial<HyperParameters>;
}

export const PRESETS_DIR = path.join(PACKAGE_ROOT, 'models', 'presets');

export function presetNames(): string[] {
  return fs.readdirSync(PRESETS_DIR).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
}

/** Loads models/presets/NAME.json; unknown names list the known ones. */
export function loadPreset(name: string): Preset {
  const names = presetNames();
  if (!names.includes(name)) throw new ConfigError(`unknown preset "${name}": use one of ${names.join(', ')}`);
  const preset = JSON.parse(fs.readFileSync(path.join(PRESETS_DIR, `${name}.json`), 'utf8')) as Omit<Preset, 'name'>;
  return { name, ...preset };
}

function layerSizes(h: HyperParameters): number[] {
  if (Array.isArray(h.hidden)) {
    if (h.hidden.length !== h.layers) {
      throw new ConfigError(`--hidden lists ${h.hidden.length} sizes but --layers is ${h.layers}: give one size or one per layer`);
    }
    return h.hidden;
  }
  if (!Number.isInteger(h.layers) || h.layers <= 0) throw new ConfigError(`--layers must be a positive integer, got ${h.layers}`);
  return Array.from({ length: h.layers }, () => h.hidden as number);
}

export function toModelConfig(h: HyperParameters, vocabSize: number): ModelConfig {
  const config: ModelConfig = {
    cell: h.cell, vocabSize, embeddingSize: h.embedding, hiddenSizes: layerSizes(h), tied: h.tied,
    dropout: {
      input: h.dropoutInput ?? h.dropout, hidden: h.dropoutHidden ?? h.dropout, output: h.dropoutOutput ?? h.dropout,
      recurrent: h.dropoutRecurrent, embedding: h.dropoutEmbedding, kind: h.dropoutKind,
    },
    init: h.init, initScale: h.initScale, forgetBias: h.forgetBias, seed: h.seed,
  };
  validateModelConfig(config);
  return config;
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new ConfigError(message);
}

export function toTrainConfig(h: HyperParameters): TrainConfig {
  const positiveInt = (v: number | null): boolean => v !== null && Number.isInteger(v) && v > 0;
  check(positiveInt(h.batchSize), `--batch-size must be a positive integer, got ${h.batchSize}`);
  check(positiveInt(h.bptt), `--bptt must be a positive integer, got ${h.bptt}`);
  check(positiveInt(h.epochs), `--epochs must be a positive integer, got ${h.epochs}`);
  check(positiveInt(h.evalBatchSize) && positiveInt(h.testBatchSize), 'evaluation batch sizes must be positive integers');
  check(h.maxBatches === null || positiveInt(h.maxBatches), `--max-batches must be a positive integer, got ${h.maxBatches}`);
  check(['sgd', 'adam'].includes(h.optimizer), `unknown optimizer "${h.optimizer}": use sgd or adam`);
  check(['fixed', 'plateau', 'none'].includes(h.schedule), `unknown schedule "${h.schedule}": use fixed, plateau or none`);
  check(h.lr > 0 && Number.isFinite(h.lr), `--lr must be a positive number, got ${h.lr}`);
  check(h.lrDecay > 0 && h.lrDecay <= 1, `--lr-decay must be in (0, 1], got ${h.lrDecay}`);
  check(Number.isInteger(h.decayStart) && h.decayStart >= 0, `--decay-start must be a whole number ≥ 0, got ${h.decayStart}`);
  check(h.clip >= 0 && Number.isFinite(h.clip), `--clip must be ≥ 0 (0 disables clipping), got ${h.clip}`);
  check(Number.isInteger(h.seed), `--seed must be an integer, got ${h.seed}`);
  return {
    optimizer: h.optimizer, lr: h.lr, schedule: h.schedule, lrDecay: h.lrDecay, decayStart: h.decayStart, clip: h.clip,
    epochs: h.epochs, batchSize: h.batchSize, bptt: h.bptt, maxBatches: h.maxBatches, evalBatchSize: h.evalBatchSize,
    testBatchSize: h.testBatchSize, seed: h.seed,
  };
}

/** Defaults, then the preset, then explicit settings: later wins. */
export function resolveHyper(preset: string | null, explicit: Partial<HyperParameters>): HyperParameters {
  const fromPreset = preset ? loadPreset(preset).hyper : {};
  return { ...DEFAULT_HYPER, ...fromPreset, ...explicit };
}
