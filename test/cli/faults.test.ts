import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { RunReport, loadModel } from '../../src';
import { rng } from '../helpers';
import { TrainingProgress } from '../../src/train/trainer';
import { disposeLoadedCheckpoint, loadCheckpoint } from '../../src/train/checkpoint';
import { CLI, TINY_MODEL, rnnlm, rnnlmAsync, snapshot, startRnnlm, tempDir, tinyCorpus, toolLines, waitFor } from './run-cli';

/**
 * Faults through the compiled CLI: SIGKILL at any moment, Ctrl-C, SIGTERM and divergence, each followed by a
 * look at what is left on disk. The corpus gives 70 windows per epoch (4 streams of 349 tokens, bptt 5).
 */

const BATCHES_PER_EPOCH = 70;
const corpus = tinyCorpus(100);
const TRAIN = ['train', '--data', corpus, ...TINY_MODEL, '--seed', '7'];

/** The progress of the checkpoint on disk, or undefined while there is none (or it is being renamed into place). */
function checkpointProgress(runDir: string): TrainingProgress | undefined {
  try {
    return (JSON.parse(fs.readFileSync(path.join(runDir, 'checkpoint', 'checkpoint.json'), 'utf8')) as { progress: TrainingProgress }).progress;
  } catch {
    return undefined;
  }
}

/** Loads the checkpoint as `--resume` does (weights, optimizer slots, carried state, best weights) and frees it. */
function loadableProgress(runDir: string): TrainingProgress {
  const checkpoint = loadCheckpoint(runDir);
  disposeLoadedCheckpoint(checkpoint);
  return checkpoint.progress;
}

const readReport = (runDir: string): RunReport => JSON.parse(fs.readFileSync(path.join(runDir, 'report.json'), 'utf8')) as RunReport;


test('killed with SIGKILL mid-epoch and at a random moment, then resumed: the same epochs and valid ppl as an uninterrupted run', async () => {
  const args = [...TRAIN, '--epochs', '3', '--checkpoint-every', '10', '--json'];
  const whole = path.join(tempDir('rnnlm-whole-'), 'run');
  const uninterrupted = rnnlm([...args, '--save', whole]);
  expect(uninterrupted.status).toBe(0);

  const killed = path.join(tempDir('rnnlm-killed-'), 'run');
  const first = startRnnlm([...args, '--save', killed]);
  // An interval checkpoint in the middle of epoch 2: --checkpoint-every writes them between epoch ends.
  const seen = await waitFor(() => {
    const progress = checkpointProgress(killed);
    return progress && progress.epoch === 2 && progress.batch > 0 ? progress : undefined;
  }, 'a mid-epoch checkpoint in epoch 2');
  expect(seen.batch % 10).toBe(0);
  expect(seen.batch).toBeLessThan(BATCHES_PER_EPOCH);
  first.child.kill('SIGKILL');
  expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
  const afterKill = loadableProgress(killed);
  expect(afterKill.epoch).toBe(2);
  expect(afterKill.batch).toBeGreaterThanOrEqual(seen.batch);

  // Killed again at an arbitrary moment of the resumed run (maybe in the middle of writing a checkpoint):
  // the previous checkpoint is still there and loadable.
  const second = startRnnlm(['train', '--save', killed, '--resume', '--json']);
  await waitFor(() => (second.stderr().includes('resuming at epoch 2') ? true : undefined), 'the resumed run to start');
  await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 300));
  second.child.kill('SIGKILL');
  await second.exited;
  const afterSecondKill = loadableProgress(killed);
  expect(afterSecondKill.epoch * BATCHES_PER_EPOCH + afterSecondKill.batch).toBeGreaterThanOrEqual(2 * BATCHES_PER_EPOCH + afterKill.batch);

  const resumed = rnnlm(['train', '--save', killed, '--resume', '--json']);
  expect(resumed.status).toBe(0);
  const expected = readReport(whole);
  const actual = readReport(killed);
  expect(actual.status).toBe('finished');
  // The report keeps the command that started the run and lists the ones that continued it.
  expect(actual.command).toBe(expected.command.replace(whole, killed));
  expect(actual.resumes?.[actual.resumes.length - 1]).toBe(`rnnlm train --save ${killed} --resume --json`);
  expect(expected.resumes).toEqual([]);
  expect(actual.epochs.map((m) => m.epoch)).toEqual(expected.epochs.map((m) => m.epoch));
  expect(actual.epochs).toHaveLength(3);
  const lastValid = (report: RunReport): number => report.epochs[report.epochs.length - 1].validPpl;
  expect(Math.abs(lastValid(actual) / lastValid(expected) - 1)).toBeLessThan(0.01);
  const testPpl = (stdout: string): number => JSON.parse(stdout.trim().split('\n').pop() as string).test_ppl;
  expect(Math.abs(testPpl(resumed.stdout) / testPpl(uninterrupted.stdout) - 1)).toBeLessThan(0.01);
});

test.each([
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129], // the terminal closed: Node's default would end the run without a checkpoint
] as const)('%s stops after the current batch, writes a checkpoint, says how to resume and exits %i', async (signal, code) => {
  const runDir = path.join(tempDir('rnnlm-signal-'), 'run');
  const run = startRnnlm([...TRAIN, '--epochs', '50', '--save', runDir]);
  // Not a terminal: plain progress lines, about ten per epoch.
  await waitFor(() => (/epoch 1 batch 14\/70 /.test(run.stderr()) ? true : undefined), 'two progress lines');
  run.child.kill(signal);
  expect(await run.exited).toEqual({ code, signal: null });

  const progressLines = run.stderr().split('\n').filter((line) => line.startsWith('epoch '));
  // 49 epochs to come after this one: the run's ETA beside the epoch's once a batch has been timed.
  expect(progressLines[0]).toMatch(/^epoch 1 batch 7\/70 loss \d+\.\d{3} ppl \d+\.\d\d \d+ words\/s ETA \d+m\d\ds \(run (\d+m\d\ds|\d+h\d\dm)\)$/);
  expect(run.stderr()).not.toContain('\r');
  expect(run.stderr()).toContain('rnnlm: stopping after this batch or evaluation window, writing a checkpoint');
  expect(toolLines(run.stderr()).pop()).toBe(`rnnlm: stopped; checkpoint written; resume with: rnnlm train --save ${runDir} --resume`);
  const progress = loadableProgress(runDir);
  expect(progress.epoch).toBe(1);
  expect(progress.batch).toBeGreaterThanOrEqual(14);
  expect(progress.batch).toBeLessThan(BATCHES_PER_EPOCH);
  expect(readReport(runDir).status).toBe('stopped');
});

test('a diverging run stops naming epoch and batch, keeps the last good checkpoint, and resumes with a lower --lr', () => {
  const runDir = path.join(tempDir('rnnlm-diverge-'), 'run');
  expect(rnnlm([...TRAIN, '--epochs', '1', '--max-batches', '10', '--save', runDir, '--json']).status).toBe(0);
  const good = { checkpoint: snapshot(path.join(runDir, 'checkpoint')), model: snapshot(path.join(runDir, 'model')) };

  const diverged = rnnlm(['train', '--save', runDir, '--resume', '--epochs', '2', '--lr', '1e30']);
  expect(diverged.status).toBe(3);
  expect(toolLines(diverged.stderr).pop()).toMatch(new RegExp(
    '^rnnlm: training diverged at epoch 2, batch \\d+: .*; lower --lr or --clip and resume from the last checkpoint: ' +
    `rnnlm train --save ${runDir} --resume --lr 1e\\+29$`));
  expect(diverged.stderr).not.toMatch(/\n\s+at /);
  expect({ checkpoint: snapshot(path.join(runDir, 'checkpoint')), model: snapshot(path.join(runDir, 'model')) }).toEqual(good);
  expect(loadableProgress(runDir)).toMatchObject({ epoch: 2, batch: 0 });
  expect(readReport(runDir)).toMatchObject({ status: 'diverged', epochs: [expect.objectContaining({ epoch: 1 })] });

  const recovered = rnnlm(['train', '--save', runDir, '--resume', '--epochs', '2', '--lr', '1', '--json']);
  expect(recovered.status).toBe(0);
  const report = readReport(runDir);
  expect(report.status).toBe('finished');
  expect(report.epochs.map((m) => [m.epoch, m.lr])).toEqual([[1, 20], [2, 1]]);
});

/** Whether process `pid` still exists. */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts `command ...args` (the trainer, or a wrapper that execs it) from a stand-in parent with the parent's
 * stdio, waits for two progress lines, then SIGKILLs the parent. Returns the trainer's pid and the stderr so far.
 */
async function killParentOfTrainer(command: string, args: string[]): Promise<{ trainer: number; stderr: () => string }> {
  const launcher = `const c = require('child_process').spawn(${JSON.stringify(command)}, ${JSON.stringify(args)}, ` +
    "{ stdio: 'inherit' }); console.log(c.pid); setInterval(() => {}, 1000);";
  const parent = spawn(process.execPath, ['-e', launcher], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  parent.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
  parent.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const trainer = Number(await waitFor(() => stdout.match(/^(\d+)\n/)?.[1], 'the trainer pid'));
  await waitFor(() => (/epoch 1 batch 14\/70 /.test(stderr) ? true : undefined), 'two progress lines');
  parent.kill('SIGKILL');
  return { trainer, stderr: () => stderr };
}

test('when the process that started it is killed (npx under docker stop), the trainer checkpoints and stops as for SIGTERM', async () => {
  const runDir = path.join(tempDir('rnnlm-orphan-'), 'run');
  // The parent stands in for npm.
  const { trainer, stderr } = await killParentOfTrainer(process.execPath, [CLI, ...TRAIN, '--epochs', '50', '--save', runDir]);
  await waitFor(() => (processAlive(trainer) ? undefined : true), 'the orphaned trainer to stop', 30_000);
  expect(stderr()).toMatch(/rnnlm: the parent process \d+ ended: stopping after this batch or evaluation window, writing a checkpoint/);
  expect(toolLines(stderr()).pop()).toBe(`rnnlm: stopped; checkpoint written; resume with: rnnlm train --save ${runDir} --resume`);
  // The trainer notices within half a second, by when a tiny model may be well into its next epoch.
  const { epoch, batch } = loadableProgress(runDir);
  expect((epoch - 1) * BATCHES_PER_EPOCH + batch).toBeGreaterThanOrEqual(14);
  expect(readReport(runDir).status).toBe('stopped');
});

test('a run started with setsid outlives the process that started it (the shell of `setsid rnnlm train … &`)', async () => {
  const runDir = path.join(tempDir('rnnlm-setsid-'), 'run');
  // The parent stands in for a shell that exits; setsid execs the trainer (it forks first only when it leads a
  // process group; this one does not).
  const { trainer, stderr } = await killParentOfTrainer('setsid', [process.execPath, CLI, ...TRAIN, '--epochs', '50', '--save', runDir]);
  // Well past the half-second parent check: the orphaned run goes on.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  expect(processAlive(trainer)).toBe(true);
  expect(stderr()).not.toMatch(/the parent process \d+ ended/);
  process.kill(trainer, 'SIGTERM');
  await waitFor(() => (processAlive(trainer) ? undefined : true), 'the trainer to stop on SIGTERM', 30_000);
  expect(readReport(runDir).status).toBe('stopped');
});

/** The pid in the name of a leftover of an atomic write (`NAME.tmp-TIME-PID-N`, `NAME.old-TIME-PID-N`), else null. */
const leftoverPid = (entry: string): number | null => {
  const match = entry.match(/\.(?:tmp|old)-\d+-(\d+)-\d+$/);
  return match ? Number(match[1]) : null;
};

/**
 * Starts training in `runDir` and SIGKILLs it `kills` times at random moments of its loop, resuming after each
 * kill; after each, the run must load and have moved on, and the next start must remove what the kill left.
 * Returns how often a kill landed inside each kind of save (a leftover of that save was there).
 */
async function killRepeatedly(runDir: string, kills: number, random: () => number): Promise<Map<string, number>> {
  // Five batches per epoch and a checkpoint after every batch, and every stage of every save slowed down by
  // RNNLM_SAVE_PAUSE_MS: most of the time is spent inside saves of model, checkpoint and report, so random
  // kills land inside them, at every stage, whatever the machine's speed.
  const fresh = [...TRAIN, '--backend', 'cpu', '--epochs', '100000', '--max-batches', '5', '--checkpoint-every', '1', '--save', runDir];
  const resume = ['train', '--save', runDir, '--resume', '--backend', 'cpu'];
  const killedInside = new Map<string, number>();
  let previous = 0;
  for (let kill = 0; kill < kills; kill++) {
    const run = startRnnlm(kill === 0 ? fresh : resume, { RNNLM_SAVE_PAUSE_MS: '8' });
    const pid = run.child.pid as number;
    let exited = false;
    void run.exited.then(() => { exited = true; });
    const started = (): boolean => (kill === 0 ? fs.existsSync(path.join(runDir, 'checkpoint')) : run.stderr().includes('resuming at epoch'));
    await waitFor(() => {
      if (exited) throw new Error(`run ${kill} ended before training: ${run.stderr()}`);
      return started() ? true : undefined;
    }, `start ${kill}`);
    // The start cleaned up after the previous kill: only this process's own writes may be in flight.
    expect(fs.readdirSync(runDir).filter((entry) => ![null, pid].includes(leftoverPid(entry)))).toEqual([]);
    // Killed once it is saving and training (after its first own checkpoint), at a random moment of that loop.
    await waitFor(() => {
      const progress = checkpointProgress(runDir);
      return progress && progress.epoch * 1000 + progress.batch > previous ? true : undefined;
    }, `the first checkpoint of run ${kill}`);
    await new Promise((resolve) => setTimeout(resolve, random() * 150));
    run.child.kill('SIGKILL');
    await run.exited;

    for (const entry of fs.readdirSync(runDir)) {
      if (leftoverPid(entry) === null) continue;
      const name = entry.replace(/\.(tmp|old)-.*$/, '');
      killedInside.set(name, (killedInside.get(name) ?? 0) + 1);
    }
    const progress = loadableProgress(runDir);
    const position = progress.epoch * 1000 + progress.batch;
    expect(position).toBeGreaterThan(previous);
    previous = position;
    if (fs.existsSync(path.join(runDir, 'model')) || fs.readdirSync(runDir).some((e) => e.startsWith('model.old-'))) {
      loadModel(path.join(runDir, 'model')).model.dispose();
    }
  }
  const { epoch } = loadableProgress(runDir);
  const finished = await rnnlmAsync([...resume, '--epochs', String(epoch)]);
  expect(finished.status).toBe(0);
  expect(fs.readdirSync(runDir).sort()).toEqual(['checkpoint', 'learning-curve.svg', 'model', 'report.json', 'report.md']);
  return killedInside;
}

test('SIGKILL at 50 random moments, many inside saves: after each kill the run loads and resumes, and the next start removes what the kill left', async () => {
  // Two runs of 25 kills side by side: each cycle is mostly the start of a node process.
  const chains = await Promise.all([1, 2].map((seed) => killRepeatedly(path.join(tempDir('rnnlm-kills-'), 'run'), 25, rng(2024 + seed))));
  const killedInside = new Map<string, number>();
  for (const chain of chains) for (const [name, count] of chain) killedInside.set(name, (killedInside.get(name) ?? 0) + count);
  // Where the kills landed (a leftover shows a save in progress), for the log and as a check that saves were hit.
  console.log(`kills inside saves: ${JSON.stringify(Object.fromEntries(killedInside))}`);
  expect(killedInside.get('checkpoint') ?? 0).toBeGreaterThanOrEqual(1);
  expect([...killedInside.values()].reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(10);
});

test('a reader that stops early (`rnnlm train … | head`) does not end the run: it trains to the end and saves', async () => {
  const runDir = path.join(tempDir('rnnlm-head-'), 'run');
  const child = spawn(process.execPath, [CLI, ...TRAIN, '--epochs', '2', '--save', runDir], { stdio: ['ignore', 'pipe', 'ignore'] });
  child.stdout.once('data', () => child.stdout.destroy()); // the epoch table's first lines, then the reader is gone
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect(code).toBe(0);
  expect(readReport(runDir).status).toBe('finished');
  expect(readReport(runDir).epochs).toHaveLength(2);
});
