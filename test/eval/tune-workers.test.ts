import * as tf from '@tensorflow/tfjs';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { RecordedTrial, TunableAdaptation, TuningTrial, adaptationScorer, describeSettings, tuneAdaptation } from '../../src/eval/tune';
import { WORKER_SCRIPT, workerScorer } from '../../src/eval/tune-workers';
import { smallConfig, smallModel, patternIds } from '../model/fixtures';

const train = patternIds(400, [1, 4, 2, 8, 5, 7, 3]);
const valid = patternIds(60, [1, 4, 2, 8, 5, 7, 3, 1, 9, 2]);
const cache: TunableAdaptation = { method: 'cache', size: 20, theta: 1, lambda: 0.1 };
const dynamic: TunableAdaptation = { method: 'dynamic', lr: 0.002, lambda: 0.02, statsWindows: 4 };

/** The pids of this process's tuning workers that are still running. */
function workerPids(): number[] {
  const listed = spawnSync('ps', ['--ppid', String(process.pid), '-o', 'pid=,args='], { encoding: 'utf8' }).stdout;
  return listed.split('\n').filter((line) => line.includes(WORKER_SCRIPT)).map((line) => Number.parseInt(line, 10));
}

async function workersGone(): Promise<number[]> {
  for (let k = 0; k < 100 && workerPids().length > 0; k++) await new Promise((resolve) => setTimeout(resolve, 50));
  return workerPids();
}

const described = (trials: RecordedTrial[]): unknown[] => trials.map((t) => [describeSettings(t.adaptation), t.perplexity, t.tokens, t.screen]);

test.each([['cache', cache], ['dynamic evaluation', dynamic]] as const)(
  '%s: two worker processes score the grid as this process does, the same trials in grid order and the same choice',
  async (_, adaptation) => {
    const model = smallModel({ vocabSize: 10 });
    const before = tf.memory().numTensors;
    const serial = adaptationScorer(model, 2, 8, () => train);
    const alone = await tuneAdaptation(serial, valid, adaptation, 2);
    serial.dispose();

    let trainingLoads = 0;
    const local = adaptationScorer(model, 2, 8, () => {
      trainingLoads += 1;
      return train;
    });
    const workers = workerScorer(model, local, 2, 2);
    expect(workers.jobs).toBe(2);
    const heard: TuningTrial[] = [];
    const recorded: RecordedTrial[] = [];
    const windows = new Map<string, number[]>();
    const together = await tuneAdaptation(workers, valid, adaptation, 2, {
      onTrial: (trial) => heard.push(trial),
      record: { find: () => null, add: (trial) => recorded.push(trial) },
      onPass: (pass) => (done, total) => windows.set(pass, [done, total]),
    });
    expect(workerPids()).toHaveLength(2);
    workers.dispose();
    local.dispose();
    expect(await workersGone()).toEqual([]);
    expect(tf.memory().numTensors).toBe(before);

    expect(described(together.trials)).toEqual(described(alone.trials)); // the same numbers, exactly
    expect(together.best).toEqual(alone.best);
    // Every trial heard and recorded once, as it finished (not necessarily in grid order).
    expect(described(heard).map(String).sort()).toEqual(described(alone.trials).map(String).sort());
    expect(described(recorded).map(String).sort()).toEqual(described(alone.trials).map(String).sort());
    // Each pass's last window reached this process; dynamic evaluation's statistics were gathered here, once.
    expect(windows.size).toBe(alone.trials.length);
    for (const [done, total] of windows.values()) expect(done).toBe(total);
    expect(trainingLoads).toBe(adaptation.method === 'dynamic' ? 1 : 0);
    model.dispose();
  });

test("a worker's failure rejects the tuning with its message, and the workers are stopped", async () => {
  const model = smallModel({ vocabSize: 10 });
  const local = adaptationScorer(model, 2, 8, () => train);
  // Statistics for none of the weights: the workers' dynamic evaluation cannot step them.
  const workers = workerScorer(model, { ...local, statistics: () => [] }, 2, 2);
  await expect(tuneAdaptation(workers, valid, dynamic, 2)).rejects.toThrow(/^tuning worker [12]: /);
  workers.dispose();
  local.dispose();
  expect(await workersGone()).toEqual([]);
  model.dispose();
});

test('a worker killed during a pass rejects the tuning with how it ended', async () => {
  const model = smallModel({ vocabSize: 10 });
  const local = adaptationScorer(model, 1, 8, () => train);
  const workers = workerScorer(model, local, 1, 2);
  const long = patternIds(200_000, [1, 4, 2, 8, 5, 7, 3, 1, 9, 2]); // passes of seconds
  let killed = false;
  const tuning = tuneAdaptation(workers, long, dynamic, 1, {
    onPass: () => () => {
      if (killed) return;
      killed = true;
      process.kill(workerPids()[0], 'SIGKILL');
    },
  });
  await expect(tuning).rejects.toThrow(/^tuning worker [12] exited \(SIGKILL\) before it finished$/);
  workers.dispose();
  local.dispose();
  expect(await workersGone()).toEqual([]);
  model.dispose();
});

test('the workers stop during a pass when their parent is killed (SIGKILL: no word on the channel)', async () => {
  const dist = path.resolve(__dirname, '../../dist/src');
  const parent = spawn(process.execPath, ['-e', `
    const { selectBackend } = require(${JSON.stringify(`${dist}/backend`)});
    const { LanguageModel } = require(${JSON.stringify(`${dist}/model/lm`)});
    const { adaptationScorer, tuneAdaptation } = require(${JSON.stringify(`${dist}/eval/tune`)});
    const { workerScorer } = require(${JSON.stringify(`${dist}/eval/tune-workers`)});
    const { spawnSync } = require('child_process');
    (async () => {
      await selectBackend('auto');
      const model = new LanguageModel(${JSON.stringify(smallConfig({ vocabSize: 10 }))});
      const long = Int32Array.from({ length: 2000000 }, (_, k) => [1, 4, 2, 8, 5][k % 5]);
      let told = false;
      await tuneAdaptation(workerScorer(model, adaptationScorer(model, 1, 8, () => long), 1, 2), long,
        { method: 'dynamic', lr: 0.002, lambda: 0.02, statsWindows: 4 }, 1, {
          onPass: () => () => {
            if (told) return;
            told = true;
            const listed = spawnSync('ps', ['--ppid', String(process.pid), '-o', 'pid=,args='], { encoding: 'utf8' }).stdout;
            console.log(JSON.stringify(listed.split('\\n').filter((l) => l.includes('tune-worker.js')).map((l) => parseInt(l, 10))));
          },
        });
    })();
  `], { stdio: ['ignore', 'pipe', 'inherit'] });
  const pids = await new Promise<number[]>((resolve) => parent.stdout.once('data', (data: Buffer) => resolve(JSON.parse(data.toString()))));
  expect(pids).toHaveLength(2);
  parent.kill('SIGKILL');
  // Running, not exited (a zombie, 'Z', has exited and waits for whoever adopted it to reap it).
  const alive = (pid: number): boolean => {
    try {
      return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return false;
    }
  };
  for (let k = 0; k < 100 && pids.some(alive); k++) await new Promise((resolve) => setTimeout(resolve, 50));
  expect(pids.filter(alive)).toEqual([]);
});
