import * as tf from '@tensorflow/tfjs';
import { LanguageModel } from '../model/lm';
import { cachePerplexity } from './cache';
import { dynamicPerplexityWith, gradientRms } from './dynamic';
import type { Adaptation } from './evaluate';
import { PerplexityResult } from './perplexity';

/**
 * The settings `--tune` tries on the valid split, each method's grid around its published values: dynamic
 * evaluation's lr and λ (Krause et al. 2018 use 0.002 and 0.02 for their PTB LSTMs; benkrause/dynamic-evaluation;
 * the grid sits lower because the statistics here are a root mean square, smaller than their root of a sum: a
 * 2×200 LSTM diverged at lr 0.002 and did best at 0.0005, the bottom of a grid that started there), the cache's
 * θ and λ (Grave et al. 2017 choose both on valid; salesforce/awd-lstm-lm's pointer.py settled on θ 0.662,
 * λ 0.1279 for PTB; that 2×200 LSTM chose θ 2, the top of a grid that ended there). The cache's size stays as
 * given. A best setting at an end of its grid is reported (`gridEdges`): a wider grid might do better.
 */
export const TUNING_GRIDS = {
  dynamic: { lr: [0.0001, 0.0002, 0.0005, 0.001], lambda: [0.01, 0.03, 0.1, 0.3] },
  cache: { theta: [0.3, 0.66, 1, 1.5, 2, 3, 4], lambda: [0.05, 0.1, 0.15, 0.2] },
} as const;

export type TunableAdaptation = Extract<Adaptation, { method: 'dynamic' | 'cache' }>;

export interface TuningTrial {
  adaptation: TunableAdaptation;
  perplexity: number;
}

/** A tuned setting in one line, e.g. "lr 0.002, λ 0.02" or "θ 0.66, λ 0.1". */
export function describeSettings(adaptation: TunableAdaptation): string {
  return adaptation.method === 'dynamic' ? `lr ${adaptation.lr}, λ ${adaptation.lambda}` : `θ ${adaptation.theta}, λ ${adaptation.lambda}`;
}

/** The best setting's values that sit at an end of their grid, e.g. "θ 4 is the largest the grid tries". */
export function gridEdges(best: TunableAdaptation): string[] {
  const named: [string, readonly number[], number][] = best.method === 'dynamic'
    ? [['lr', TUNING_GRIDS.dynamic.lr, best.lr], ['λ', TUNING_GRIDS.dynamic.lambda, best.lambda]]
    : [['θ', TUNING_GRIDS.cache.theta, best.theta], ['λ', TUNING_GRIDS.cache.lambda, best.lambda]];
  return named.flatMap(([name, grid, value]) => {
    if (value === grid[grid.length - 1]) return [`${name} ${value} is the largest the grid tries`];
    if (value === grid[0]) return [`${name} ${value} is the smallest the grid tries`];
    return [];
  });
}

/** Every setting of the method's grid, in the given adaptation's other values. */
export function tuningCandidates(adaptation: TunableAdaptation): TunableAdaptation[] {
  if (adaptation.method === 'dynamic') {
    const { lr, lambda } = TUNING_GRIDS.dynamic;
    return lr.flatMap((l) => lambda.map((d) => ({ ...adaptation, lr: l, lambda: d })));
  }
  const { theta, lambda } = TUNING_GRIDS.cache;
  return theta.flatMap((t) => lambda.map((l) => ({ ...adaptation, theta: t, lambda: l })));
}

/** Scores a split under any setting of one method, sharing what the settings have in common. */
export interface AdaptationScorer {
  score(ids: Int32Array, setting: TunableAdaptation): PerplexityResult;
  /** Frees the shared gradient statistics. */
  dispose(): void;
}

/**
 * A scorer of settings of one method: dynamic evaluation's gradient statistics are gathered from the training
 * split (the first dynamic setting's `statsWindows` windows) on the first score and shared by all later ones,
 * so tuning and the final score take one pass over the training split between them, not one each.
 */
export function adaptationScorer(model: LanguageModel, batchSize: number, bptt: number, train: () => Int32Array): AdaptationScorer {
  let rms: tf.Tensor[] | null = null;
  return {
    score(ids, setting) {
      if (setting.method === 'cache') return cachePerplexity(model, ids, batchSize, bptt, setting);
      rms ??= gradientRms(model, train(), bptt, setting.statsWindows);
      return dynamicPerplexityWith(model, ids, rms, batchSize, bptt, setting);
    },
    dispose() {
      if (rms) tf.dispose(rms);
      rms = null;
    },
  };
}

/**
 * Chooses a test-time method's settings on `valid` (its grid, `tuningCandidates`): the one with the lowest
 * adapted perplexity, the earlier in grid order on a tie. `onTrial` hears each result as it comes.
 */
export function tuneAdaptation(
  scorer: AdaptationScorer, valid: Int32Array, adaptation: TunableAdaptation, onTrial: (trial: TuningTrial) => void = () => undefined,
): { best: TunableAdaptation; trials: TuningTrial[] } {
  const trials = tuningCandidates(adaptation).map((candidate) => {
    const trial = { adaptation: candidate, perplexity: scorer.score(valid, candidate).perplexity };
    onTrial(trial);
    return trial;
  });
  const best = trials.reduce((a, b) => (b.perplexity < a.perplexity ? b : a));
  return { best: best.adaptation, trials };
}
