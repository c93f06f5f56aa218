import * as tf from '@tensorflow/tfjs';
import { cachePerplexity } from '../../src/eval/cache';
import { dynamicPerplexity } from '../../src/eval/dynamic';
import { RATES_WINDOW } from '../../src/eval/windows';
import {
  TUNING_BEYOND, TUNING_GRIDS, TUNING_SCREEN, dynamicGrid, SettingScorer, TunableAdaptation, TuningTrial, adaptationScorer, describeSettings, screenLength,
  settingsBeyond, tuneAdaptation, tuningCandidates, tuningEdges,
} from '../../src/eval/tune';
import { smallModel, patternIds } from '../model/fixtures';

const train = patternIds(400, [1, 4, 2, 8, 5, 7, 3]);
const valid = patternIds(60, [1, 4, 2, 8, 5, 7, 3, 1, 9, 2]);
const cache: TunableAdaptation = { method: 'cache', size: 20, theta: 1, lambda: 0.1 };
const dynamic: TunableAdaptation = { method: 'dynamic', lr: 0.002, lambda: 0.02, statsWindows: 4 };

test('each method\'s settings in one line, the sample count singular for one', () => {
  expect(describeSettings(dynamic)).toBe('lr 0.002, λ 0.02');
  expect(describeSettings(cache)).toBe('θ 1, λ 0.1');
  expect(describeSettings({ method: 'mc-dropout', samples: 8 })).toBe('8 samples');
  expect(describeSettings({ method: 'mc-dropout', samples: 1 })).toBe('1 sample');
});

test('the grids: every lr × λ for dynamic evaluation, every θ × λ for the cache, the other settings kept', () => {
  const dynamicCandidates = tuningCandidates(dynamic, RATES_WINDOW);
  expect(dynamicCandidates).toHaveLength(TUNING_GRIDS.dynamic.lr.length * TUNING_GRIDS.dynamic.lambda.length);
  expect(dynamicCandidates.every((c) => c.method === 'dynamic' && c.statsWindows === 4)).toBe(true);
  expect(new Set(dynamicCandidates.map(describeSettings)).size).toBe(dynamicCandidates.length);
  expect(describeSettings(dynamicCandidates[0])).toBe(`lr ${TUNING_GRIDS.dynamic.lr[0]}, λ ${TUNING_GRIDS.dynamic.lambda[0]}`);
  const cacheGrid = tuningCandidates(cache, 8);
  expect(cacheGrid).toHaveLength(TUNING_GRIDS.cache.theta.length * TUNING_GRIDS.cache.lambda.length);
  expect(cacheGrid.every((c) => c.method === 'cache' && c.size === 20)).toBe(true);
  expect(describeSettings(cacheGrid[0])).toBe(`θ ${TUNING_GRIDS.cache.theta[0]}, λ ${TUNING_GRIDS.cache.lambda[0]}`);
});

test("dynamic evaluation's grid scales with the window length, as Krause et al.'s does; the cache's does not", () => {
  expect(dynamicGrid(RATES_WINDOW)).toEqual({ lr: [...TUNING_GRIDS.dynamic.lr], lambda: [...TUNING_GRIDS.dynamic.lambda] });
  const { lr, lambda } = dynamicGrid(70);
  expect(lr).toEqual(TUNING_GRIDS.dynamic.lr.map((value) => value * 2));
  expect(lambda).toEqual(TUNING_GRIDS.dynamic.lambda.map((value) => value * 2));
  // Three significant digits: 5-token windows take a seventh, printed without float noise.
  expect(dynamicGrid(5).lr).toEqual([0.0000143, 0.0000286, 0.0000714, 0.000143]);
  expect(tuningCandidates(dynamic, 5).map((c) => c.method === 'dynamic' && c.lr)).toContain(0.0000714);
  expect(tuningCandidates(cache, 5)).toEqual(tuningCandidates(cache, 70));
});

/** A trial on all of valid, for the functions that read trials. */
const fullTrial = (adaptation: TunableAdaptation, beyond: boolean): TuningTrial =>
  ({ adaptation, perplexity: 50, tokens: 59, screen: false, beyond, resumed: false });

test('a best setting at an end of what was tried is named, one inside it is not', () => {
  const { theta, lambda } = TUNING_GRIDS.cache;
  const largestTheta = theta[theta.length - 1];
  expect(tuningEdges({ ...cache, theta: largestTheta, lambda: lambda[1] }, [], 35)).toEqual([`θ ${largestTheta} is the largest tried`]);
  expect(tuningEdges({ ...cache, theta: theta[1], lambda: lambda[0] }, [], 35)).toEqual([`λ ${lambda[0]} is the smallest tried`]);
  expect(tuningEdges({ ...cache, theta: theta[1], lambda: lambda[1] }, [], 35)).toEqual([]);
  const { lr } = TUNING_GRIDS.dynamic;
  expect(tuningEdges({ ...dynamic, lr: lr[0], lambda: TUNING_GRIDS.dynamic.lambda[1] }, [], RATES_WINDOW)).toEqual([`lr ${lr[0]} is the smallest tried`]);
  const short = dynamicGrid(5); // the ends of the grid the window length gives
  expect(tuningEdges({ ...dynamic, lr: short.lr[3], lambda: short.lambda[0] }, [], 5))
    .toEqual([`lr ${short.lr[3]} is the largest tried`, `λ ${short.lambda[0]} is the smallest tried`]);
  expect(tuningEdges({ ...dynamic, lr: short.lr[1], lambda: short.lambda[1] }, [], 5)).toEqual([]);
  // Past the grid: the end is the largest value tried with the best's other value.
  const top = { ...cache, theta: largestTheta, lambda: lambda[1] };
  expect(tuningEdges(top, [fullTrial({ ...top, theta: 5.33 }, true)], 35)).toEqual([]);
  expect(tuningEdges(top, [fullTrial({ ...top, theta: 5.33, lambda: lambda[2] }, true)], 35)).toEqual([`θ ${largestTheta} is the largest tried`]);
  expect(tuningEdges({ ...top, theta: 5.33 }, [fullTrial({ ...top, theta: 5.33 }, true)], 35)).toEqual(['θ 5.33 is the largest tried']);
  expect(tuningEdges({ ...top, theta: 5.33 }, [5.33, 7.11].map((t) => fullTrial({ ...top, theta: t }, true)), 35)).toEqual([]);
});

test("past an end of the grid: the next value at the grid's ratio there, on each axis where the best sits at an end, up to TUNING_BEYOND.steps", () => {
  const { theta, lambda } = TUNING_GRIDS.cache;
  expect(settingsBeyond({ ...cache, theta: theta[2], lambda: lambda[1] }, [], 35)).toEqual([]);
  // θ 4 after 3: 4 × 4/3; λ 0.05 after 0.1: 0.05 × 0.05/0.1. Three significant digits.
  expect(settingsBeyond({ ...cache, theta: 4, lambda: 0.05 }, [], 35)).toEqual([{ ...cache, theta: 5.33, lambda: 0.05 }, { ...cache, theta: 4, lambda: 0.025 }]);
  expect(settingsBeyond({ ...cache, theta: 0.2, lambda: 0.2 }, [], 35)).toEqual([{ ...cache, theta: 0.133, lambda: 0.2 }, { ...cache, theta: 0.2, lambda: 0.267 }]);
  // Once a value past the best has been tried with its other value, that end is done.
  expect(settingsBeyond({ ...cache, theta: 4, lambda: 0.1 }, [fullTrial({ ...cache, theta: 5.33, lambda: 0.1 }, true)], 35)).toEqual([]);
  // With another λ it has not: a coordinate search.
  expect(settingsBeyond({ ...cache, theta: 4, lambda: 0.1 }, [fullTrial({ ...cache, theta: 5.33, lambda: 0.15 }, true)], 35))
    .toEqual([{ ...cache, theta: 5.33, lambda: 0.1 }]);
  // Three values past the grid's top at most: 4 × (4/3)^k.
  const past = [5.33, 7.11, 9.48].map((t) => fullTrial({ ...cache, theta: t, lambda: 0.1 }, true));
  expect(settingsBeyond({ ...cache, theta: 7.11, lambda: 0.1 }, past.slice(0, 2), 35)).toEqual([{ ...cache, theta: 9.48, lambda: 0.1 }]);
  expect(TUNING_BEYOND.steps).toBe(3);
  expect(settingsBeyond({ ...cache, theta: 9.48, lambda: 0.1 }, past, 35)).toEqual([]);
  // Also when the best got there with another λ.
  expect(settingsBeyond({ ...cache, theta: 9.48, lambda: 0.05 }, past, 35)).toEqual([{ ...cache, theta: 9.48, lambda: 0.025 }]);
  // λ stays below 1: dynamic evaluation's λ grid at 350-token windows ends at 0.3 (after 0.125), so 0.72, then not 1.73.
  const long = dynamicGrid(350);
  expect(long.lambda.slice(-2)).toEqual([0.125, 0.3]);
  expect(settingsBeyond({ ...dynamic, lr: long.lr[1], lambda: 0.3 }, [], 350)).toEqual([{ ...dynamic, lr: long.lr[1], lambda: 0.72 }]);
  expect(settingsBeyond({ ...dynamic, lr: long.lr[1], lambda: 0.72 }, [fullTrial({ ...dynamic, lr: long.lr[1], lambda: 0.72 }, true)], 350)).toEqual([]);
});

/** A scorer whose perplexity is a bowl in log θ and λ around (`theta`, `lambda`), recording what it scored. */
function bowlScorer(theta: number, lambda: number, jobs = 1): SettingScorer & { scored: string[] } {
  const scored: string[] = [];
  return {
    bptt: 8,
    jobs,
    scored,
    score(ids, setting) {
      scored.push(describeSettings(setting));
      const s = setting as Extract<TunableAdaptation, { method: 'cache' }>;
      return { perplexity: 50 + Math.log(s.theta / theta) ** 2 + 100 * (s.lambda - lambda) ** 2, nll: 0, tokens: ids.length - 1 };
    },
    dispose: () => undefined,
  };
}

test('tuning follows a best setting past the grid while it improves, and stops at the first worse value', async () => {
  const scorer = bowlScorer(6, 0.1);
  const { best, trials } = await tuneAdaptation(scorer, valid, cache, 2);
  const beyond = trials.filter((t) => t.beyond);
  // θ 4 (the grid's top) won the finals; 5.33 beat it, 7.11 did not.
  expect(beyond.map((t) => describeSettings(t.adaptation))).toEqual(['θ 5.33, λ 0.1', 'θ 7.11, λ 0.1']);
  expect(beyond.every((t) => !t.screen && t.tokens === valid.length - 1)).toBe(true);
  expect(describeSettings(best)).toBe('θ 5.33, λ 0.1');
  expect(tuningEdges(best, trials, 8)).toEqual([]);
  expect(scorer.scored).toHaveLength(trials.length); // each setting scored once
});

test('past the grid at most TUNING_BEYOND.steps values an end, on both axes, with what is still at an end named', async () => {
  const scorer = bowlScorer(1000, 0.001, 2);
  const { best, trials } = await tuneAdaptation(scorer, valid, cache, 2);
  const beyond = trials.filter((t) => t.beyond).map((t) => describeSettings(t.adaptation));
  // Both axes at an end: both stepped at once (two jobs), then each from the new best.
  expect(beyond.slice(0, 2)).toEqual(['θ 5.33, λ 0.05', 'θ 4, λ 0.025']);
  expect(describeSettings(best)).toBe('θ 9.48, λ 0.00625');
  expect(tuningEdges(best, trials, 8)).toEqual(['θ 9.48 is the largest tried', 'λ 0.00625 is the smallest tried']);
  expect(Math.min(...trials.filter((t) => !t.screen).map((t) => t.perplexity))).toBe(trials.find((t) => !t.screen && t.adaptation === best)?.perplexity);
});

/** What a trial scored: the screen's first part of valid, or all of it. */
const scoredIds = (trial: TuningTrial): Int32Array => (trial.screen ? valid.slice(0, screenLength(valid.length, 2)) : valid);

/** The screen: every setting on the first part; the finalists: its best four in order, on all of valid; the best: theirs. */
function expectScreenedChoice(trials: TuningTrial[], best: TunableAdaptation, candidates: number): void {
  const screen = trials.filter((t) => t.screen);
  const finals = trials.filter((t) => !t.screen && !t.beyond);
  expect(screen.map((t) => t.adaptation)).toEqual(trials.slice(0, candidates).map((t) => t.adaptation));
  expect(screen).toHaveLength(candidates);
  expect(screen[0].tokens).toBeLessThan(finals[0].tokens);
  const ranked = [...screen].sort((a, b) => a.perplexity - b.perplexity); // a stable sort: ties stay in grid order
  expect(finals.map((t) => t.adaptation)).toEqual(ranked.slice(0, TUNING_SCREEN.finalists).map((t) => t.adaptation));
  // The best of all scored on all of valid: the finalists, and those past an end of the grid from the best of them.
  const onAll = trials.filter((t) => !t.screen);
  expect(onAll.find((t) => t.adaptation === best)?.perplexity).toBe(Math.min(...onAll.map((t) => t.perplexity)));
  expect(trials.slice(candidates + finals.length).every((t) => t.beyond)).toBe(true);
}

test('the screen scores the first quarter of valid, with a token to predict for every stream', () => {
  expect(screenLength(73_761, 1)).toBe(18_441);
  expect(screenLength(20, 10)).toBe(11);
  expect(screenLength(8, 10)).toBe(8);
});

test('cache: each trial is the cache perplexity of its setting on what it scored; the four best of the screen go on, the best of them wins', async () => {
  const model = smallModel({ vocabSize: 10 });
  const before = tf.memory().numTensors;
  const heard: number[] = [];
  const scorer = adaptationScorer(model, 2, 8, () => train);
  const { best, trials } = await tuneAdaptation(scorer, valid, cache, 2, { onTrial: (trial) => heard.push(trial.perplexity) });
  scorer.dispose();
  expect(tf.memory().numTensors).toBe(before);
  expect(heard).toEqual(trials.map((t) => t.perplexity));
  for (const trial of trials) {
    const alone = cachePerplexity(model, scoredIds(trial), 2, 8, trial.adaptation as Extract<TunableAdaptation, { method: 'cache' }>);
    expect(trial.perplexity).toBeCloseTo(alone.perplexity, 6);
    expect(trial.tokens).toBe(alone.tokens);
  }
  expectScreenedChoice(trials, best, tuningCandidates(cache, 8).length);
  // The settings matter here, so the choice is not vacuous.
  const lowest = Math.min(...trials.map((t) => t.perplexity));
  expect(Math.max(...trials.map((t) => t.perplexity))).toBeGreaterThan(lowest * 1.001);
  model.dispose();
});

test('a diverged setting (NaN) is never a finalist ahead of a finite one, nor chosen', async () => {
  const settings = tuningCandidates(cache, 8).map(describeSettings);
  const diverged = new Set(settings.slice(0, 3));
  // Every finite setting scores the same: the ties go to grid order.
  const scorer = {
    bptt: 8,
    jobs: 1,
    score: (ids: Int32Array, setting: TunableAdaptation) => ({ perplexity: diverged.has(describeSettings(setting)) ? NaN : 50, nll: 0, tokens: ids.length - 1 }),
    dispose: () => undefined,
  };
  const { best, trials } = await tuneAdaptation(scorer, valid, cache, 2);
  expect(trials.filter((t) => !t.screen && !t.beyond).map((t) => describeSettings(t.adaptation))).toEqual(settings.slice(3, 3 + TUNING_SCREEN.finalists));
  expect(describeSettings(best)).toBe(settings[3]);
});

test('dynamic: the statistics gathered once give each trial, and the final score, what dynamic evaluation alone gives; weights restored', async () => {
  const model = smallModel({ vocabSize: 10 });
  const weights = model.variables().map((v) => Array.from(v.dataSync()));
  const before = tf.memory().numTensors;
  let trainingLoads = 0;
  const scorer = adaptationScorer(model, 2, 8, () => {
    trainingLoads += 1;
    return train;
  });
  const { best, trials } = await tuneAdaptation(scorer, valid, dynamic, 2);
  const final = scorer.score(valid, best);
  scorer.dispose();
  expect(trainingLoads).toBe(1); // the statistics are gathered once for the grid and the final score
  expect(final.perplexity).toBeCloseTo(trials.find((t) => !t.screen && t.adaptation === best)?.perplexity ?? NaN, 6);
  expect(tf.memory().numTensors).toBe(before);
  expect(model.variables().map((v) => Array.from(v.dataSync()))).toEqual(weights);
  for (const k of [0, trials.length - 1]) { // a screen trial and a finalist
    const alone = dynamicPerplexity(model, scoredIds(trials[k]), train, 2, 8, trials[k].adaptation as Extract<TunableAdaptation, { method: 'dynamic' }>);
    expect(trials[k].perplexity).toBeCloseTo(alone.perplexity, 4);
  }
  expectScreenedChoice(trials, best, tuningCandidates(dynamic, 8).length);
  model.dispose();
});
