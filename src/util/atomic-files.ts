import * as fs from 'fs';
import * as path from 'path';
import { DiskFullError } from '../errors';

/**
 * Durable, atomic writes of the files a run owns. A file or directory is written whole under a temporary
 * sibling name (`NAME.tmp-TIME-PID-N`): every write(2) looped until all bytes are out (a full disk can write
 * less than asked), each file fsynced, re-read and compared with what was meant, the directory fsynced; only
 * then is it renamed into place and the parent fsynced. On any error the temporary copy is removed and what
 * was there before is left as it was. A full disk (ENOSPC, EDQUOT) is a DiskFullError that says how much the
 * save needed.
 */

const DISK_FULL_CODES = ['ENOSPC', 'EDQUOT'];
let temporaryCount = 0;

/** Time first, so that the names of set-aside copies sort by age. */
const temporaryName = (target: string): string => `${target}.tmp-${Date.now()}-${process.pid}-${temporaryCount++}`;

/** "1.4 MB (1,398,101 bytes)". */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB'];
  const exponent = Math.min(units.length - 1, Math.floor(Math.log10(Math.max(bytes, 1)) / 3));
  const exact = `${bytes.toLocaleString('en-US')} bytes`;
  return exponent === 0 ? exact : `${(bytes / 1000 ** exponent).toFixed(1)} ${units[exponent]} (${exact})`;
}

function noSpaceError(): NodeJS.ErrnoException {
  return Object.assign(new Error('ENOSPC: no space left on device, write made no progress'), { code: 'ENOSPC' });
}

/** Writes all of `data` at the file position of `fd`, looping over short writes; a write of 0 bytes means the disk is full. */
export function writeFully(fd: number, data: Buffer): void {
  let offset = 0;
  while (offset < data.length) {
    const written = fs.writeSync(fd, data, offset, data.length - offset);
    if (written <= 0) throw noSpaceError();
    offset += written;
  }
}

/** fsync of a directory makes the names in it (a rename, a new file) durable; some file systems cannot, which is fine. */
function fsyncDirectory(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } catch (error) {
    if (!['EINVAL', 'EISDIR', 'ENOTSUP', 'EPERM'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
  } finally {
    fs.closeSync(fd);
  }
}

/** Creates `file` (it must not exist) with `data`, fsynced, and checks that what is on disk is `data`. */
function writeNewFile(file: string, data: Buffer): void {
  const fd = fs.openSync(file, 'wx');
  try {
    writeFully(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  const back = fs.readFileSync(file);
  if (!back.equals(data)) {
    throw new Error(`${file} reads back ${back.length} bytes that differ from the ${data.length} written`);
  }
}

const toBuffer = (contents: string | Buffer): Buffer => (typeof contents === 'string' ? Buffer.from(contents) : contents);

/** A full disk as a DiskFullError naming what was being saved and how much it needed; other errors as they are. */
function explain(error: unknown, target: string, bytesNeeded: number): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (!code || !DISK_FULL_CODES.includes(code)) return error;
  let free = '';
  try {
    const stats = fs.statfsSync(path.dirname(target));
    free = `, ${formatBytes(stats.bavail * stats.bsize)} free`;
  } catch {
    // the free space is a detail of the message
  }
  const what = code === 'EDQUOT' ? 'disk quota exceeded' : 'the disk is full';
  return new DiskFullError(`${what}: saving ${target} needs ${formatBytes(bytesNeeded)}${free}; what it would replace is intact`, bytesNeeded);
}

const removeQuietly = (entry: string): void => {
  try {
    fs.rmSync(entry, { recursive: true, force: true });
  } catch {
    // a leftover that cannot be removed now is removed by the next write's cleanup
  }
};

/**
 * Removes what killed writes of `target` left next to it: `target.tmp-*` copies, and `target.old-*` copies
 * once `target` exists; when `target` is missing (killed between the two renames) the newest set-aside copy
 * becomes `target` again.
 */
export function cleanLeftovers(target: string): void {
  const parent = path.dirname(target);
  const base = path.basename(target);
  let entries: string[];
  try {
    entries = fs.readdirSync(parent);
  } catch {
    return;
  }
  for (const entry of entries) if (entry.startsWith(`${base}.tmp-`)) removeQuietly(path.join(parent, entry));
  const aside = entries.filter((entry) => entry.startsWith(`${base}.old-`)).sort();
  if (aside.length > 0 && !fs.existsSync(target)) fs.renameSync(path.join(parent, aside.pop() as string), target);
  for (const entry of aside) removeQuietly(path.join(parent, entry));
}

/**
 * Fault-test seam: with RNNLM_SAVE_PAUSE_MS=N every stage of a save (files written, old set aside, new renamed
 * in) waits N ms, so that the kill tests (test/cli/faults.test.ts) land their SIGKILLs inside saves, at every
 * stage, instead of by luck. Unset, it costs one environment lookup per stage.
 */
function pauseForFaultTests(): void {
  const ms = Number(process.env.RNNLM_SAVE_PAUSE_MS);
  if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Writes `files` (name → contents) as directory `target`, atomically: everything goes into a temporary
 * sibling, the old directory is renamed aside, the new one renamed into place, the old removed. If the
 * process dies between the two renames, `resolveDirectory` (readers) and `cleanLeftovers` (the next writer)
 * find the set-aside copy.
 */
export function writeDirectoryAtomically(target: string, files: Record<string, string | Buffer>): void {
  const parent = path.dirname(target);
  fs.mkdirSync(parent, { recursive: true });
  cleanLeftovers(target);
  const buffers = Object.entries(files).map(([name, contents]) => [name, toBuffer(contents)] as const);
  const bytesNeeded = buffers.reduce((sum, [, data]) => sum + data.length, 0);
  const temporary = temporaryName(target);
  const aside = `${target}.old-${path.basename(temporary).slice(path.basename(target).length + '.tmp-'.length)}`;
  let setAside = false;
  try {
    fs.mkdirSync(temporary);
    for (const [name, data] of buffers) {
      writeNewFile(path.join(temporary, name), data);
      pauseForFaultTests();
    }
    fsyncDirectory(temporary);
    if (fs.existsSync(target)) {
      fs.renameSync(target, aside);
      setAside = true;
      pauseForFaultTests();
    }
    fs.renameSync(temporary, target);
    fsyncDirectory(parent);
    pauseForFaultTests();
  } catch (error) {
    if (setAside && !fs.existsSync(target)) fs.renameSync(aside, target);
    removeQuietly(temporary);
    throw explain(error, target, bytesNeeded);
  }
  if (setAside) removeQuietly(aside);
}

/** Writes one file through a temporary sibling and a rename: readers see the old or the new file, never half. */
export function writeFileAtomically(file: string, contents: string | Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const data = toBuffer(contents);
  const temporary = temporaryName(file);
  try {
    writeNewFile(temporary, data);
    pauseForFaultTests();
    fs.renameSync(temporary, file);
    fsyncDirectory(path.dirname(file));
  } catch (error) {
    removeQuietly(temporary);
    throw explain(error, file, data.length);
  }
}

/**
 * Writes a file the user named (e.g. `report --out`). A regular file (or a new one) is written atomically; a
 * symlink is followed and its target written, so the link stays a link; a device, pipe or socket
 * (`/dev/stdout`, a FIFO) is written in place, never renamed over.
 */
export function writeUserFile(file: string, contents: string | Buffer): void {
  let target = file;
  if (fs.lstatSync(file, { throwIfNoEntry: false })?.isSymbolicLink()) {
    try {
      target = fs.realpathSync(file);
    } catch {
      // a dangling link, or one into /proc that names a pipe: writing through the link is all there is
      fs.writeFileSync(file, contents);
      return;
    }
  }
  const stats = fs.statSync(target, { throwIfNoEntry: false });
  if (stats && !stats.isFile()) fs.writeFileSync(target, contents);
  else writeFileAtomically(target, contents);
}

/** `dir`, or the copy set aside by a write that died between its two renames. */
export function resolveDirectory(dir: string): string | null {
  if (fs.existsSync(dir)) return dir;
  const parent = path.dirname(dir);
  if (!fs.existsSync(parent)) return null;
  const aside = fs.readdirSync(parent).filter((e) => e.startsWith(`${path.basename(dir)}.old-`)).sort();
  return aside.length > 0 ? path.join(parent, aside[aside.length - 1]) : null;
}
