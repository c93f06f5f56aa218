import * as tf from '@tensorflow/tfjs';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ConfigError, ModelFileError } from '../../src/errors';
import { STATISTICS_PASS, TunableAdaptation, adaptationScorer, describeSettings, tuneAdaptation } from '../../src/eval/tune';
import { STATISTICS_FILE, TUNING_FILE, TuningRecord, tuningIdentity } from '../../src/eval/tune-record';
import { smallModel, patternIds } from '../model/fixtures';

const train = patternIds(400, [1, 4, 2, 8, 5, 7, 3]);
const valid = patternIds(60, [1, 4, 2, 8, 5, 7, 3, 1, 9, 2]);
const cache: TunableAdaptation = { method: 'cache', size: 20, theta: 1, lambda: 0.1 };
const dynamic: TunableAdaptation = { method: 'dynamic', lr: 0.002, lambda: 0.02, statsWindows: 4 };

const roots: string[] = [];
/** A path for a record that does not exist yet, in a temporary directory removed after the tests. */
const freshDir = (): string => {
  roots.push(fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlm-tune-')));
  return path.join(roots[roots.length - 1], 'record');
};
afterAll(() => roots.forEach((root) => fs.rmSync(root, { recursive: true, force: true })));

test('a tuning stopped part-way and run again with its record scores only the missing trials, and chooses as one run does', async () => {
  const model = smallModel({ vocabSize: 10 });
  const identity = tuningIdentity(model, valid, () => train, cache, 2, 8);
  const whole = await tuneAdaptation(adaptationScorer(model, 2, 8, () => train), valid, cache, 2);

  const dir = freshDir();
  const inner = adaptationScorer(model, 2, 8, () => train);
  let scored = 0;
  const stopsAfter = (limit: number): typeof inner => ({
    ...inner,
    score: (ids, setting, onWindow) => {
      if (scored === limit) throw new Error('killed');
      scored += 1;
      return inner.score(ids, setting, onWindow);
    },
  });
  await expect(tuneAdaptation(stopsAfter(7), valid, cache, 2, { record: TuningRecord.open(dir, identity) })).rejects.toThrow('killed');
  expect(JSON.parse(fs.readFileSync(path.join(dir, TUNING_FILE), 'utf8')).trials).toHaveLength(7);

  scored = 0;
  const resumed = await tuneAdaptation(stopsAfter(Infinity), valid, cache, 2, { record: TuningRecord.open(dir, identity) });
  expect(scored).toBe(whole.trials.length - 7);
  expect(resumed.trials.map((t) => t.resumed)).toEqual(whole.trials.map((_, k) => k < 7));
  expect(resumed.trials.map((t) => [describeSettings(t.adaptation), t.perplexity, t.tokens, t.screen]))
    .toEqual(whole.trials.map((t) => [describeSettings(t.adaptation), t.perplexity, t.tokens, t.screen]));
  expect(resumed.best).toEqual(whole.best);

  // A third run scores nothing.
  scored = 0;
  const again = await tuneAdaptation(stopsAfter(0), valid, cache, 2, { record: TuningRecord.open(dir, identity) });
  expect(again.trials.every((t) => t.resumed)).toBe(true);
  expect(again.best).toEqual(whole.best);
  model.dispose();
});

test('dynamic evaluation: the gradient statistics are recorded once and read back instead of a pass over train', () => {
  const model = smallModel({ vocabSize: 10 });
  const identity = tuningIdentity(model, valid, () => train, dynamic, 2, 8);
  const dir = freshDir();
  const passes: string[] = [];
  const onPass = (name: string): (() => void) => {
    passes.push(name);
    return () => undefined;
  };
  const setting = { ...dynamic, lr: 0.001 };
  const first = adaptationScorer(model, 2, 8, () => train, onPass, TuningRecord.open(dir, identity));
  const before = first.score(valid, setting).perplexity;
  first.dispose();
  expect(passes).toEqual([STATISTICS_PASS]);
  expect(fs.statSync(path.join(dir, STATISTICS_FILE)).size).toBe(4 * model.variables().reduce((n, v) => n + v.size, 0));

  // Killed after the statistics and before tuning.json named them: the directory is still this tuning's, and the
  // statistics are gathered again.
  const killed = freshDir();
  fs.mkdirSync(killed);
  fs.copyFileSync(path.join(dir, STATISTICS_FILE), path.join(killed, STATISTICS_FILE));
  fs.writeFileSync(path.join(killed, `${TUNING_FILE}.tmp-1-2-3`), '{"for');
  const again = adaptationScorer(model, 2, 8, () => train, onPass, TuningRecord.open(killed, identity));
  expect(again.score(valid, setting).perplexity).toBe(before);
  again.dispose();
  expect(passes).toEqual([STATISTICS_PASS, STATISTICS_PASS]);
  expect(fs.readdirSync(killed).sort()).toEqual([STATISTICS_FILE, TUNING_FILE]); // the killed write's copy is gone
  passes.length = 1;

  const tensors = tf.memory().numTensors;
  const second = adaptationScorer(model, 2, 8, () => { throw new Error('the training split is not read again'); }, onPass, TuningRecord.open(dir, identity));
  expect(second.score(valid, setting).perplexity).toBe(before);
  second.dispose();
  expect(passes).toEqual([STATISTICS_PASS]);
  expect(tf.memory().numTensors).toBe(tensors);
  model.dispose();
});

test('a diverged trial (NaN) is recorded and read back as NaN', () => {
  const dir = freshDir();
  const model = smallModel({ vocabSize: 10 });
  const identity = tuningIdentity(model, valid, () => train, cache, 2, 8);
  model.dispose();
  const record = TuningRecord.open(dir, identity);
  record.add({ adaptation: cache, perplexity: NaN, tokens: 59, screen: true, resumed: false });
  expect(TuningRecord.open(dir, identity).find({ ...cache }, true)).toEqual({ adaptation: cache, perplexity: NaN, tokens: 59, screen: true, resumed: true });
  expect(TuningRecord.open(dir, identity).find({ ...cache }, false)).toBeNull();
  expect(TuningRecord.open(dir, identity).find({ ...cache, theta: 2 }, true)).toBeNull();
});

test('a record of another tuning, a directory that holds other files, or an unreadable record is refused and left as it is', () => {
  const model = smallModel({ vocabSize: 10 });
  const identity = tuningIdentity(model, valid, () => train, cache, 2, 8);
  const dir = freshDir();
  TuningRecord.open(dir, identity).add({ adaptation: cache, perplexity: 12, tokens: 59, screen: true, resumed: false });
  const recorded = fs.readFileSync(path.join(dir, TUNING_FILE), 'utf8');

  const other = smallModel({ vocabSize: 10, seed: 99 });
  const refusals: [ReturnType<typeof tuningIdentity>, RegExp][] = [
    [tuningIdentity(other, valid, () => train, cache, 2, 8), /holds another tuning \(it tuned another model \(other weights\)\)/],
    [tuningIdentity(model, valid.subarray(0, 50), () => train, cache, 2, 8), /its valid split was another text/],
    [tuningIdentity(model, valid, () => train, cache, 2, 5), /its bptt was 8, not 5/],
    [tuningIdentity(model, valid, () => train, { ...cache, size: 30 }, 2, 8), /its size was 20, not 30/],
    [tuningIdentity(model, valid, () => train, dynamic, 2, 8), /it tuned cache, not dynamic/],
  ];
  for (const [wanted, message] of refusals) {
    expect(() => TuningRecord.open(dir, wanted)).toThrow(ConfigError);
    expect(() => TuningRecord.open(dir, wanted)).toThrow(message);
  }
  expect(fs.readFileSync(path.join(dir, TUNING_FILE), 'utf8')).toBe(recorded);

  fs.writeFileSync(path.join(dir, TUNING_FILE), '{"format": "tfjs-rnnlm tuning 1", "trials": [');
  expect(() => TuningRecord.open(dir, identity)).toThrow(ModelFileError);
  expect(fs.readFileSync(path.join(dir, TUNING_FILE), 'utf8')).toBe('{"format": "tfjs-rnnlm tuning 1", "trials": [');

  const busy = freshDir();
  fs.mkdirSync(busy);
  fs.writeFileSync(path.join(busy, 'notes.txt'), 'mine');
  expect(() => TuningRecord.open(busy, identity)).toThrow(/is not empty and holds no tuning\.json/);
  expect(() => TuningRecord.open(path.join(busy, 'notes.txt'), identity)).toThrow(/is a file, not a directory/);
  model.dispose();
  other.dispose();
});
