import { EVALUATE_OPTIONS, withDefaults } from '../../src/config';
import { adaptationOf, evaluationWindow } from '../../src/eval/evaluate';
import { DYNAMIC_RATES, DYNAMIC_WINDOW, EVALUATION_WINDOW, RATES_WINDOW, dynamicRates } from '../../src/eval/windows';

const defaults = withDefaults(EVALUATE_OPTIONS, {});

test('the evaluate options name at most one test-time method, with checked values', () => {
  expect(adaptationOf(defaults)).toBeNull();
  expect(adaptationOf({ ...defaults, cache: true })).toEqual({ method: 'cache', size: 500, theta: 1, lambda: 0.1 });
  expect(adaptationOf({ ...defaults, dynamic: true })).toEqual({ method: 'dynamic', lr: 0.0000714, lambda: 0.00179, statsWindows: null });
  expect(adaptationOf({ ...defaults, mcSamples: 8 })).toEqual({ method: 'mc-dropout', samples: 8 });
  expect(() => adaptationOf({ ...defaults, dynamic: true, cache: true })).toThrow('dynamic and cache cannot be combined');
  expect(() => adaptationOf({ ...defaults, cache: true, cacheLambda: 1 })).toThrow('cacheLambda must be in [0, 1), got 1');
  expect(adaptationOf({ ...defaults, cache: true, tune: true })).toEqual({ method: 'cache', size: 500, theta: 1, lambda: 0.1 });
  expect(() => adaptationOf({ ...defaults, tune: true })).toThrow('tune chooses the settings of dynamic or cache: ask for one of them');
  expect(() => adaptationOf({ ...defaults, mcSamples: 4, tune: true })).toThrow('tune chooses the settings of dynamic or cache: ask for one of them');
});

test("dynamic evaluation takes Krause et al.'s 5-token windows unless told, and its rates per token at any window", () => {
  expect(DYNAMIC_WINDOW).toBe(5);
  expect(evaluationWindow(defaults)).toBe(EVALUATION_WINDOW);
  expect(evaluationWindow({ ...defaults, dynamic: true })).toBe(DYNAMIC_WINDOW);
  expect(evaluationWindow({ ...defaults, dynamic: true, bptt: 20 })).toBe(20);
  expect(evaluationWindow({ ...defaults, bptt: 20 })).toBe(20);
  // The rates are written for 35-token windows and scaled to the window, three significant digits.
  expect(dynamicRates(RATES_WINDOW)).toEqual(DYNAMIC_RATES);
  expect(dynamicRates(70)).toEqual({ lr: DYNAMIC_RATES.lr * 2, lambda: DYNAMIC_RATES.lambda * 2 });
  expect(adaptationOf({ ...defaults, dynamic: true, bptt: 35 })).toEqual({ method: 'dynamic', lr: 0.0005, lambda: 0.0125, statsWindows: null });
  // A rate given is taken as given, at any window; the other keeps its default for the window.
  expect(adaptationOf({ ...defaults, dynamic: true, dynamicLr: 0.001 })).toEqual({ method: 'dynamic', lr: 0.001, lambda: 0.00179, statsWindows: null });
  expect(adaptationOf({ ...defaults, dynamic: true, bptt: 35, dynamicLambda: 0 })).toEqual({ method: 'dynamic', lr: 0.0005, lambda: 0, statsWindows: null });
  expect(() => adaptationOf({ ...defaults, dynamic: true, bptt: 0 })).toThrow('bptt must be a positive integer, got 0');
  expect(() => adaptationOf({ ...defaults, dynamic: true, dynamicLr: -1 })).toThrow(/dynamicLr must be/);
});
