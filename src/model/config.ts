import { CELL_KINDS, CellKind, InitKind } from '../cells';
import { DropoutKind } from '../layers/dropout';

/** Dropout rates, each in [0, 1). */
export interface DropoutConfig {
  /** On the embeddings fed to the first layer. */
  input: number;
  /** On the outputs of each layer fed to the next. */
  hidden: number;
  /** On the last layer's output, before the projection. */
  output: number;
  /** On the h fed back into each cell's recurrent matmul. */
  recurrent: number;
  /** Whole word types dropped from the embedding matrix (Gal & Ghahramani 2016). */
  embedding: number;
  kind: DropoutKind;
}

export interface ModelConfig {
  cell: CellKind;
  vocabSize: number;
  embeddingSize: number;
  /** Units of each stacked layer, bottom first. */
  hiddenSizes: number[];
  /** Output projection = embedding matrix transposed, plus its own bias (Press & Wolf 2017; Inan et al. 2017). */
  tied: boolean;
  dropout: DropoutConfig;
  init: InitKind;
  /** Half-width of uniform init; also the embedding's init range. */
  initScale: number;
  forgetBias: number;
  seed: number;
}

export const NO_DROPOUT: DropoutConfig = { input: 0, hidden: 0, output: 0, recurrent: 0, embedding: 0, kind: 'variational' };

/** A user-facing configuration mistake: reported as one line, without a stack trace. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

function positiveInteger(value: number, what: string): void {
  if (!Number.isInteger(value) || value <= 0) throw new ConfigError(`${what} must be a positive integer, got ${value}`);
}

/** Checks a model configuration and says what to change when it is wrong. */
export function validateModelConfig(config: ModelConfig): void {
  if (!(CELL_KINDS as readonly string[]).includes(config.cell)) {
    throw new ConfigError(`unknown cell "${config.cell}": use one of ${CELL_KINDS.join(', ')}`);
  }
  positiveInteger(config.vocabSize, 'vocabulary size');
  positiveInteger(config.embeddingSize, 'embedding size');
  if (config.hiddenSizes.length === 0) throw new ConfigError('a model needs at least one layer');
  config.hiddenSizes.forEach((units, k) => positiveInteger(units, `size of layer ${k + 1}`));
  for (const [name, rate] of Object.entries(config.dropout)) {
    if (name === 'kind') continue;
    if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) throw new ConfigError(`dropout ${name} must be in [0, 1), got ${rate}`);
  }
  if (config.dropout.kind !== 'variational' && config.dropout.kind !== 'standard') {
    throw new ConfigError(`unknown dropout kind "${config.dropout.kind}": use variational or standard`);
  }
  if (!(config.initScale > 0)) throw new ConfigError(`init scale must be positive, got ${config.initScale}`);
  if (config.init !== 'uniform' && config.init !== 'default') throw new ConfigError(`unknown init "${config.init}": use uniform or default`);
  const last = config.hiddenSizes[config.hiddenSizes.length - 1];
  if (config.tied && last !== config.embeddingSize) {
    throw new ConfigError(
      `tied weights need the last layer's size (${last}) to equal the embedding size (${config.embeddingSize}): ` +
        `set --embedding ${last} or make the last layer ${config.embeddingSize} wide`);
  }
}
