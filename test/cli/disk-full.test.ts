import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { BackendName, DiskFullError, trainLanguageModel } from '../../src';
import { rnnlm, smallFilesystem, snapshot, tempDir, tinyCorpus, toolLines } from './run-cli';

/**
 * A disk that fills up during a later save: the save fails with a one-line error saying the disk is full, how
 * much the save needs and how to resume; the previous model and checkpoint stay whole and loadable, and the
 * run resumes once there is room. With root, on a real 2 MB tmpfs through the CLI; everywhere, in process with
 * write(2) made to fail (short writes, then ENOSPC) the way a full disk does.
 */

// eslint-disable-next-line @typescript-eslint/no-require-imports
const realFs: typeof fs = require('fs');
const corpus = tinyCorpus(100);
/** ~34k weights: each save of model/ or checkpoint/ is ~140 kB. */
const MODEL = ['--layers', '1', '--hidden', '64', '--embedding', '64', '--batch-size', '4', '--bptt', '5', '--seed', '7'];
const HYPER = { layers: 1, hidden: 64, embedding: 64, batchSize: 4, bptt: 5, seed: 7 };


const saved = (runDir: string): Record<string, Record<string, string>> => ({
  model: snapshot(path.join(runDir, 'model')), checkpoint: snapshot(path.join(runDir, 'checkpoint')),
});
const leftovers = (runDir: string): string[] => fs.readdirSync(runDir).filter((entry) => /\.(tmp|old)-/.test(entry));

const MESSAGE = new RegExp('the disk is full: saving \\S+/(model|checkpoint) needs 1\\d\\d\\.\\d kB \\([\\d,]+ bytes\\), .* free; ' +
  'what it would replace is intact: free at least 1\\d\\d\\.\\d kB \\([\\d,]+ bytes\\) on that disk, then resume from the last checkpoint: ');

const mounted = smallFilesystem('2m');
(mounted ? test : test.skip)('on a real 2 MB tmpfs that fills up during a later save (CLI; needs root to mount)', () => {
  const runDir = path.join(mounted as string, 'run');
  expect(rnnlm(['train', '--data', corpus, ...MODEL, '--epochs', '1', '--backend', 'cpu', '--save', runDir]).status).toBe(0);
  const before = saved(runDir);
  const { bavail, bsize } = fs.statfsSync(runDir);
  const filler = path.join(mounted as string, 'filler');
  fs.writeFileSync(filler, Buffer.alloc(bavail * bsize - 60_000));

  const full = rnnlm(['train', '--save', runDir, '--resume', '--epochs', '2', '--backend', 'cpu']);
  expect(full.status).toBe(1);
  const lines = toolLines(full.stderr).filter((line) => !line.startsWith('epoch ') && !/^(backend|cpu|corpus|model|resuming)/.test(line));
  expect(lines).toEqual([expect.stringMatching(new RegExp(`^rnnlm: ${MESSAGE.source}rnnlm train --save ${runDir} --resume$`))]);
  expect(saved(runDir)).toEqual(before);
  expect(leftovers(runDir)).toEqual([]);
  expect(rnnlm(['evaluate', '--model', runDir, '--data', corpus, '--backend', 'cpu']).stdout).toMatch(/^perplexity: \d+\.\d\d\n$/);

  fs.rmSync(filler);
  const resumed = rnnlm(['train', '--save', runDir, '--resume', '--epochs', '2', '--backend', 'cpu', '--json']);
  expect(resumed.status).toBe(0);
  expect(JSON.parse(fs.readFileSync(path.join(runDir, 'report.json'), 'utf8'))).toMatchObject({ status: 'finished', epochs: [{ epoch: 1 }, { epoch: 2 }] });
});

test('with write(2) failing as on a full disk: short writes, then ENOSPC (in process, any user)', async () => {
  const backend = tf.getBackend() as BackendName;
  const runDir = path.join(tempDir('rnnlm-full-'), 'run');
  (await trainLanguageModel({ data: corpus, hyper: { ...HYPER, epochs: 1 }, save: runDir, backend })).model.dispose();
  const before = saved(runDir);

  const write = realFs.writeSync.bind(realFs) as (fd: number, data: Buffer, offset: number, length: number) => number;
  let room = 60_000;
  const spy = jest.spyOn(realFs, 'writeSync').mockImplementation(((fd: number, data: Buffer, offset?: number | null, length?: number | null) => {
    const start = offset ?? 0;
    const size = length ?? data.length - start;
    if (room <= 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    const written = write(fd, data, start, Math.min(size, room, 4096));
    room -= written;
    return written;
  }) as typeof fs.writeSync);
  const error = await trainLanguageModel({ save: runDir, resume: true, hyper: { epochs: 2 }, backend }).catch((caught: unknown) => caught);
  spy.mockRestore();
  expect(error).toBeInstanceOf(DiskFullError);
  expect((error as Error).message).toMatch(new RegExp(`^${MESSAGE.source}trainLanguageModel\\(\\{"save":"${runDir}","resume":true\\}\\)$`));
  expect(saved(runDir)).toEqual(before);
  expect(leftovers(runDir)).toEqual([]);

  const resumed = await trainLanguageModel({ save: runDir, resume: true, hyper: { epochs: 2 }, backend });
  expect(resumed.history.map((m) => m.epoch)).toEqual([1, 2]);
  resumed.model.dispose();
});
