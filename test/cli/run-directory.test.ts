import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'shell-quote';
import { CLI, TINY_MODEL, rnnlm, startRnnlm, tempDir, tinyCorpus, toolLines, unwritableDirectory, waitFor } from './run-cli';

/** One writer per run directory, what a killed run leaves, and messages whose next step works from there. */

const corpus = tinyCorpus(100);
const TRAIN = ['train', '--data', corpus, ...TINY_MODEL, '--seed', '7', '--backend', 'cpu'];

/** The words of a command the tool printed, with `rnnlm` as the compiled CLI, ready to run. */
function pasted(line: string): string[] {
  const words = parse(line) as string[];
  expect(words.slice(0, 1)).toEqual(['rnnlm']);
  expect(words.every((word) => typeof word === 'string')).toBe(true);
  return words.slice(1);
}

const leftovers = (dir: string): string[] => fs.readdirSync(dir).filter((entry) => /\.(tmp|old)-/.test(entry) || entry === 'run.lock');

test('a second writer is refused naming the process; kill -9 leaves "stopped" in report, and the next start takes the stale lock and cleans up', async () => {
  const runDir = path.join(tempDir('rnnlm-lock-'), 'run');
  const first = startRnnlm([...TRAIN, '--epochs', '50', '--save', runDir]);
  await waitFor(() => (fs.existsSync(path.join(runDir, 'report.json')) ? true : undefined), 'the first epoch');
  const pid = first.child.pid as number;

  for (const args of [['train', '--save', runDir, '--resume'], [...TRAIN, '--save', runDir], [...TRAIN, '--save', runDir, '--force']]) {
    const second = rnnlm(args);
    expect({ status: second.status, lines: toolLines(second.stderr) }).toEqual({
      status: 1,
      lines: [expect.stringMatching(new RegExp(`^rnnlm: ${runDir} is in use by process ${pid} \\(rnnlm train --data .*, since .*\\): ` +
        `wait for it to finish, or stop it \\(kill ${pid}\\); a directory takes one writer at a time$`))],
    });
  }
  // A run of 50 epochs is far from its end: the status says how far it is and how long is left.
  const toGo = / \(epoch \d+ of 50 done; about (\d+m\d\ds|\d+h\d\dm) of training to go at the \d+m\d\ds its last epoch took\)\n/.source;
  expect(rnnlm(['report', runDir]).stdout).toMatch(new RegExp(`^- status: running${toGo}`));

  first.child.kill('SIGKILL');
  await first.exited;
  expect(rnnlm(['report', runDir]).stdout).toMatch(new RegExp(`^- status: stopped${toGo}`));
  expect(leftovers(runDir)).toContain('run.lock');
  // What writes killed half-way leave behind (a kill can land inside any save).
  fs.cpSync(path.join(runDir, 'checkpoint'), path.join(runDir, 'checkpoint.old-1000000000000-1-0'), { recursive: true });
  fs.mkdirSync(path.join(runDir, 'model.tmp-1000000000000-1-0'));
  fs.writeFileSync(path.join(runDir, 'report.json.tmp-1000000000000-1-0'), '{');

  const { epoch } = JSON.parse(fs.readFileSync(path.join(runDir, 'checkpoint', 'checkpoint.json'), 'utf8')).progress;
  const resumed = startRnnlm(['train', '--save', runDir, '--resume', '--epochs', String(epoch)]);
  await waitFor(() => (resumed.stderr().includes('resuming at epoch') ? true : undefined), 'the resumed run to start');
  expect(leftovers(runDir).filter((entry) => entry.includes('1000000000000'))).toEqual([]);
  expect(await resumed.exited).toEqual({ code: 0, signal: null });
  expect(leftovers(runDir)).toEqual([]);
  expect(rnnlm(['report', runDir]).stdout).toMatch(/^- status: finished\n/);
});

test('a run directory that cannot be written is refused before training starts', () => {
  const { dir, how } = unwritableDirectory();
  const started = Date.now();
  const result = rnnlm([...TRAIN, '--save', path.join(dir, 'run')]);
  expect({ how, status: result.status, lines: toolLines(result.stderr), stdout: result.stdout }).toEqual({
    how, status: 1, stdout: '',
    lines: [expect.stringMatching(/^rnnlm: --save .*run cannot be written \((EROFS|EACCES)[^)]*\): choose a directory you can write, or fix its permissions$/)],
  });
  expect(Date.now() - started).toBeLessThan(20_000);
});

test('a run that diverges before its first checkpoint names a next step that works, and so does --resume there', () => {
  const runDir = path.join(tempDir('rnnlm-early-'), 'run');
  const diverged = rnnlm([...TRAIN, '--max-batches', '5', '--lr', '1e30', '--save', runDir]);
  expect(diverged.status).toBe(3);
  const line = toolLines(diverged.stderr).pop() as string;
  const start = line.match(/; lower --lr or --clip and start again \(there is no checkpoint yet\): (rnnlm train .*)$/);
  expect(start).not.toBeNull();
  const again = pasted((start as RegExpMatchArray)[1]);
  expect(again).toEqual(expect.arrayContaining(['--save', runDir, '--force', '--lr', '1e+29', '--data', corpus]));

  const resume = rnnlm(['train', '--save', runDir, '--resume']);
  expect(resume.status).toBe(1);
  const advice = (toolLines(resume.stderr).pop() as string).match(/has no checkpoint to resume from .*; start it again with (rnnlm train .*)$/);
  expect(advice).not.toBeNull();
  const plain = rnnlm([...TRAIN, '--save', runDir]);
  expect(toolLines(plain.stderr).pop()).toMatch(/holds a run that stopped before its first checkpoint, so there is nothing to resume: start it again with rnnlm train .* --force/);

  // The advised command is accepted: it starts the run again (and, with that lr, diverges again).
  const restarted = rnnlm((pasted((advice as RegExpMatchArray)[1])));
  expect(toolLines(restarted.stderr).pop()).toMatch(/^rnnlm: training diverged at epoch 1/);
  expect(restarted.status).toBe(3);
});

test('the printed resume command is shell-quoted: a run directory with spaces, quotes and non-ASCII pastes back', async () => {
  const runDir = path.join(tempDir('rnnlm-quote-'), "my run's é");
  const run = startRnnlm([...TRAIN, '--epochs', '50', '--save', runDir]);
  await waitFor(() => (/epoch 1 batch 7\/70 /.test(run.stderr()) ? true : undefined), 'a progress line');
  run.child.kill('SIGTERM');
  expect(await run.exited).toEqual({ code: 143, signal: null });
  const line = toolLines(run.stderr()).pop() as string;
  const command = (line.match(/resume with: (.*)$/) as RegExpMatchArray)[1];
  expect(pasted(command)).toEqual(['train', '--save', runDir, '--resume']);
  const report = JSON.parse(fs.readFileSync(path.join(runDir, 'report.json'), 'utf8'));
  expect(pasted(report.command)).toEqual([...TRAIN, '--epochs', '50', '--save', runDir]);
  const resumed = rnnlm([...pasted(command), '--epochs', '1']);
  expect(resumed.status).toBe(0);
  expect(CLI).toMatch(/rnnlm\.js$/);
});
