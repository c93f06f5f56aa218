import * as tf from '@tensorflow/tfjs';
import { cachePerplexity } from '../../src/eval/cache';
import { dynamicPerplexity } from '../../src/eval/dynamic';
import { TUNING_GRIDS, TunableAdaptation, adaptationScorer, describeSettings, gridEdges, tuneAdaptation, tuningCandidates } from '../../src/eval/tune';
import { smallModel, patternIds } from '../model/fixtures';

const train = patternIds(400, [1, 4, 2, 8, 5, 7, 3]);
const valid = patternIds(60, [1, 4, 2, 8, 5, 7, 3, 1, 9, 2]);
const cache: TunableAdaptation = { method: 'cache', size: 20, theta: 1, lambda: 0.1 };
const dynamic: TunableAdaptation = { method: 'dynamic', lr: 0.002, lambda: 0.02, statsWindows: 4 };

test('the grids: every lr × λ for dynamic evaluation, every θ × λ for the cache, the other settings kept', () => {
  const dynamicGrid = tuningCandidates(dynamic);
  expect(dynamicGrid).toHaveLength(TUNING_GRIDS.dynamic.lr.length * TUNING_GRIDS.dynamic.lambda.length);
  expect(dynamicGrid.every((c) => c.method === 'dynamic' && c.statsWindows === 4)).toBe(true);
  expect(new Set(dynamicGrid.map(describeSettings)).size).toBe(dynamicGrid.length);
  const cacheGrid = tuningCandidates(cache);
  expect(cacheGrid).toHaveLength(TUNING_GRIDS.cache.theta.length * TUNING_GRIDS.cache.lambda.length);
  expect(cacheGrid.every((c) => c.method === 'cache' && c.size === 20)).toBe(true);
  expect(describeSettings(cacheGrid[0])).toBe(`θ ${TUNING_GRIDS.cache.theta[0]}, λ ${TUNING_GRIDS.cache.lambda[0]}`);
});

test('a best setting at an end of its grid is named, one inside it is not', () => {
  const { theta, lambda } = TUNING_GRIDS.cache;
  const largestTheta = theta[theta.length - 1];
  expect(gridEdges({ ...cache, theta: largestTheta, lambda: lambda[1] })).toEqual([`θ ${largestTheta} is the largest the grid tries`]);
  expect(gridEdges({ ...cache, theta: theta[1], lambda: lambda[0] })).toEqual([`λ ${lambda[0]} is the smallest the grid tries`]);
  expect(gridEdges({ ...cache, theta: theta[1], lambda: lambda[1] })).toEqual([]);
  const { lr } = TUNING_GRIDS.dynamic;
  expect(gridEdges({ ...dynamic, lr: lr[0], lambda: TUNING_GRIDS.dynamic.lambda[1] })).toEqual([`lr ${lr[0]} is the smallest the grid tries`]);
});

test('cache: each trial is the cache perplexity of its setting, and the best is the lowest', () => {
  const model = smallModel({ vocabSize: 10 });
  const before = tf.memory().numTensors;
  const heard: number[] = [];
  const scorer = adaptationScorer(model, 2, 8, () => train);
  const { best, trials } = tuneAdaptation(scorer, valid, cache, (trial) => heard.push(trial.perplexity));
  scorer.dispose();
  expect(tf.memory().numTensors).toBe(before);
  expect(heard).toEqual(trials.map((t) => t.perplexity));
  for (const trial of trials) {
    expect(trial.perplexity).toBeCloseTo(cachePerplexity(model, valid, 2, 8, trial.adaptation as Extract<TunableAdaptation, { method: 'cache' }>).perplexity, 6);
  }
  const lowest = Math.min(...trials.map((t) => t.perplexity));
  expect(trials.find((t) => t.adaptation === best)?.perplexity).toBe(lowest);
  // The settings matter here, so the choice is not vacuous.
  expect(Math.max(...trials.map((t) => t.perplexity))).toBeGreaterThan(lowest * 1.001);
  model.dispose();
});

test('dynamic: the statistics gathered once give each trial, and the final score, what dynamic evaluation alone gives; weights restored', () => {
  const model = smallModel({ vocabSize: 10 });
  const weights = model.variables().map((v) => Array.from(v.dataSync()));
  const before = tf.memory().numTensors;
  let trainingLoads = 0;
  const scorer = adaptationScorer(model, 2, 8, () => {
    trainingLoads += 1;
    return train;
  });
  const { best, trials } = tuneAdaptation(scorer, valid, dynamic);
  const final = scorer.score(valid, best);
  scorer.dispose();
  expect(trainingLoads).toBe(1); // the statistics are gathered once for the grid and the final score
  expect(final.perplexity).toBeCloseTo(trials.find((t) => t.adaptation === best)?.perplexity ?? NaN, 6);
  expect(tf.memory().numTensors).toBe(before);
  expect(model.variables().map((v) => Array.from(v.dataSync()))).toEqual(weights);
  for (const k of [0, trials.length - 1]) {
    const alone = dynamicPerplexity(model, valid, train, 2, 8, trials[k].adaptation as Extract<TunableAdaptation, { method: 'dynamic' }>);
    expect(trials[k].perplexity).toBeCloseTo(alone.perplexity, 4);
  }
  expect(trials.find((t) => t.adaptation === best)?.perplexity).toBe(Math.min(...trials.map((t) => t.perplexity)));
  model.dispose();
});
