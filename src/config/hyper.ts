import { ConfigError, OptionNamer } from '../errors';
import {
  CELL_KINDS, CellKind, DROPOUT_KINDS, DropoutKind, INIT_KINDS, InitKind, OPTIMIZER_NAMES, OptimizerName, SCHEDULE_NAMES,
  ScheduleName,
} from './names';
import { ModelConfig, validateModelConfig } from './model';
import {
  OptionSpec, OptionTable, anyNumber, checkOptions, choice, factor, integer, layerSizes, nonNegativeNumber, nullable, onOff,
  positiveInteger, positiveNumber, rate, wholeNumber, withDefaults,
} from './options';

/**
 * Every knob of a training run, flat, as the preset files and the API spell them (the CLI's flags are the
 * same names in kebab case). `dropout` sets the input, between-layer and output rates at once (as PyTorch's
 * word_language_model does); the specific rates override it.
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
  weightDrop: number;
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
  weightDecay: number;
  alpha: number;
  beta: number;
  nonmono: number;
  averageAfter: number | null;
  variableBptt: boolean;
  seed: number;
  evalBatchSize: number;
  testBatchSize: number;
  maxBatches: number | null;
}

const fromDropout = (name: OptionNamer): string => name('dropout');

/**
 * The hyper-parameters: type, default and help of each. The defaults are PyTorch word_language_model's
 * (2×200 LSTM, SGD lr 20, clip 0.25, batch 20, bptt 35, lr/4 on plateau).
 */
export const HYPER_OPTIONS: OptionTable<HyperParameters> = {
  cell: { type: choice(CELL_KINDS, '<kind>'), default: 'lstm', description: 'recurrent cell' },
  layers: { type: positiveInteger, default: 2, description: 'stacked layers' },
  hidden: { type: layerSizes, default: 200, description: 'units per layer, one size or one per layer' },
  embedding: { type: positiveInteger, default: 200, description: 'embedding size' },
  tied: { type: onOff, default: false, negatable: true, description: 'tie the output projection to the embedding (Press & Wolf 2017)' },
  dropout: { type: rate, default: 0.2, description: 'input, between-layer and output dropout' },
  dropoutKind: {
    type: choice(DROPOUT_KINDS, '<kind>'), default: 'variational',
    description: 'variational: one mask per window (Gal & Ghahramani 2016); standard: per step',
  },
  dropoutInput: { type: nullable(rate), default: null, defaultText: fromDropout, description: 'dropout on the embeddings' },
  dropoutHidden: { type: nullable(rate), default: null, defaultText: fromDropout, description: 'dropout between layers' },
  dropoutOutput: { type: nullable(rate), default: null, defaultText: fromDropout, description: 'dropout before the projection' },
  dropoutRecurrent: { type: rate, default: 0, description: 'dropout on the h fed back into the cells' },
  dropoutEmbedding: { type: rate, default: 0, description: 'drop whole word types from the embedding' },
  weightDrop: {
    type: rate, default: 0,
    description: 'weight drop: DropConnect on the recurrent matrix W_h, one mask per window (Merity et al. 2017)',
  },
  init: {
    type: choice(INIT_KINDS, '<kind>'), default: 'uniform',
    description: "the cells' init: uniform(±init-scale), default (Glorot/orthogonal) or torch (PyTorch's: U(±1/√units), two biases summed)",
  },
  initScale: { type: positiveNumber, default: 0.1, description: 'uniform init half-width (the embedding and output layer always use it)' },
  forgetBias: { type: anyNumber, default: 1, description: 'initial LSTM forget-gate bias (with init torch, added to the drawn bias)' },
  batchSize: { type: positiveInteger, default: 20, description: 'parallel training streams' },
  bptt: { type: positiveInteger, default: 35, description: 'steps per window' },
  epochs: { type: positiveInteger, default: 6, resumable: true, description: 'epochs in all' },
  optimizer: { type: choice(OPTIMIZER_NAMES), default: 'sgd', description: 'optimizer' },
  lr: { type: positiveNumber, default: 20, resumable: true, description: 'learning rate (a new lr on resume restarts the schedule from it)' },
  schedule: {
    type: choice(SCHEDULE_NAMES), default: 'plateau',
    description: 'lr schedule: fixed decay per epoch, lr/4 when valid does not improve (plateau), or none',
  },
  lrDecay: { type: factor, default: 0.5, description: 'fixed schedule: factor per epoch after --decay-start' },
  decayStart: { type: wholeNumber, default: 4, description: 'fixed schedule: last epoch at the full lr' },
  clip: { type: nonNegativeNumber, default: 0.25, resumable: true, description: 'max global gradient norm, 0 = off' },
  weightDecay: { type: nonNegativeNumber, default: 0, description: 'L2 weight decay: λ·w is added to each gradient after clipping' },
  alpha: { type: nonNegativeNumber, default: 0, description: "activation regularisation (AR): α·mean(h²) of the last layer's dropped output" },
  beta: {
    type: nonNegativeNumber, default: 0,
    description: "temporal activation regularisation (TAR): β·mean((h_t − h_{t−1})²) of the last layer's output",
  },
  nonmono: {
    type: positiveInteger, default: 5,
    description: 'ntasgd: start averaging once valid is worse than the best of more than N epochs ago (Merity et al. 2017)',
  },
  averageAfter: {
    type: nullable(wholeNumber), default: null, resumable: true, defaultText: () => 'only the non-monotone trigger',
    description: "ntasgd: start averaging after this epoch at the latest, to fit a fixed epoch budget (none if ≥ epochs); 0 = from the first step, as AWD-LSTM's finetune.py does after training",
  },
  variableBptt: {
    type: onOff, default: false, negatable: true,
    description: 'variable window lengths: N(bptt, 5), N(bptt/2, 5) one time in 20, at least 5; lr scaled by length/bptt',
  },
  seed: { type: integer, default: 1111, description: 'random seed (weights, dropout masks)' },
  evalBatchSize: { type: positiveInteger, default: 10, description: 'validation streams (does not change the perplexity)' },
  testBatchSize: { type: positiveInteger, default: 1, description: 'test streams (does not change the perplexity)' },
  maxBatches: {
    type: nullable(positiveInteger), default: null, resumable: true, defaultText: () => 'the whole split',
    description: 'cap on training batches per epoch, for quick runs',
  },
};

export const DEFAULT_HYPER: HyperParameters = withDefaults(HYPER_OPTIONS, {});

/** Settings a resumed run may change; any other would silently not apply, so giving one is an error. */
export const RESUMABLE_KEYS = (Object.keys(HYPER_OPTIONS) as (keyof HyperParameters)[])
  .filter((key) => (HYPER_OPTIONS[key] as OptionSpec<unknown>).resumable);

/** The hyper-parameters the training loop reads (the rest shape the model). */
export const TRAIN_KEYS = [
  'optimizer', 'lr', 'schedule', 'lrDecay', 'decayStart', 'clip', 'epochs', 'batchSize', 'bptt', 'maxBatches', 'evalBatchSize',
  'testBatchSize', 'seed', 'weightDecay', 'alpha', 'beta', 'nonmono', 'averageAfter', 'variableBptt',
] as const satisfies readonly (keyof HyperParameters)[];
export type TrainConfig = Pick<HyperParameters, (typeof TRAIN_KEYS)[number]>;

/** Checks each value against its option and the options against each other. */
export function validateHyper(h: HyperParameters): void {
  checkOptions(HYPER_OPTIONS, h, 'hyper-parameter');
  const sizes = layerSizesOf(h);
  if (sizes.length !== h.layers) {
    throw new ConfigError((name) =>
      `${name('hidden')} lists ${sizes.length} sizes but ${name('layers')} is ${h.layers}: give one size or one per layer`);
  }
  const last = sizes[sizes.length - 1];
  if (h.tied && last !== h.embedding) {
    throw new ConfigError((name) =>
      `${name('tied')} weights need the last layer's size (${last}) to equal the embedding size (${h.embedding}): ` +
        `set ${name('embedding')} ${last} or make the last layer ${h.embedding} wide`);
  }
}

/** Defaults, then a preset's values, then explicit settings (later wins); the result is checked. */
export function combineHyper(presetHyper: Partial<HyperParameters>, explicit: Partial<HyperParameters>): HyperParameters {
  checkOptions(HYPER_OPTIONS, explicit, 'hyper-parameter');
  const defined = Object.fromEntries(Object.entries(explicit).filter(([, v]) => v !== undefined));
  const hyper = { ...DEFAULT_HYPER, ...presetHyper, ...defined } as HyperParameters;
  validateHyper(hyper);
  // Only when asked for here: a preset's averageAfter just goes unused if the optimizer is changed from ntasgd.
  if (defined.averageAfter != null && hyper.optimizer !== 'ntasgd') {
    throw new ConfigError((name) => `${name('averageAfter')} starts NT-ASGD's averaging: it needs ${name('optimizer')} ntasgd`);
  }
  return hyper;
}

function layerSizesOf(h: HyperParameters): number[] {
  return Array.isArray(h.hidden) ? h.hidden : Array.from({ length: h.layers }, () => h.hidden as number);
}

export function toModelConfig(h: HyperParameters, vocabSize: number): ModelConfig {
  const config: ModelConfig = {
    cell: h.cell, vocabSize, embeddingSize: h.embedding, hiddenSizes: layerSizesOf(h), tied: h.tied,
    dropout: {
      input: h.dropoutInput ?? h.dropout, hidden: h.dropoutHidden ?? h.dropout, output: h.dropoutOutput ?? h.dropout,
      recurrent: h.dropoutRecurrent, embedding: h.dropoutEmbedding, weight: h.weightDrop, kind: h.dropoutKind,
    },
    init: h.init, initScale: h.initScale, forgetBias: h.forgetBias, seed: h.seed,
  };
  validateModelConfig(config);
  return config;
}

export function toTrainConfig(h: HyperParameters): TrainConfig {
  return Object.fromEntries(TRAIN_KEYS.map((key) => [key, h[key]])) as TrainConfig;
}

/** Settings only one schedule or optimizer reads: under another they are kept (a resume may switch) but not in effect. */
const SETTINGS_READ_ONLY_BY: Partial<Record<keyof TrainConfig, (config: TrainConfig) => boolean>> = {
  lrDecay: (config) => config.schedule === 'fixed',
  decayStart: (config) => config.schedule === 'fixed',
  nonmono: (config) => config.optimizer === 'ntasgd',
  averageAfter: (config) => config.optimizer === 'ntasgd',
};

/** The training settings in effect: a `plateau` run's report does not list the `fixed` schedule's decay. */
export function trainSettingsInEffect(config: TrainConfig): Partial<TrainConfig> {
  return Object.fromEntries(Object.entries(config)
    .filter(([key]) => SETTINGS_READ_ONLY_BY[key as keyof TrainConfig]?.(config) ?? true)) as Partial<TrainConfig>;
}
