import { BACKEND_CHOICES, BackendChoice, KERNEL_CHOICES, KernelChoice, PRECISIONS, Precision, SPLIT_NAMES, SplitName } from './names';
import { DYNAMIC_RATES, DYNAMIC_WINDOW, EVALUATION_WINDOW, RATES_WINDOW, dynamicRates } from '../eval/windows';
import {
  OptionTable, choice, factor, integerType, nonNegativeNumber, nullable, onOff, pathType, positiveInteger, positiveNumber, integer, rate, text,
} from './options';

/**
 * The options of the library's entry points besides the hyper-parameters (src/config/hyper.ts): where the
 * data and the run live, which backend, what to evaluate or sample. The CLI's flags are derived from these.
 */

/** Where and how the math runs. Precision and threads are fixed for a process once the native library starts. */
export interface BackendOptions {
  backend: BackendChoice;
  precision: Precision;
  /** TensorFlow's intra-op threads; null = its default (all cores). */
  threads: number | null;
  kernel: KernelChoice;
  /** Let TensorFlow's C library print its own start-up lines on stderr (they are silenced otherwise). */
  verbose: boolean;
}

export const BACKEND_OPTIONS: OptionTable<BackendOptions> = {
  backend: { type: choice(BACKEND_CHOICES), default: 'auto', description: 'math backend: auto takes tensorflow, else wasm, else cpu' },
  precision: {
    type: choice(PRECISIONS), default: 'fp32',
    description: 'matmul arithmetic: bf16 = bfloat16 products, float32 sums (native backend on CPUs with AMX/AVX512-BF16; with weight drop, float32: bf16 trained awd-medium 8-10% worse)',
  },
  threads: {
    type: nullable(positiveInteger), default: null, defaultText: () => "TensorFlow's own (all cores)",
    description: 'intra-op threads of the native backend',
  },
  kernel: {
    type: choice(KERNEL_CHOICES), default: 'auto',
    description: "recurrent time loop: oneDNN's LSTM primitive or TensorFlow's fused cells where they compute the same thing, our explicit equations, or auto (the fastest measured)",
  },
  verbose: {
    type: onOff, default: false,
    description: "show TensorFlow's own start-up lines (oneDNN, CPU features) on stderr; the CLI also prints an error's stack",
  },
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

export interface FineTuneOptions {
  /** A trained model (or run directory) to start from; its architecture and vocabulary are kept. */
  initFrom: string | null;
}

export const FINE_TUNE_OPTIONS: OptionTable<FineTuneOptions> = {
  initFrom: {
    type: nullable(pathType('<dir>')), default: null, defaultText: () => 'new weights',
    description: 'start from this trained model (or run directory) with its vocabulary locked: fine-tuning on a new corpus',
  },
};

export interface TensorBoardOptions {
  /** Directory for TensorBoard event files; null = none are written. */
  tensorboard: string | null;
  /** Write the training loss every N batches. */
  tensorboardEvery: number;
}

export const TENSORBOARD_OPTIONS: OptionTable<TensorBoardOptions> = {
  tensorboard: {
    type: nullable(pathType('<dir>')), default: null, defaultText: () => 'none',
    description: 'write TensorBoard event files there (loss, perplexity, lr, gradient norm, words/s, weight histograms); needs the tensorflow backend',
  },
  tensorboardEvery: { type: positiveInteger, default: 10, description: 'TensorBoard: training scalars every N batches' },
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
  /** Tokens a window; null = `DYNAMIC_WINDOW` with dynamic evaluation, else `EVALUATION_WINDOW` (`evaluationWindow`). */
  bptt: number | null;
  /** Dynamic evaluation (Krause et al. 2018): a gradient step on each window after scoring it. */
  dynamic: boolean;
  /** Step size and decay; null = `DYNAMIC_RATES` scaled to the window (`dynamicRates`). */
  dynamicLr: number | null;
  dynamicLambda: number | null;
  dynamicStatsWindows: number | null;
  /** Continuous cache pointer (Grave et al. 2017) over the last `cacheSize` hidden states. */
  cache: boolean;
  cacheSize: number;
  cacheTheta: number;
  cacheLambda: number;
  /** Monte-Carlo dropout: the probabilities averaged over this many passes with dropout on; null = off. */
  mcSamples: number | null;
  /** Choose the dynamic evaluation's or the cache's settings on the valid split first (src/eval/tune.ts). */
  tune: boolean;
  /** Keep the tuning's trials (and gradient statistics) here, and take those it already holds; null = keep none. */
  tuneDir: string | null;
  /** Settings scored at once while tuning, each in a worker process of its own (src/eval/tune-workers.ts). */
  tuneJobs: number;
}

export const EVALUATE_OPTIONS: OptionTable<EvaluateOptions> = {
  data: { type: pathType('<dir>'), default: '', required: true, description: 'corpus directory' },
  split: { type: choice(SPLIT_NAMES), default: 'test', description: 'which split' },
  batchSize: { type: nullable(positiveInteger), default: null, defaultText: () => '1 for test, 10 otherwise', description: 'evaluation streams' },
  bptt: {
    type: nullable(positiveInteger), default: null,
    defaultText: (option) => `${EVALUATION_WINDOW}; ${DYNAMIC_WINDOW} with ${option('dynamic')}, as Krause et al. step`,
    // The plain and cache scores carry the state across windows exactly; the other two act once per window.
    description: 'window length: the plain and cache perplexities do not depend on it beyond float rounding; dynamic evaluation steps once a window, MC dropout draws its masks once a window',
  },
  dynamic: { type: onOff, default: false, description: 'also dynamic evaluation: a step on each window after scoring it (Krause et al. 2018)' },
  dynamicLr: {
    type: nullable(positiveNumber), default: null,
    defaultText: (option) => `${DYNAMIC_RATES.lr} × ${option('bptt')}/${RATES_WINDOW}, ${dynamicRates(DYNAMIC_WINDOW).lr} at ${DYNAMIC_WINDOW} tokens`,
    description: 'dynamic evaluation: step size of the RMS-normalised update',
  },
  dynamicLambda: {
    type: nullable(nonNegativeNumber), default: null,
    defaultText: (option) => `${DYNAMIC_RATES.lambda} × ${option('bptt')}/${RATES_WINDOW}, ${dynamicRates(DYNAMIC_WINDOW).lambda} at ${DYNAMIC_WINDOW} tokens`,
    description: 'dynamic evaluation: decay back to the trained weights',
  },
  dynamicStatsWindows: {
    type: nullable(positiveInteger), default: null, defaultText: () => 'the whole training split',
    description: 'dynamic evaluation: training windows that estimate the gradient RMS',
  },
  cache: { type: onOff, default: false, description: 'also the continuous cache pointer (Grave et al. 2017)' },
  cacheSize: { type: positiveInteger, default: 500, description: 'cache: hidden states remembered (N)' },
  cacheTheta: { type: positiveNumber, default: 1, description: 'cache: θ, the sharpness of its attention' },
  cacheLambda: { type: rate, default: 0.1, description: 'cache: λ, its share of the probability' },
  mcSamples: {
    type: nullable(positiveInteger), default: null, defaultText: () => 'off',
    description: 'also Monte-Carlo dropout: average the probabilities of N passes with dropout on (Gal & Ghahramani 2016)',
  },
  tune: {
    type: onOff, default: false,
    description: "choose --dynamic's lr and λ, or --cache's θ and λ, on the valid split (a grid around the papers' values, followed past its ends), then report --split with the best",
  },
  tuneDir: {
    type: nullable(pathType('<dir>')), default: null, defaultText: () => 'none',
    description: '--tune: keep each trial (and the gradient statistics) in this directory as it finishes; run again with it, --tune skips what it holds',
  },
  tuneJobs: {
    type: positiveInteger, default: 1,
    description: "--tune: score N settings at once, each in a process of its own with --threads / N threads (a batch-1 pass is one thread's memory-bound work, which more threads hardly speed up)",
  },
};

export interface GenerateOptions {
  /** Text to start from; absent = a sentence start. */
  prime: string | null;
  /** Number of tokens to sample. */
  length: number;
  /** Softmax temperature: < 1 sharper, > 1 flatter. */
  temperature: number;
  /** Sample among the k most likely tokens only; null = all. */
  topK: number | null;
  /** Sample among the fewest most likely tokens whose probability reaches p (nucleus sampling); null = all. */
  topP: number | null;
  /** Beam search of this width for the most likely continuation instead of sampling; null = sample. */
  beam: number | null;
  /** Stop after the first `<eos>` (the end of a line) instead of always producing `length` tokens. */
  stopAtEos: boolean;
  seed: number;
}

export const GENERATE_OPTIONS: OptionTable<GenerateOptions> = {
  prime: { type: nullable(text), default: null, defaultText: () => 'a sentence start', description: 'text to start from' },
  length: { type: positiveInteger, default: 50, description: 'tokens to sample' },
  temperature: { type: positiveNumber, default: 1, description: 'softmax temperature: < 1 sharper, > 1 flatter' },
  topK: { type: nullable(positiveInteger), default: null, defaultText: () => 'all tokens', description: 'sample among the k most likely tokens only' },
  topP: {
    type: nullable(factor), default: null, defaultText: () => 'all tokens',
    description: 'nucleus sampling: among the fewest most likely tokens whose probability reaches p',
  },
  beam: {
    type: nullable(positiveInteger), default: null, defaultText: () => 'sample',
    description: 'beam search of width N: the most likely continuation instead of a sample',
  },
  stopAtEos: { type: onOff, default: false, description: 'stop at the end of the line (<eos>), at the latest after --length tokens' },
  seed: { type: integer, default: 1, description: 'random seed' },
};

export interface ExportOptions {
  /** The directory to write the web page, model, vocabulary and scripts into. */
  out: string;
  /** Replace an existing export in `out`. */
  force: boolean;
}

export const EXPORT_OPTIONS: OptionTable<ExportOptions> = {
  out: { type: pathType('<dir>'), default: '', required: true, description: 'directory for the page, the model (model.json + weights), vocab.json and scripts' },
  force: { type: onOff, default: false, description: 'replace what --out holds' },
};

export interface ServeOptions {
  /** TCP port on 127.0.0.1; 0 = any free port. */
  port: number;
}

export const SERVE_OPTIONS: OptionTable<ServeOptions> = {
  port: { type: integerType(0, 'a port number (0 = any free port)'), default: 8080, description: 'port on 127.0.0.1 (0 = any free port)' },
};

export interface ReportOptions {
  /** Where to write the learning curve; null = DIR/learning-curve.svg. */
  out: string | null;
}

export const REPORT_OPTIONS: OptionTable<ReportOptions> = {
  out: { type: nullable(pathType('<file>')), default: null, defaultText: () => 'DIR/learning-curve.svg', description: 'where to write the learning curve (- for stdout)' },
};
