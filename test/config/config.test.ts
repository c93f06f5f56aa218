import * as fs from 'fs';
import * as path from 'path';
import {
  ConfigError, DEFAULT_HYPER, HYPER_OPTIONS, RESUMABLE_KEYS, TRAIN_KEYS, UserError, loadPreset, parsePreset, presetNames, resolveHyper,
  toTrainConfig,
} from '../../src';
import { flagName } from '../../cli/options';

const thrown = (action: () => unknown): UserError => {
  try {
    action();
  } catch (error) {
    return error as UserError;
  }
  throw new Error('expected an error');
};

test('every shipped preset is valid: known keys, each value of its option type', () => {
  expect(presetNames().length).toBeGreaterThanOrEqual(7);
  for (const name of presetNames()) expect(() => resolveHyper(name, {})).not.toThrow();
});

test('a misspelled preset key is refused with the key named and the closest known one', () => {
  const error = thrown(() => parsePreset('mine', { description: 'd', source: 's', hyper: { dropot: 0.5 } }));
  expect(error).toBeInstanceOf(ConfigError);
  expect(error.message).toMatch(/^preset "mine": "dropot" is not a known hyper-parameter \(did you mean "dropout"\?\); known: cell, layers/);
});

test('a mistyped preset value is refused with the key and the expected type', () => {
  expect(() => parsePreset('mine', { description: 'd', source: 's', hyper: { lr: '20' } }))
    .toThrow(/^preset "mine": lr must be a positive number, got "20"$/);
  expect(() => parsePreset('mine', { description: 'd', source: 's', hyper: { cell: 'transformer' } }))
    .toThrow(/cell must be one of lstm, gru, peephole, rnn, got "transformer"/);
  expect(() => parsePreset('mine', { description: 'd', source: 's', hyper: {}, extra: 1 })).toThrow(/"extra" is not a known preset field/);
  expect(() => parsePreset('mine', { description: 'd', hyper: {} })).toThrow(/"source" must be a string/);
});

test('loadPreset reads the shipped file through the same checks', () => {
  const file = path.join(__dirname, '../../models/presets/zaremba-small.json');
  expect(loadPreset('zaremba-small').hyper).toEqual(JSON.parse(fs.readFileSync(file, 'utf8')).hyper);
  expect(() => loadPreset('nope')).toThrow(/unknown preset "nope": use one of .*zaremba-small/);
});

test('the library names options as the API spells them, the CLI as flags: one message, two namings', () => {
  const error = thrown(() => resolveHyper(null, { batchSize: 0 }));
  expect(error.message).toBe('batchSize must be a positive integer, got 0');
  expect(error.describe(flagName)).toBe('--batch-size must be a positive integer, got 0');
  const tied = thrown(() => resolveHyper(null, { tied: true, hidden: 100, embedding: 50 }));
  expect(tied.describe(flagName)).toMatch(/^--tied weights need .* set --embedding 100/);
});

test('unknown API keys are refused, not ignored', () => {
  expect(() => resolveHyper(null, { dropot: 0.5 } as never)).toThrow(/"dropot" is not a known hyper-parameter \(did you mean "dropout"\?\)/);
});

test('averageAfter asked for needs NT-ASGD; a preset\'s goes unused when the optimizer is changed', () => {
  expect(() => resolveHyper(null, { averageAfter: 2 })).toThrow(/averageAfter starts NT-ASGD's averaging: it needs optimizer ntasgd$/);
  expect(resolveHyper(null, { optimizer: 'ntasgd', averageAfter: 5 }).averageAfter).toBe(5);
  expect(resolveHyper(null, { optimizer: 'ntasgd', averageAfter: 0 }).averageAfter).toBe(0); // from the first step
  expect(() => resolveHyper(null, { optimizer: 'ntasgd', averageAfter: -1 })).toThrow(/averageAfter must be a whole number ≥ 0, got -1/);
  expect(resolveHyper('awd-medium', { optimizer: 'sgd' }).averageAfter).toBe(40);
  expect(resolveHyper('awd-medium', { epochs: 1 }).epochs).toBe(1); // a short trial of the preset: no averaging
});

test('defaults, resumable keys and the training settings all come from the one option table', () => {
  expect(Object.keys(DEFAULT_HYPER).sort()).toEqual(Object.keys(HYPER_OPTIONS).sort());
  expect(RESUMABLE_KEYS).toEqual(['epochs', 'lr', 'clip', 'averageAfter', 'maxBatches']);
  expect(Object.keys(toTrainConfig(DEFAULT_HYPER)).sort()).toEqual([...TRAIN_KEYS].sort());
});
