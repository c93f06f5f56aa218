import * as fs from 'fs';
import { loadProcessAddon } from './process-addon';

/**
 * Runs `load` with file descriptor 2 pointed at /dev/null, then points it back at what it was. TensorFlow's C
 * library writes its start-up lines ("oneDNN custom operations are on", the CPU features) through absl before
 * any log level applies, straight to fd 2, so no environment variable silences them. The process addon does it
 * with dup and dup2 (native/process/process.cc), which put back any kind of stderr exactly. Without the addon
 * (no C++ compiler at install) it is done from JavaScript, which has no dup2 (`withStderrReopened`); where
 * neither can, `load` runs as it is.
 */
export function withStderrSilenced<T>(load: () => T): T {
  const addon = loadProcessAddon();
  const saved = typeof addon === 'string' ? -1 : addon.stderrToNull();
  if (typeof addon === 'string' || saved < 0) return withStderrReopened(load);
  try {
    return load();
  } finally {
    addon.restoreStderr(saved);
  }
}

/**
 * `withStderrSilenced` without dup2: closing fd 2 makes it the lowest free descriptor, which the next open takes,
 * and /proc/self/fd/N reopens the original stderr: a terminal, a pipe, or a file opened for appending (`2>>log`,
 * nohup.out). A file opened otherwise (`2>log`, `>log 2>&1`) is not: reopened, it would get an offset of its own,
 * and lines written to it later through the shell's descriptor would overwrite ours. There, and where it cannot
 * be done at all (a socket, no /proc, fd 0 or 1 closed so that 2 would not be the descriptor reused), `load`
 * runs as it is.
 */
function withStderrReopened<T>(load: () => T): T {
  let saved: number;
  try {
    fs.fstatSync(0);
    fs.fstatSync(1);
    if (!reopenable()) return load();
    saved = fs.openSync('/proc/self/fd/2', 'a');
  } catch {
    return load();
  }
  fs.closeSync(2);
  let devNull: number | null = null;
  try {
    devNull = fs.openSync('/dev/null', 'a'); // takes fd 2: it is the lowest free one
    return load();
  } finally {
    if (devNull !== null) fs.closeSync(devNull);
    fs.openSync(`/proc/self/fd/${saved}`, 'a'); // takes fd 2 again
    fs.closeSync(saved);
  }
}

/** O_APPEND in the octal `flags:` line of /proc/self/fdinfo. */
const O_APPEND = 0o2000;

/** Whether fd 2 can be reopened through /proc without changing where its later lines go. */
function reopenable(): boolean {
  const stderr = fs.fstatSync(2);
  if (stderr.isFIFO() || stderr.isCharacterDevice()) return true;
  if (!stderr.isFile()) return false;
  const flags = /^flags:\s*([0-7]+)$/m.exec(fs.readFileSync('/proc/self/fdinfo/2', 'utf8'))?.[1];
  return flags !== undefined && (parseInt(flags, 8) & O_APPEND) !== 0;
}
