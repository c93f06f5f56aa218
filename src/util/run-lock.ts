import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ConfigError, RunLockedError } from '../errors';
import { writeFully } from './atomic-files';
import { runPaths } from './run-directory';

/**
 * The lock of a run directory: `DIR/run.lock`, created exclusively by the process that trains in DIR and
 * removed when it ends. It names its holder, so a second writer is refused with the process to wait for; a
 * lock whose process is gone (kill -9, a crash, a reboot) is stale and taken over. Liveness is the process
 * id on this host, with the process's start time where /proc has it, so a recycled pid is not mistaken for
 * the holder.
 */
export interface LockHolder {
  pid: number;
  hostname: string;
  /** Start time of the process in clock ticks since boot (Linux), null elsewhere. */
  processStart: number | null;
  command: string;
  since: string;
}

/** A lock file this young that cannot be parsed is being written by its creator, not left behind. */
const UNREADABLE_LOCK_GRACE_MS = 5000;
const TAKEOVER_ATTEMPTS = 5;

function processStart(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22; the command name (field 2) may hold spaces and parentheses, so count from its closing one.
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  } catch {
    return null;
  }
}

function isAlive(holder: LockHolder): boolean {
  if (holder.hostname !== os.hostname()) return true; // another machine's process: we cannot tell, so it holds
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const start = processStart(holder.pid);
  return holder.processStart === null || start === null || start === holder.processStart;
}

function readHolder(file: string): LockHolder | 'unreadable' | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    const holder = JSON.parse(text) as LockHolder;
    if (Number.isInteger(holder.pid) && typeof holder.hostname === 'string') return holder;
  } catch {
    // fall through
  }
  return 'unreadable';
}

/** The live process holding the run directory's lock, or null (no lock, or a stale one). */
export function lockHolder(runDir: string): LockHolder | null {
  const file = runPaths(runDir).lock;
  const holder = readHolder(file);
  if (holder === null) return null;
  if (holder === 'unreadable') return isFresh(file) ? unknownHolder() : null;
  return isAlive(holder) ? holder : null;
}

function isFresh(file: string): boolean {
  const stats = fs.statSync(file, { throwIfNoEntry: false });
  return stats !== undefined && Date.now() - stats.mtimeMs < UNREADABLE_LOCK_GRACE_MS;
}

const unknownHolder = (): LockHolder => ({ pid: 0, hostname: os.hostname(), processStart: null, command: 'a process taking the lock', since: '' });

function describeHolder(holder: LockHolder): string {
  const who = holder.pid > 0 ? `process ${holder.pid}${holder.hostname === os.hostname() ? '' : ` on ${holder.hostname}`}` : 'another process';
  return `${who} (${holder.command}${holder.since ? `, since ${holder.since}` : ''})`;
}

function unwritable(runDir: string, error: unknown, flag: string): ConfigError {
  const reason = (error as Error).message.split('\n')[0];
  return new ConfigError((option) =>
    `${option(flag)} ${runDir} cannot be written (${reason}): choose a directory you can write, or fix its permissions`);
}

export interface RunLock {
  /** Removes the lock (if it is still ours) and the run directory if the lock made it and nothing else was written. */
  release(): void;
}

/**
 * Takes the lock of `runDir`, creating the directory if needed. A directory that cannot be created or
 * written is a ConfigError naming the option that gave it (`flag`: a run's `save`, a tuning's `tuneDir`) now,
 * before any work; a live holder is a RunLockedError naming it.
 */
export function acquireRunLock(runDir: string, command: string, flag = 'save'): RunLock {
  const created = !fs.existsSync(runDir);
  try {
    fs.mkdirSync(runDir, { recursive: true });
  } catch (error) {
    // A recursive mkdir on a read-only file system says ENOENT; a plain one says why.
    try {
      fs.mkdirSync(runDir);
    } catch (reason) {
      throw unwritable(runDir, reason, flag);
    }
    throw unwritable(runDir, error, flag);
  }
  const file = runPaths(runDir).lock;
  const mine: LockHolder = {
    pid: process.pid, hostname: os.hostname(), processStart: processStart(process.pid), command, since: new Date().toISOString(),
  };
  const text = JSON.stringify(mine);
  for (let attempt = 0; attempt < TAKEOVER_ATTEMPTS; attempt++) {
    let fd: number;
    try {
      fd = fs.openSync(file, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw unwritable(runDir, error, flag);
      takeOverIfStale(runDir, file);
      continue;
    }
    try {
      writeFully(fd, Buffer.from(text));
      fs.fsyncSync(fd);
    } catch (error) {
      fs.rmSync(file, { force: true });
      throw unwritable(runDir, error, flag);
    } finally {
      fs.closeSync(fd);
    }
    removeStaleCopies(file);
    return {
      release(): void {
        if (readHolder(file) !== null && fs.readFileSync(file, 'utf8') === text) fs.rmSync(file, { force: true });
        if (created && fs.readdirSync(runDir).length === 0) fs.rmdirSync(runDir);
      },
    };
  }
  throw new RunLockedError(`${runDir} is being locked by several processes at once: start one run at a time`);
}

const staleName = (file: string, pid: number): string => `${file}.stale-${pid}`;

/** Stale locks a takeover moved aside and was killed before removing; once we hold the lock nobody else moves one. */
function removeStaleCopies(file: string): void {
  const prefix = path.basename(staleName(file, 0)).replace(/0$/, '');
  for (const entry of fs.readdirSync(path.dirname(file))) {
    if (entry.startsWith(prefix)) fs.rmSync(path.join(path.dirname(file), entry), { force: true });
  }
}

/** Removes the lock if its process is gone; a live holder is a RunLockedError. */
function takeOverIfStale(runDir: string, file: string): void {
  const holder = readHolder(file);
  if (holder === null) return;
  const stale = holder === 'unreadable' ? !isFresh(file) : !isAlive(holder);
  if (!stale) {
    const named = holder === 'unreadable' ? unknownHolder() : holder;
    const stop = named.pid > 0 && named.hostname === os.hostname() ? `, or stop it (kill ${named.pid})` : '';
    throw new RunLockedError(`${runDir} is in use by ${describeHolder(named)}: wait for it to finish${stop}; a directory takes one writer at a time`);
  }
  // Renamed, not removed: if another process took the stale lock over first, what we moved is its fresh lock.
  const moved = staleName(file, process.pid);
  try {
    fs.renameSync(file, moved);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const what = readHolder(moved);
  const same = holder === 'unreadable' ? what === 'unreadable' : what !== null && what !== 'unreadable' && what.pid === holder.pid && what.since === holder.since;
  if (!same) {
    try {
      fs.linkSync(moved, file); // give it back; if yet another lock appeared meanwhile, that one stands
    } catch {
      // the next attempt reads whichever lock is there
    }
  }
  fs.rmSync(moved, { force: true });
}
