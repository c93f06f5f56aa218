import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { ConfigError, RunLockedError } from '../../src/errors';
import { acquireRunLock, lockHolder } from '../../src/util/run-lock';

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlm-lock-'));

/** The pid of a process that has ended. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

test('one holder at a time; released, the directory it created is removed again', () => {
  const runDir = path.join(tmp(), 'run');
  const lock = acquireRunLock(runDir, 'first');
  expect(lockHolder(runDir)).toMatchObject({ pid: process.pid, command: 'first' });
  expect(() => acquireRunLock(runDir, 'second')).toThrow(RunLockedError);
  expect(() => acquireRunLock(runDir, 'second')).toThrow(new RegExp(`is in use by process ${process.pid} \\(first, since .*\\): wait for it to finish, or stop it \\(kill ${process.pid}\\)`));
  lock.release();
  expect(fs.existsSync(runDir)).toBe(false);
});

test('the lock of a process that is gone is stale: taken over, with what a killed takeover left', () => {
  const runDir = tmp();
  const file = path.join(runDir, 'run.lock');
  fs.writeFileSync(file, JSON.stringify({ pid: deadPid(), hostname: os.hostname(), processStart: null, command: 'killed', since: 'then' }));
  fs.writeFileSync(`${file}.stale-12345`, '{}');
  expect(lockHolder(runDir)).toBeNull();
  const lock = acquireRunLock(runDir, 'next');
  expect(lockHolder(runDir)).toMatchObject({ pid: process.pid, command: 'next' });
  expect(fs.readdirSync(runDir)).toEqual(['run.lock']);
  lock.release();
  expect(fs.readdirSync(runDir)).toEqual([]);
});

test('a pid reused by another process does not hold the lock (start times differ)', () => {
  const runDir = tmp();
  fs.writeFileSync(path.join(runDir, 'run.lock'), JSON.stringify({ pid: process.pid, hostname: os.hostname(), processStart: 1, command: 'old', since: 'then' }));
  const expected = fs.existsSync('/proc/self/stat') ? null : expect.anything();
  expect(lockHolder(runDir)).toEqual(expected);
});

test('a directory that cannot be created is a ConfigError naming save', () => {
  const file = path.join(tmp(), 'file');
  fs.writeFileSync(file, '');
  expect(() => acquireRunLock(path.join(file, 'run'), 'x')).toThrow(ConfigError);
  expect(() => acquireRunLock(path.join(file, 'run'), 'x')).toThrow(/^save .*run cannot be written \(ENOTDIR/);
});
