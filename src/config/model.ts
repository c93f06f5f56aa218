import { ConfigError } from '../errors';
import { CELL_KINDS, CellKind, DROPOUT_KINDS, DropoutKind, INIT_KINDS, InitKind } from './names';
import { positiveInteger, rate } from './options';

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
  /** DropConnect on each layer's recurrent matrix W_h (Merity et al. 2017); absent in models saved before it existed. */
  weight?: number;
  kind: DropoutKind;
}

/** The architecture of a language model, as stored in model.json and checkpoints. */
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

export const NO_DROPOUT: DropoutConfig = { input: 0, hidden: 0, output: 0, recurrent: 0, embedding: 0, weight: 0, kind: 'variational' };

/**
 * Checks a model configuration as a whole (one read from a file, or built by `toModelConfig`). The options
 * it comes from are checked one by one, with their own names, before it is built (`validateHyper`).
 */
export function validateModelConfig(config: ModelConfig): void {
  const problem = modelConfigProblem(config);
  if (problem) throw new ConfigError(`invalid model configuration: ${problem}`);
}

function modelConfigProblem(config: ModelConfig): string | null {
  if (!(CELL_KINDS as readonly string[]).includes(config.cell)) return `cell "${config.cell}" is not one of ${CELL_KINDS.join(', ')}`;
  if (!positiveInteger.accepts(config.vocabSize)) return `vocabSize ${config.vocabSize} is not a positive integer`;
  if (!positiveInteger.accepts(config.embeddingSize)) return `embeddingSize ${config.embeddingSize} is not a positive integer`;
  if (!Array.isArray(config.hiddenSizes) || config.hiddenSizes.length === 0 || !config.hiddenSizes.every((u) => positiveInteger.accepts(u))) {
    return `hiddenSizes [${config.hiddenSizes}] is not a list of positive integers`;
  }
  for (const [name, value] of Object.entries(config.dropout ?? {})) {
    if (name !== 'kind' && !rate.accepts(value)) return `dropout.${name} ${value} is not in [0, 1)`;
  }
  if (!(DROPOUT_KINDS as readonly string[]).includes(config.dropout?.kind)) return `dropout.kind "${config.dropout?.kind}" is not one of ${DROPOUT_KINDS.join(', ')}`;
  if (!(INIT_KINDS as readonly string[]).includes(config.init)) return `init "${config.init}" is not one of ${INIT_KINDS.join(', ')}`;
  if (!(config.initScale > 0)) return `initScale ${config.initScale} is not positive`;
  const last = config.hiddenSizes[config.hiddenSizes.length - 1];
  if (config.tied && last !== config.embeddingSize) return `tied weights need the last layer's size (${last}) to equal embeddingSize (${config.embeddingSize})`;
  return null;
}
