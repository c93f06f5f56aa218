import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DiskFullError } from '../../src/errors';
import { cleanLeftovers, formatBytes, writeDirectoryAtomically, writeFileAtomically, writeUserFile } from '../../src/util/atomic-files';

// The module under test calls the `fs` module's functions at call time, so a spy on the module replaces them.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const realFs: typeof fs = require('fs');

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlm-atomic-'));
const enospc = (): NodeJS.ErrnoException => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
const originalWrite = realFs.writeSync.bind(realFs) as (fd: number, data: Buffer, offset: number, length: number) => number;

/** write(2) as a nearly full disk does it: at most `chunk` bytes per call, then nothing once `budget` bytes are written. */
function diskWithRoom(budget: number, chunk: number, failure: 'ENOSPC' | 'zero-bytes' = 'ENOSPC'): jest.SpyInstance {
  let left = budget;
  return jest.spyOn(realFs, 'writeSync').mockImplementation(((fd: number, data: Buffer, offset?: number | null, length?: number | null) => {
    const start = offset ?? 0;
    const size = length ?? data.length - start;
    if (left <= 0) {
      if (failure === 'zero-bytes') return 0;
      throw enospc();
    }
    const written = originalWrite(fd, data, start, Math.min(size, chunk, left));
    left -= written;
    return written;
  }) as typeof fs.writeSync);
}

afterEach(() => jest.restoreAllMocks());

const files = { 'weights.bin': Buffer.alloc(1000, 7), 'model.json': '{"a": 1}' };

test('short writes are looped until every byte is on disk', () => {
  const target = path.join(tmp(), 'model');
  const spy = diskWithRoom(Infinity, 7);
  writeDirectoryAtomically(target, files);
  expect(spy.mock.calls.length).toBeGreaterThan(1000 / 7);
  expect(fs.readFileSync(path.join(target, 'weights.bin'))).toEqual(files['weights.bin']);
  expect(fs.readFileSync(path.join(target, 'model.json'), 'utf8')).toBe('{"a": 1}');
});

test.each(['ENOSPC', 'zero-bytes'] as const)('a disk that fills up during a save (%s) leaves the previous directory whole and no temporary copy', (failure) => {
  const parent = tmp();
  const target = path.join(parent, 'model');
  writeDirectoryAtomically(target, { 'weights.bin': Buffer.alloc(1000, 1), 'model.json': 'old' });
  diskWithRoom(600, 100, failure);
  let error: unknown;
  try {
    writeDirectoryAtomically(target, files);
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(DiskFullError);
  expect((error as DiskFullError).bytesNeeded).toBe(1008);
  expect((error as Error).message).toMatch(/^the disk is full: saving .*model needs 1\.0 kB \(1,008 bytes\), .* free; what it would replace is intact$/);
  expect(fs.readFileSync(path.join(target, 'weights.bin'))).toEqual(Buffer.alloc(1000, 1));
  expect(fs.readFileSync(path.join(target, 'model.json'), 'utf8')).toBe('old');
  expect(fs.readdirSync(parent)).toEqual(['model']);
});

test('a single file that does not fit is a DiskFullError and leaves the old file and no temporary', () => {
  const parent = tmp();
  const file = path.join(parent, 'report.json');
  writeFileAtomically(file, 'old');
  diskWithRoom(10, 4);
  expect(() => writeFileAtomically(file, 'x'.repeat(100))).toThrow(/the disk is full: saving .*report.json needs 100 bytes/);
  expect(fs.readFileSync(file, 'utf8')).toBe('old');
  expect(fs.readdirSync(parent)).toEqual(['report.json']);
});

test('cleanLeftovers removes killed writes and puts back a directory set aside by one killed between its renames', () => {
  const parent = tmp();
  const target = path.join(parent, 'checkpoint');
  for (const leftover of ['checkpoint.tmp-1-2-0', 'checkpoint.old-1000-2-0', 'checkpoint.old-2000-2-0']) {
    fs.mkdirSync(path.join(parent, leftover));
    fs.writeFileSync(path.join(parent, leftover, 'x'), leftover);
  }
  cleanLeftovers(target);
  expect(fs.readdirSync(parent)).toEqual(['checkpoint']);
  expect(fs.readFileSync(path.join(target, 'x'), 'utf8')).toBe('checkpoint.old-2000-2-0');
  fs.mkdirSync(path.join(parent, 'checkpoint.old-3000-2-0'));
  cleanLeftovers(target);
  expect(fs.readdirSync(parent)).toEqual(['checkpoint']);
});

test('writeUserFile follows a symlink instead of replacing it, and writes a device in place', () => {
  const dir = tmp();
  const real = path.join(dir, 'real.svg');
  fs.writeFileSync(real, 'old');
  const link = path.join(dir, 'link.svg');
  fs.symlinkSync(real, link);
  writeUserFile(link, 'new');
  expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
  expect(fs.readFileSync(real, 'utf8')).toBe('new');
  const toDevice = path.join(dir, 'null.svg');
  fs.symlinkSync('/dev/null', toDevice);
  writeUserFile(toDevice, 'discarded');
  expect(fs.lstatSync(toDevice).isSymbolicLink()).toBe(true);
  expect(fs.statSync('/dev/null').isCharacterDevice()).toBe(true);
  expect(fs.readdirSync(dir).sort()).toEqual(['link.svg', 'null.svg', 'real.svg']);
});

test('formatBytes', () => {
  expect(formatBytes(999)).toBe('999 bytes');
  expect(formatBytes(1_398_101)).toBe('1.4 MB (1,398,101 bytes)');
});
