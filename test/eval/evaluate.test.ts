import { EVALUATE_OPTIONS, withDefaults } from '../../src/config';
import { adaptationOf } from '../../src/eval/evaluate';

const defaults = withDefaults(EVALUATE_OPTIONS, {});

test('the evaluate options name at most one test-time method, with checked values', () => {
  expect(adaptationOf(defaults)).toBeNull();
  expect(adaptationOf({ ...defaults, cache: true })).toEqual({ method: 'cache', size: 500, theta: 1, lambda: 0.1 });
  expect(adaptationOf({ ...defaults, dynamic: true })).toEqual({ method: 'dynamic', lr: 0.0005, lambda: 0.0125, statsWindows: null });
  expect(adaptationOf({ ...defaults, mcSamples: 8 })).toEqual({ method: 'mc-dropout', samples: 8 });
  expect(() => adaptationOf({ ...defaults, dynamic: true, cache: true })).toThrow('dynamic and cache cannot be combined');
  expect(() => adaptationOf({ ...defaults, cache: true, cacheLambda: 1 })).toThrow('cacheLambda must be in [0, 1), got 1');
  expect(adaptationOf({ ...defaults, cache: true, tune: true })).toEqual({ method: 'cache', size: 500, theta: 1, lambda: 0.1 });
  expect(() => adaptationOf({ ...defaults, tune: true })).toThrow('tune chooses the settings of dynamic or cache: ask for one of them');
  expect(() => adaptationOf({ ...defaults, mcSamples: 4, tune: true })).toThrow('tune chooses the settings of dynamic or cache: ask for one of them');
});
