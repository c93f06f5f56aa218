import * as tf from '@tensorflow/tfjs';
import { LanguageModel } from '../model/lm';
import { cachePerplexity } from './cache';
import { dynamicPerplexityWith, gradientRms } from './dynamic';
import type { Adaptation } from './evaluate';
import { PassProgress, PerplexityResult, WindowProgress } from './perplexity';
import { perWindow } from './windows';

/**
 * The settings `--tune` tries on the valid split, each method's grid around its published values. Dynamic
 * evaluation's lr and λ, for windows of `RATES_WINDOW` tokens (src/eval/windows.ts): Krause et al.'s code
 * (benkrause/dynamic-evaluation, the statistics and normaliser of src/eval/dynamic.ts) defaults to lr 0.00005, λ
 * 0.002 for 5-token windows (0.00035 and 0.014 scaled to 35) and searches lr 0.00003–0.0001 × λ 0.001–0.005
 * there; a 2×200 LSTM here chose lr 0.0005 and the λ that is 0.0125 with this normaliser. The cache's θ and λ
 * (Grave et al. 2017 choose both on valid; salesforce/awd-lstm-lm's pointer.py settled on θ 0.662, λ 0.1279 for
 * PTB; that 2×200 LSTM chose θ 2, the top of a grid that ended there, and the 2×650 `zaremba-medium` θ 0.3, the
 * bottom of θ 0.3–4, where θ 0.2 and 0.1 scored worse on valid). The cache's size stays as given. A best setting
 * at an end of its grid is followed past it (`TUNING_BEYOND`), and one still at an end of what was tried is
 * reported (`tuningEdges`).
 */
export const TUNING_GRIDS = {
  dynamic: { lr: [0.0001, 0.0002, 0.0005, 0.001], lambda: [0.002, 0.005, 0.0125, 0.03] },
  cache: { theta: [0.2, 0.3, 0.45, 0.66, 1, 1.5, 2, 3, 4], lambda: [0.05, 0.1, 0.15, 0.2] },
} as const;

/**
 * Dynamic evaluation's grid for windows of `bptt` tokens: `TUNING_GRIDS.dynamic`, written for `RATES_WINDOW`
 * tokens, at the same rates per token (`perWindow`).
 */
export function dynamicGrid(bptt: number): { lr: number[]; lambda: number[] } {
  const scaled = (grid: readonly number[]): number[] => grid.map((rate) => perWindow(rate, bptt));
  return { lr: scaled(TUNING_GRIDS.dynamic.lr), lambda: scaled(TUNING_GRIDS.dynamic.lambda) };
}

/**
 * Tuning screens the grid before it chooses (successive halving; Jamieson & Talwalkar 2016): every setting is
 * scored on the first quarter of the valid split, the four best of them on all of it, and the best of those
 * four is chosen. A batch-1 pass of dynamic evaluation over Penn Treebank's valid split takes 8–18 minutes for a
 * 2×650 LSTM on one thread (0.24–0.5 s a window, Intel Xeon family 6 model 207, by what shares its core), so its
 * 16 settings cost 16/4 + 4 = 8 passes instead of 16, and the cache's 36 cost 13 instead of 36.
 */
export const TUNING_SCREEN = { fraction: 0.25, finalists: 4 } as const;

export type TunableAdaptation = Extract<Adaptation, { method: 'dynamic' | 'cache' }>;

export interface TuningTrial {
  adaptation: TunableAdaptation;
  perplexity: number;
  /** Predicted tokens it was scored on: the screen's first part of valid, or all of valid for a finalist. */
  tokens: number;
  /** Whether this is the screen's score on the first part of valid (or a finalist's on all of it). */
  screen: boolean;
  /** Scored on all of valid past an end of the grid, where the best setting sat (`TUNING_BEYOND`). */
  beyond: boolean;
  /** Read back from the tuning's record (`--tune-dir`) rather than scored by this run. */
  resumed: boolean;
}

/** A trial as a record keeps it: whether it lay past the grid is the tuning's to say, from where it asks for it. */
export type RecordedTrial = Omit<TuningTrial, 'beyond'>;

/** Where a tuning keeps its trials and finds those an earlier run of it scored (`TuningRecord`). */
export interface TrialRecord {
  find(adaptation: TunableAdaptation, screen: boolean): RecordedTrial | null;
  add(trial: RecordedTrial): void;
}

/** Where dynamic evaluation's gradient statistics are kept between runs (`TuningRecord`). */
export interface StatisticsRecord {
  statistics(): tf.Tensor[] | null;
  saveStatistics(rms: tf.Tensor[]): void;
}

/** How many of the valid split's tokens the screen scores: its first quarter, and enough for every stream. */
export function screenLength(validLength: number, batchSize: number): number {
  return Math.min(validLength, Math.max(batchSize + 1, Math.ceil(validLength * TUNING_SCREEN.fraction)));
}

/** A test-time method's settings in one line, e.g. "lr 0.002, λ 0.02", "θ 0.66, λ 0.1", "8 samples" or "1 sample". */
export function describeSettings(adaptation: Adaptation): string {
  switch (adaptation.method) {
    case 'dynamic':
      return `lr ${adaptation.lr}, λ ${adaptation.lambda}`;
    case 'cache':
      return `θ ${adaptation.theta}, λ ${adaptation.lambda}`;
    case 'mc-dropout':
      return `${adaptation.samples} ${adaptation.samples === 1 ? 'sample' : 'samples'}`;
  }
}

/**
 * How far tuning follows the best setting past an end of its grid: while the best's value on one of its method's
 * two axes is the largest (or smallest) tried with its other value, the next value beyond it, at the grid's own
 * ratio there, is scored on all of valid, up to `steps` values past each end; λ stays below 1 (a full pull back
 * to the trained weights, or a cache that takes all the probability). `small-tied-vd-asgd`, fine-tuned, chose
 * dynamic evaluation's lr and λ both at the top of the grid; past it, lr 0.002 diverged and λ 0.072 did worse
 * (docs/results/README.md), so its choice stood, now inside what was tried.
 */
export const TUNING_BEYOND = { steps: 3, lambdaBelow: 1 } as const;

/** One of a method's two tuned settings: its name, the grid's values (for the window length), and access. */
interface TuningAxis {
  name: string;
  grid: readonly number[];
  get(setting: TunableAdaptation): number;
  with(setting: TunableAdaptation, value: number): TunableAdaptation;
  /** Values at or above it are not tried. */
  below: number;
}

function tuningAxes(method: TunableAdaptation['method'], bptt: number): [TuningAxis, TuningAxis] {
  const lambda: Omit<TuningAxis, 'grid'> = {
    name: 'λ', get: (s) => s.lambda, with: (s, value) => ({ ...s, lambda: value }), below: TUNING_BEYOND.lambdaBelow,
  };
  if (method === 'dynamic') {
    const grid = dynamicGrid(bptt);
    return [
      { name: 'lr', grid: grid.lr, get: (s) => (s.method === 'dynamic' ? s.lr : NaN), with: (s, value) => ({ ...s, lr: value }), below: Infinity },
      { ...lambda, grid: grid.lambda },
    ];
  }
  return [
    { name: 'θ', grid: TUNING_GRIDS.cache.theta, get: (s) => (s.method === 'cache' ? s.theta : NaN), with: (s, value) => ({ ...s, theta: value }), below: Infinity },
    { ...lambda, grid: TUNING_GRIDS.cache.lambda },
  ];
}

/** The tuned settings of two adaptations of one method are the same (the grid's numbers, exactly). */
export const sameSetting = (a: TunableAdaptation, b: TunableAdaptation): boolean =>
  a.method === 'dynamic' && b.method === 'dynamic' ? a.lr === b.lr && a.lambda === b.lambda
    : a.method === 'cache' && b.method === 'cache' && a.theta === b.theta && a.lambda === b.lambda;

/**
 * The values an axis may take: its grid, with `TUNING_BEYOND.steps` values past each end that continue the grid's
 * ratio there (to three significant digits, as the grid's are: src/eval/windows.ts), those of λ below 1.
 */
function ladder(axis: TuningAxis): number[] {
  const { grid } = axis;
  const [low, high] = [grid[0], grid[grid.length - 1]];
  const steps = Array.from({ length: TUNING_BEYOND.steps }, (_, k) => k + 1);
  const down = steps.map((k) => low / (grid[1] / low) ** k).reverse();
  const up = steps.map((k) => high * (high / grid[grid.length - 2]) ** k);
  const rounded = (values: number[]): number[] => values.map((v) => Number(v.toPrecision(3)));
  return [...rounded(down), ...grid, ...rounded(up)].filter((v) => v < axis.below);
}

/** Whether `best`'s value on `axis` is the largest (+1) or smallest (−1) of those tried with its other value. */
function atEnd(
  axis: TuningAxis, other: TuningAxis, best: TunableAdaptation, trials: readonly TuningTrial[], direction: 1 | -1,
): boolean {
  const value = axis.get(best);
  const tried = [...axis.grid, ...trials.filter((t) => other.get(t.adaptation) === other.get(best)).map((t) => axis.get(t.adaptation))];
  return tried.every((v) => direction * (v - value) <= 0);
}

/** Each axis with the other, in the method's order. */
function axisPairs(method: TunableAdaptation['method'], bptt: number): [TuningAxis, TuningAxis][] {
  const [first, second] = tuningAxes(method, bptt);
  return [[first, second], [second, first]];
}

/**
 * The settings past an end of the grid to score next for `best`, given the trials so far (`TUNING_BEYOND`): on
 * each axis where it is the largest (or smallest) tried with its other value, the next value of the axis's
 * `ladder` beyond it, if there is one.
 */
export function settingsBeyond(best: TunableAdaptation, trials: readonly TuningTrial[], bptt: number): TunableAdaptation[] {
  return axisPairs(best.method, bptt).flatMap(([axis, other]) => {
    const values = ladder(axis);
    const at = values.indexOf(axis.get(best));
    return ([1, -1] as const)
      .filter((direction) => at >= 0 && values[at + direction] !== undefined && atEnd(axis, other, best, trials, direction))
      .map((direction) => axis.with(best, values[at + direction]));
  });
}

/**
 * The best setting's values that are still the largest or smallest tried with its other value (its grid's, or
 * past it as far as `TUNING_BEYOND` goes), e.g. "θ 9.48 is the largest tried".
 */
export function tuningEdges(best: TunableAdaptation, trials: readonly TuningTrial[], bptt: number): string[] {
  return axisPairs(best.method, bptt).flatMap(([axis, other]) => {
    const value = axis.get(best);
    if (atEnd(axis, other, best, trials, 1)) return [`${axis.name} ${value} is the largest tried`];
    if (atEnd(axis, other, best, trials, -1)) return [`${axis.name} ${value} is the smallest tried`];
    return [];
  });
}

/** Every setting of the method's grid (for windows of `bptt` tokens), in the given adaptation's other values. */
export function tuningCandidates(adaptation: TunableAdaptation, bptt: number): TunableAdaptation[] {
  const [first, second] = tuningAxes(adaptation.method, bptt);
  return first.grid.flatMap((a) => second.grid.map((b) => second.with(first.with(adaptation, a), b)));
}

/**
 * Scores a split under settings of one method: `jobs` of them at once (1 for `adaptationScorer`, which scores in
 * this process; more for `workerScorer`'s processes).
 */
export interface SettingScorer {
  /** The window length it scores with. */
  readonly bptt: number;
  /** How many settings `tuneAdaptation` may have it score at once. */
  readonly jobs: number;
  score(ids: Int32Array, setting: TunableAdaptation, onWindow?: WindowProgress): PerplexityResult | Promise<PerplexityResult>;
  /** Frees what the settings share (and stops the processes of a `workerScorer`). */
  dispose(): void;
}

/** A `SettingScorer` in this process, sharing dynamic evaluation's gradient statistics between the settings. */
export interface AdaptationScorer extends SettingScorer {
  readonly jobs: 1;
  score(ids: Int32Array, setting: TunableAdaptation, onWindow?: WindowProgress): PerplexityResult;
  /** Dynamic evaluation's gradient RMS for `setting`'s statistics windows: gathered (or read back) on first use, then kept. */
  statistics(setting: Extract<TunableAdaptation, { method: 'dynamic' }>): tf.Tensor[];
}

/** The pass over the training split that gathers dynamic evaluation's gradient statistics. */
export const STATISTICS_PASS = 'gradient statistics on train';

/**
 * A scorer of settings of one method: dynamic evaluation's gradient statistics are gathered from the training
 * split (the first dynamic setting's `statsWindows` windows) on the first score and shared by all later ones,
 * so tuning and the final score take one pass over the training split between them, not one each. With a
 * `record`, statistics it holds are used instead of that pass, and those gathered are recorded.
 */
export function adaptationScorer(
  model: LanguageModel, batchSize: number, bptt: number, train: () => Int32Array, onPass: PassProgress = () => undefined,
  record: StatisticsRecord | null = null,
): AdaptationScorer {
  let rms: tf.Tensor[] | null = null;
  const statistics = (setting: Extract<TunableAdaptation, { method: 'dynamic' }>): tf.Tensor[] => {
    if (rms) return rms;
    const recorded = record?.statistics();
    if (recorded) return (rms = recorded);
    rms = gradientRms(model, train(), bptt, setting.statsWindows, onPass(STATISTICS_PASS));
    record?.saveStatistics(rms);
    return rms;
  };
  return {
    bptt,
    jobs: 1,
    statistics,
    score(ids, setting, onWindow) {
      if (setting.method === 'cache') return cachePerplexity(model, ids, batchSize, bptt, setting, onWindow);
      return dynamicPerplexityWith(model, ids, statistics(setting), batchSize, bptt, setting, onWindow);
    },
    dispose() {
      if (rms) tf.dispose(rms);
      rms = null;
    },
  };
}

/**
 * Chooses a test-time method's settings on `valid` (its grid for the scorer's window length, `tuningCandidates`,
 * screened as `TUNING_SCREEN` says): the finalist with the lowest adapted perplexity on all of valid, followed past
 * an end of the grid while it sits there (`TUNING_BEYOND`). Ties go to the earlier in grid order, and past the
 * grid to the setting already chosen; a setting whose perplexity is not a number (it diverged) is never preferred.
 * `onTrial` hears each result as it comes, `onPass` each trial's pass as it starts. `batchSize` is the scorer's,
 * so that the screen gives each stream a token to predict. With a `record`, a trial it holds is taken from it
 * instead of scored again, and each trial scored is added to it as it finishes.
 */
export async function tuneAdaptation(
  scorer: SettingScorer, valid: Int32Array, adaptation: TunableAdaptation, batchSize: number,
  { onTrial = () => undefined, onPass = () => undefined, record = null }: {
    onTrial?: (trial: TuningTrial) => void; onPass?: PassProgress; record?: TrialRecord | null;
  } = {},
): Promise<{ best: TunableAdaptation; trials: TuningTrial[] }> {
  const trial = async (candidate: TunableAdaptation, ids: Int32Array, screen: boolean, beyond = false): Promise<TuningTrial> => {
    const recorded = record?.find(candidate, screen);
    let result: TuningTrial;
    if (recorded) result = { ...recorded, beyond };
    else {
      const pass = `tune ${describeSettings(candidate)} on valid (${screen ? 'screen' : beyond ? 'beyond the grid' : 'finalist'})`;
      const { perplexity, tokens } = await scorer.score(ids, candidate, onPass(pass));
      result = { adaptation: candidate, perplexity, tokens, screen, beyond, resumed: false };
      record?.add(result);
    }
    onTrial(result);
    return result;
  };
  const lowest = (trials: TuningTrial[]): TuningTrial[] =>
    trials.map((t, order) => ({ t, order })).sort((a, b) => rank(a.t) - rank(b.t) || a.order - b.order).map(({ t }) => t);
  const screenIds = valid.subarray(0, screenLength(valid.length, batchSize));
  const screened = await inTurn(tuningCandidates(adaptation, scorer.bptt), scorer.jobs, (candidate) => trial(candidate, screenIds, true));
  const finalists = lowest(screened).slice(0, TUNING_SCREEN.finalists).map((s) => s.adaptation);
  const finals = await inTurn(finalists, scorer.jobs, (candidate) => trial(candidate, valid, false));
  const trials = [...screened, ...finals];
  let best = lowest(finals)[0];
  let next = settingsBeyond(best.adaptation, trials, scorer.bptt);
  while (next.length > 0) {
    const scored = await inTurn(next, scorer.jobs, (candidate) => trial(candidate, valid, false, true));
    trials.push(...scored);
    best = lowest([best, ...scored])[0];
    next = settingsBeyond(best.adaptation, trials, scorer.bptt);
  }
  return { best: best.adaptation, trials };
}

/**
 * `work` on every item, at most `jobs` at a time, taken in order; the results in the items' order. One at a
 * time, each item's work (its trial recorded and heard) is done before the next starts. After a failure no
 * further item is started, and the first failure is what it rejects with.
 */
async function inTurn<T, R>(items: readonly T[], jobs: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failed = false;
  const runner = async (): Promise<void> => {
    while (next < items.length && !failed) {
      const k = next++;
      try {
        results[k] = await work(items[k]);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, items.length) }, runner));
  return results;
}

/** A perplexity to sort by: a diverged setting (NaN or infinite) after every finite one. */
const rank = (trial: TuningTrial): number => (Number.isFinite(trial.perplexity) ? trial.perplexity : Infinity);
