import * as fs from 'fs';
import * as path from 'path';
import { EVALUATE_OPTIONS, EvaluateOptions } from '../config/commands';
import { checkOptions } from '../config/options';
import { SplitName } from '../config/names';
import { loadSplit, splitFileNames, trainingVocabulary } from '../data/corpus';
import { Vocabulary } from '../data/vocabulary';
import { ConfigError, DataError, DivergenceError, ModelFileError } from '../errors';
import { LoadedModel, loadModel } from '../model/io';
import { LanguageModel } from '../model/lm';
import { runPaths } from '../util/run-directory';
import { acquireRunLock } from '../util/run-lock';
import { CacheOptions, cachePerplexity } from './cache';
import { DynamicOptions, dynamicPerplexity } from './dynamic';
import { mcDropoutPerplexity } from './mc-dropout';
import { AdaptationScorer, STATISTICS_PASS, SettingScorer, TunableAdaptation, TuningTrial, adaptationScorer, describeSettings, tuneAdaptation } from './tune';
import { workerScorer } from './tune-workers';
import { TuningRecord, tuningIdentity } from './tune-record';
import { PassProgress, PerplexityResult, evaluatePerplexity } from './perplexity';
import { DYNAMIC_WINDOW, EVALUATION_WINDOW, dynamicRates } from './windows';

/** A test-time method computed beside the plain perplexity. */
export type Adaptation =
  | ({ method: 'dynamic' } & DynamicOptions)
  | ({ method: 'cache' } & CacheOptions)
  | { method: 'mc-dropout'; samples: number };

export interface EvaluationResult extends PerplexityResult {
  /** What was scored and how: the split, its streams and the window length. */
  split: SplitName;
  batchSize: number;
  bptt: number;
  /** The perplexity under the test-time method, when one was asked for, with the settings that produced it. */
  adapted: (PerplexityResult & Adaptation) | null;
  /** With tuning: every setting tried on the valid split and the one used. */
  tuned: { trials: TuningTrial[]; best: TunableAdaptation } | null;
}

const METHOD_KEYS = [
  'bptt', 'dynamic', 'dynamicLr', 'dynamicLambda', 'dynamicStatsWindows', 'cache', 'cacheSize', 'cacheTheta', 'cacheLambda', 'mcSamples', 'tune', 'tuneDir', 'tuneJobs',
] as const satisfies readonly (keyof EvaluateOptions)[];

const nothingToTune = (): ConfigError =>
  new ConfigError((option) => `${option('tune')} chooses the settings of ${option('dynamic')} or ${option('cache')}: ask for one of them`);

/**
 * The window length the evaluate options ask for: `bptt` as given, else Krause et al.'s `DYNAMIC_WINDOW` for
 * dynamic evaluation and `EVALUATION_WINDOW` otherwise.
 */
export function evaluationWindow(options: Pick<EvaluateOptions, 'bptt' | 'dynamic'>): number {
  return options.bptt ?? (options.dynamic ? DYNAMIC_WINDOW : EVALUATION_WINDOW);
}

/**
 * The test-time method the evaluate options ask for (at most one), or null; the values are checked. Dynamic
 * evaluation's lr and λ not given are `dynamicRates` for the window (`evaluationWindow`).
 */
export function adaptationOf(options: Pick<EvaluateOptions, (typeof METHOD_KEYS)[number]>): Adaptation | null {
  checkOptions(EVALUATE_OPTIONS, Object.fromEntries(METHOD_KEYS.map((key) => [key, options[key]])));
  const asked = [options.dynamic && 'dynamic', options.cache && 'cache', options.mcSamples !== null && 'mcSamples'].filter(Boolean) as string[];
  if (asked.length > 1) {
    throw new ConfigError((option) => `${asked.map(option).join(' and ')} cannot be combined: ask for one test-time method at a time`);
  }
  if (options.tune && !options.dynamic && !options.cache) throw nothingToTune();
  if (options.tuneDir !== null && !options.tune) {
    throw new ConfigError((option) => `${option('tuneDir')} keeps the trials of ${option('tune')}: ask for ${option('tune')} too, or leave it out`);
  }
  if (options.tuneJobs > 1 && !options.tune) {
    throw new ConfigError((option) => `${option('tuneJobs')} scores the settings of ${option('tune')} at once: ask for ${option('tune')} too, or leave it out`);
  }
  if (options.dynamic) {
    const rates = dynamicRates(evaluationWindow(options));
    const { dynamicLr, dynamicLambda, dynamicStatsWindows } = options;
    return { method: 'dynamic', lr: dynamicLr ?? rates.lr, lambda: dynamicLambda ?? rates.lambda, statsWindows: dynamicStatsWindows };
  }
  if (options.cache) return { method: 'cache', size: options.cacheSize, theta: options.cacheTheta, lambda: options.cacheLambda };
  if (options.mcSamples !== null) return { method: 'mc-dropout', samples: options.mcSamples };
  return null;
}

/** What each test-time method's pass over a split is called in progress lines. */
const METHOD_NAMES: Record<Adaptation['method'], string> = { dynamic: 'dynamic evaluation', cache: 'cache', 'mc-dropout': 'MC dropout' };
const methodPass = (method: Adaptation['method'], split: string): string => `${METHOD_NAMES[method]} on ${split}`;

/**
 * The perplexity of `ids` under a test-time method; dynamic evaluation reads the training split too. `onPass`
 * hears each pass as it starts, named with `split` (what `ids` is).
 */
export function adaptedPerplexity(
  model: LanguageModel, ids: Int32Array, batchSize: number, bptt: number, adaptation: Adaptation, train: () => Int32Array,
  split = 'the split', onPass: PassProgress = () => undefined,
): PerplexityResult {
  const pass = methodPass(adaptation.method, split);
  switch (adaptation.method) {
    case 'dynamic':
      return dynamicPerplexity(model, ids, train(), batchSize, bptt, adaptation, { onStatsWindow: onPass(STATISTICS_PASS), onWindow: onPass(pass) });
    case 'cache':
      return cachePerplexity(model, ids, batchSize, bptt, adaptation, onPass(pass));
    case 'mc-dropout':
      return mcDropoutPerplexity(model, ids, batchSize, bptt, adaptation.samples, { onWindow: onPass(pass) });
  }
}

/** A run directory (its best model in model/) or a model directory itself. */
export function loadModelFromDirectory(dir: string): LoadedModel {
  if (!fs.existsSync(dir)) throw new ModelFileError(`no model at ${dir}: the directory does not exist`);
  const inRun = runPaths(dir).model;
  return loadModel(fs.existsSync(path.join(dir, 'model.json')) ? dir : inRun);
}

/**
 * Perplexity of a saved model on one split of a corpus directory, and with `adaptation` also under a
 * test-time method (dynamic evaluation, the cache pointer or MC dropout); with `tuning`, that method's settings
 * are first chosen on the valid split (`tuneAdaptation`; with `tuning.dir`, kept there and resumed: `TuningRecord`;
 * with `tuning.jobs` above 1, that many settings at a time in worker processes: `workerScorer`)
 * and the split is scored with the best. The split is encoded with the model's own
 * vocabulary; when the directory has a training split whose vocabulary (rebuilt with the model's size limit,
 * as --max-vocab would) differs from the model's, that is an error rather than a silent re-mapping of ids; so
 * is a NaN or infinite perplexity. `onPass` names every pass over a split (for progress lines).
 */
export async function evaluateModelOnCorpus(
  model: LanguageModel, vocab: Vocabulary, dataDir: string, split: SplitName, batchSize: number, bptt: number,
  adaptation: Adaptation | null = null, tuning: { onTrial?: (trial: TuningTrial) => void; dir?: string | null; jobs?: number } | null = null,
  onPass: PassProgress = () => undefined,
): Promise<EvaluationResult> {
  if (tuning && (!adaptation || adaptation.method === 'mc-dropout')) throw nothingToTune();
  if (tuning && split === 'valid') {
    throw new ConfigError((option) => `${option('tune')} chooses the settings on the valid split; report them on another one (${option('split')} test)`);
  }
  if (splitFileNames('train').some((name) => fs.existsSync(path.join(dataDir, name)))) {
    const corpusVocab = trainingVocabulary(dataDir, { char: vocab.level === 'char', maxVocab: Math.max(vocab.size, 2) });
    if (corpusVocab.fingerprint !== vocab.fingerprint) {
      throw new DataError(
        `the model was trained on another vocabulary: its ${vocab.size} types are not those the training split of ${dataDir} gives, ` +
          'so its ids would mean other words; evaluate it on the corpus it was trained on');
    }
  }
  const ids = loadSplit(dataDir, split, vocab);
  const plain = evaluatePerplexity(model, ids, batchSize, bptt, onPass(split));
  if (!Number.isFinite(plain.perplexity)) {
    throw new ModelFileError(`the perplexity on the ${split} split is ${plain.perplexity}: the model's weights are not usable numbers ` +
      '(a corrupted file or a diverged run); evaluate a model directory from a run that finished');
  }
  const scored = { ...plain, split, batchSize, bptt };
  if (!adaptation) return { ...scored, adapted: null, tuned: null };
  let trainIds: Int32Array | null = null; // read once: a tuning's identity and its statistics both read it
  const train = (): Int32Array => (trainIds ??= loadSplit(dataDir, 'train', vocab));
  if (tuning && adaptation.method !== 'mc-dropout') {
    const valid = loadSplit(dataDir, 'valid', vocab);
    const lock = tuning.dir ? acquireRunLock(tuning.dir, `tuning ${METHOD_NAMES[adaptation.method]} on valid`, 'tuneDir') : null;
    let scorer: AdaptationScorer | null = null;
    let workers: SettingScorer | null = null;
    try {
      const record = tuning.dir ? TuningRecord.open(tuning.dir, tuningIdentity(model, valid, train, adaptation, batchSize, bptt)) : null;
      scorer = adaptationScorer(model, batchSize, bptt, train, onPass, record);
      workers = (tuning.jobs ?? 1) > 1 ? workerScorer(model, scorer, batchSize, tuning.jobs ?? 1) : null;
      const tuned = await tuneAdaptation(workers ?? scorer, valid, adaptation, batchSize, { onTrial: tuning.onTrial, onPass, record });
      workers?.dispose(); // the split's pass runs here: the workers' processes and model copies are done with
      const pass = `${methodPass(adaptation.method, split)} (${describeSettings(tuned.best)})`;
      const adapted = usable(scorer.score(ids, tuned.best, onPass(pass)), tuned.best, split, true);
      return { ...scored, adapted: { ...tuned.best, ...adapted }, tuned };
    } finally {
      workers?.dispose();
      scorer?.dispose();
      lock?.release();
    }
  }
  const adapted = usable(adaptedPerplexity(model, ids, batchSize, bptt, adaptation, train, split, onPass), adaptation, split, false);
  return { ...scored, adapted: { ...adaptation, ...adapted }, tuned: null };
}

/**
 * The adapted result, unless dynamic evaluation diverged (its steps took the weights where a perplexity
 * overflows): that is an error with what to change, not a perplexity of Infinity to report.
 */
function usable(result: PerplexityResult, adaptation: Adaptation, split: SplitName, tuned: boolean): PerplexityResult {
  if (Number.isFinite(result.perplexity) || adaptation.method !== 'dynamic') return result;
  throw new DivergenceError((option) => `dynamic evaluation diverged on the ${split} split (perplexity ${result.perplexity}) with ` +
    `${describeSettings(adaptation)}${tuned ? `, the best ${option('tune')} found on valid` : ''}: ` +
    `lower ${option('dynamicLr')}${tuned ? '' : `, or choose it on valid with ${option('tune')}`}`);
}
