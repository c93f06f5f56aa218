import { ChildProcess, execFile, spawn, spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { quote } from 'shell-quote';

/** The compiled CLI, as `npx rnnlm` runs it (`npm test` compiles first, see "pretest"). */
export const CLI = path.resolve(__dirname, '../../dist/cli/rnnlm.js');

/**
 * The CLI runs as a user runs it: RNNLM_BACKEND is the test suite's switch, not the tool's, and
 * TF_CPP_MIN_LOG_LEVEL is what this process set when it loaded TensorFlow (src/backend.ts), not the user's.
 */
const cliEnv = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv =>
  ({ ...process.env, RNNLM_BACKEND: undefined, TF_CPP_MIN_LOG_LEVEL: undefined, ...extra });

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function rnnlm(args: string[], env: NodeJS.ProcessEnv = {}): CliResult {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: cliEnv(env) });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** `rnnlm` without blocking, so that several can run at once. */
export function rnnlmAsync(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: cliEnv(env) }, (error, stdout, stderr) => {
      resolve({ status: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}

/** A CLI process running in the background, its output collected as it comes. */
export interface RunningCli {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (null when killed by a signal) and the signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startRnnlm(args: string[], env: NodeJS.ProcessEnv = {}): RunningCli {
  const child = spawn(process.execPath, [CLI, ...args], { env: cliEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
  child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Polls `condition` every 10 ms until it returns a value other than undefined; fails after `timeoutMs`. */
export async function waitFor<T>(condition: () => T | undefined, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = condition();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * The lines of stderr that the tool wrote. TensorFlow's C library prints absl/oneDNN lines of its own when the
 * native backend loads; the tool silences them, but without the process addon it cannot on the sockets these
 * helpers' children get from Node (src/backend/quiet-stderr.ts), so they are dropped here.
 */
export function toolLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line !== '' && !line.startsWith('I0000') && !line.startsWith('WARNING: All log messages'));
}

/** How `rnnlmStderrThrough` gives the tool its stderr. */
export const STDERR_KINDS = ['pipe', 'appended file', 'file'] as const;

/**
 * `rnnlm` run by a shell with its stderr a pipe (`2>&1 | cat`), appended to a file (`2>>log`) or a file the
 * shell opened for writing (`2>log`), where the shell then writes its status line through its own descriptor:
 * it must come after the tool's lines, not over them. stdout is discarded. Its stderr as one string.
 */
export function rnnlmStderrThrough(how: (typeof STDERR_KINDS)[number], args: string[]): { status: number | null; stderr: string } {
  const command = quote([process.execPath, CLI, ...args]);
  if (how === 'file') {
    const log = path.join(tempDir('rnnlm-log-'), 'log');
    spawnSync('sh', ['-c', `{ ${command} >/dev/null; echo "status $?" >&2; } 2>${quote([log])}`], { encoding: 'utf8', env: cliEnv() });
    const lines = fs.readFileSync(log, 'utf8').trimEnd().split('\n');
    const status = /^status (\d+)$/.exec(lines.pop() ?? '')?.[1];
    return { status: status === undefined ? null : Number(status), stderr: lines.join('\n') };
  }
  if (how === 'pipe') {
    const result = spawnSync('sh', ['-c', `{ ${command} 2>&1 >/dev/null; echo "status $?"; } | cat`], { encoding: 'utf8', env: cliEnv() });
    const lines = result.stdout.trimEnd().split('\n');
    const status = Number(lines.pop()?.replace('status ', ''));
    return { status, stderr: lines.join('\n') };
  }
  const log = path.join(tempDir('rnnlm-log-'), 'log');
  fs.writeFileSync(log, 'earlier line\n');
  const result = spawnSync('sh', ['-c', `${command} >/dev/null 2>>${quote([log])}`], { encoding: 'utf8', env: cliEnv() });
  return { status: result.status, stderr: fs.readFileSync(log, 'utf8').replace(/^earlier line\n/, '').trimEnd() };
}

/** Every temporary directory of a test file lives under one root, removed when the file's tests are done. */
const scratchRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlm-cli-test-'));
const mounts: string[] = [];
afterAll(() => {
  for (const dir of mounts) spawnSync('umount', [dir]);
  fs.rmSync(scratchRoot, { recursive: true, force: true });
});

/**
 * A real small file system: a tmpfs of `size` (e.g. "2m") mounted on a new directory, `readOnly` if asked.
 * Only root may mount; elsewhere (or where mounting is not allowed) this is null and a test falls back.
 */
export function smallFilesystem(size: string, options: { readOnly?: boolean } = {}): string | null {
  if (process.getuid?.() !== 0) return null;
  const dir = tempDir('rnnlm-tmpfs-');
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}${options.readOnly ? ',ro' : ''}`, 'tmpfs', dir]);
  if (mounted.status !== 0) return null;
  mounts.push(dir);
  return dir;
}

/** Remounts a `smallFilesystem` read-only (after files were put on it). */
export function makeReadOnly(dir: string): void {
  const remounted = spawnSync('mount', ['-o', 'remount,ro', dir]);
  if (remounted.status !== 0) throw new Error(`cannot remount ${dir} read-only: ${remounted.stderr}`);
}

/**
 * A directory nobody may write: a read-only tmpfs as root (root ignores permissions), else mode 0555. The
 * second value says which, for the test's name.
 */
export function unwritableDirectory(): { dir: string; how: string } {
  const mounted = smallFilesystem('1m', { readOnly: true });
  if (mounted) return { dir: mounted, how: 'a read-only tmpfs' };
  const dir = tempDir('rnnlm-readonly-');
  fs.chmodSync(dir, 0o555);
  return { dir, how: 'a directory with mode 0555' };
}

export const tempDir = (prefix: string): string => fs.mkdtempSync(path.join(scratchRoot, prefix));

export const LINE = 'the cat sat on the mat and the dog sat on the log';

/** A corpus directory: `lines` copies of LINE for training, two lines for valid, one for test (overridable). */
export function tinyCorpus(lines = 200, files: Record<string, string | Buffer> = {}): string {
  const dir = tempDir('rnnlm-corpus-');
  const all: Record<string, string | Buffer> = {
    'train.txt': `${Array.from({ length: lines }, () => LINE).join('\n')}\n`,
    'valid.txt': `${LINE}\n${LINE}\n`,
    'test.txt': `${LINE}\n`,
    ...files,
  };
  for (const [name, contents] of Object.entries(all)) fs.writeFileSync(path.join(dir, name), contents);
  return dir;
}

/** Flags of a model small enough to train in a second: 1×16 LSTM, batch 4, bptt 5. */
export const TINY_MODEL = ['--layers', '1', '--hidden', '16', '--embedding', '16', '--batch-size', '4', '--bptt', '5'];

/** Every file under `dir` with a hash of its contents: two snapshots are equal when nothing was changed. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const file = path.join(dir, entry);
    if (fs.statSync(file).isFile()) out[entry] = createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  }
  return out;
}
