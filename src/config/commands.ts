import { BACKEND_CHOICES, BackendChoice, SPLIT_NAMES, SplitName } from './names';
import { OptionTable, choice, integerType, nullable, onOff, pathType, positiveInteger, positiveNumber, integer, text } from './options';

/**
 * The options of the library's entry points besides the hyper-parameters (src/config/hyper.ts): where the
 * data and the run live, which backend, what to evaluate or sample. The CLI's flags are derived from these.
 */

export interface BackendOptions {
  backend: BackendChoice;
}

export const BACKEND_OPTIONS: OptionTable<BackendOptions> = {
  backend: { type: choice(BACKEND_CHOICES), default: 'auto', description: 'math backend: auto takes tensorflow, else wasm, else cpu' },
};

export interface CorpusOptions {
  /** Corpus directory; null = the embedded Brown sample. */
  data: string | null;
  char: boolean;
  maxVocab: number | null;
}

export const CORPUS_OPTIONS: OptionTable<CorpusOptions> = {
  data: {
    type: nullable(pathType('<dir>')), default: null, defaultText: () => 'the embedded Brown sample',
    description: 'corpus directory with train/valid/test(.txt) or ptb.{train,valid,test}.txt',
  },
  char: { type: onOff, default: false, description: 'character-level tokens instead of words' },
  maxVocab: {
    type: nullable(integerType(2, 'an integer of at least 2 (room for <eos> and <unk>)')), default: null,
    defaultText: () => 'all, up to 200,000', description: 'keep the N most frequent types, map the rest to <unk>',
  },
};

export interface RunDirectoryOptions {
  /** Run directory for the best model, checkpoints and reports; null = nothing is written. */
  save: string | null;
  /** Continue the run in `save` from its last checkpoint. */
  resume: boolean;
  /** Replace an existing run in `save`. */
  force: boolean;
  /** Also checkpoint every N training batches (every epoch always). */
  checkpointEvery: number | null;
}

export const RUN_DIRECTORY_OPTIONS: OptionTable<RunDirectoryOptions> = {
  save: {
    type: nullable(pathType('<dir>')), default: null, defaultText: () => 'nothing is saved',
    description: 'run directory: best model, checkpoint, report.json/md, learning-curve.svg',
  },
  resume: { type: onOff, default: false, description: 'continue the run in --save from its last checkpoint' },
  force: { type: onOff, default: false, description: 'replace an existing run in --save' },
  checkpointEvery: {
    type: nullable(positiveInteger), default: null, defaultText: () => 'at the end of each epoch only',
    description: 'also checkpoint every N batches',
  },
};

export interface ModelDirectoryOptions {
  /** A run directory (its best model) or a model directory. */
  model: string;
}

export const MODEL_DIRECTORY_OPTIONS: OptionTable<ModelDirectoryOptions> = {
  model: { type: pathType('<dir>'), default: '', required: true, description: 'a run directory (uses its best model) or a model directory' },
};

export interface EvaluateOptions {
  data: string;
  split: SplitName;
  /** Evaluation streams; null = 1 for test, 10 otherwise (as in the literature). */
  batchSize: number | null;
  bptt: number;
}

export const EVALUATE_OPTIONS: OptionTable<EvaluateOptions> = {
  data: { type: pathType('<dir>'), default: '', required: true, description: 'corpus directory' },
  split: { type: choice(SPLIT_NAMES), default: 'test', description: 'which split' },
  batchSize: { type: nullable(positiveInteger), default: null, defaultText: () => '1 for test, 10 otherwise', description: 'evaluation streams' },
  bptt: { type: positiveInteger, default: 35, description: 'window length (does not change the result beyond float rounding)' },
};

export interface GenerateOptions {
  /** Text to start from; absent = a sentence start. */
  prime: string | null;
  /** Number of tokens to sample. */
  length: number;
  /** Softmax temperature: < 1 sharper, > 1 flatter. */
  temperature: number;
  seed: number;
}

export const GENERATE_OPTIONS: OptionTable<GenerateOptions> = {
  prime: { type: nullable(text), default: null, defaultText: () => 'a sentence start', description: 'text to start from' },
  length: { type: positiveInteger, default: 50, description: 'tokens to sample' },
  temperature: { type: positiveNumber, default: 1, description: 'softmax temperature: < 1 sharper, > 1 flatter' },
  seed: { type: integer, default: 1, description: 'random seed' },
};

export interface ReportOptions {
  /** Where to write the learning curve; null = DIR/learning-curve.svg. */
  out: string | null;
}

export const REPORT_OPTIONS: OptionTable<ReportOptions> = {
  out: { type: nullable(pathType('<file>')), default: null, defaultText: () => 'DIR/learning-curve.svg', description: 'where to write the learning curve (- for stdout)' },
};
