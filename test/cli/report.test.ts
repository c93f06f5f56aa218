import * as fs from 'fs';
import * as path from 'path';
import { cpuDescription } from '../../src';
import { parseSvg } from '../train/svg';
import { TINY_MODEL, makeReadOnly, rnnlm, smallFilesystem, tempDir, tinyCorpus, toolLines } from './run-cli';

/** A finished 1-epoch run whose valid split (4 tokens) is shorter than the 10 evaluation streams. */
let runDir: string;

beforeAll(() => {
  runDir = path.join(tempDir('rnnlm-report-'), 'run');
  const train = rnnlm(['train', '--data', tinyCorpus(40, { 'valid.txt': 'the cat sat\n' }), ...TINY_MODEL, '--epochs', '1',
    '--max-batches', '5', '--preset', 'zaremba-small', '--save', runDir, '--json']);
  expect(train.status).toBe(0);
});

/** The two curves of an SVG learning curve, as point counts. */
function curvePoints(file: string): Record<string, number> {
  const polylines = parseSvg(fs.readFileSync(file, 'utf8')).filter((e) => e.name === 'polyline');
  return Object.fromEntries(polylines.map((e) => [e.attributes.class, e.attributes.points.trim().split(/\s+/).length]));
}

test('train writes report.json, report.md and the learning curve into the run directory after each epoch', () => {
  expect(curvePoints(path.join(runDir, 'learning-curve.svg'))).toEqual({ train: 1, valid: 1 });
  expect(fs.readFileSync(path.join(runDir, 'report.md'), 'utf8')).toContain('![learning curve](learning-curve.svg)');
  expect(fs.readdirSync(runDir).filter((name) => name.includes('.tmp-'))).toEqual([]);
});

test('rnnlm report DIR prints the summary and the epoch table and writes DIR/learning-curve.svg', () => {
  const curve = path.join(runDir, 'learning-curve.svg');
  fs.rmSync(curve);
  const report = rnnlm(['report', runDir]);
  expect(report.status).toBe(0);
  expect(report.stdout).toMatch(/^- status: finished\n- command: `rnnlm train --data .* --preset zaremba-small .*`\n- preset: zaremba-small\n/);
  expect(report.stdout).toMatch(/- best valid ppl: \d+\.\d\d \(epoch 1\); test ppl: \d+\.\d\d\n/);
  expect(report.stdout).toContain(`- CPU: ${cpuDescription()} (epoch 1)\n`);
  expect(report.stdout).toContain('| epoch | lr | train ppl | valid ppl | words/s | elapsed | backend |\n|---:|');
  expect(report.stdout).toMatch(/\n\| 1 \| 20 \| \d+\.\d\d \| \d+\.\d\d \| \d+ \| 0m\d\ds \| \w+ \|\n/);
  expect(report.stdout.endsWith(`learning curve: ${curve}\n`)).toBe(true);
  expect(curvePoints(curve)).toEqual({ train: 1, valid: 1 });
  const svg = fs.readFileSync(curve, 'utf8');
  expect(svg).toContain('zaremba-small on rnnlm-corpus-');
});

test('rnnlm report --out FILE writes the picture elsewhere, --json prints the report', () => {
  const out = path.join(tempDir('rnnlm-out-'), 'curve.svg');
  const report = rnnlm(['report', runDir, '--out', out, '--json']);
  expect(report.status).toBe(0);
  expect(JSON.parse(report.stdout)).toEqual(JSON.parse(fs.readFileSync(path.join(runDir, 'report.json'), 'utf8')));
  expect(curvePoints(out)).toEqual({ train: 1, valid: 1 });
});

test('rnnlm report on a directory without a usable report.json: one line, exit 1', () => {
  const empty = tempDir('rnnlm-empty-');
  const corrupt = tempDir('rnnlm-corrupt-');
  fs.writeFileSync(path.join(corrupt, 'report.json'), '{"status": "runn');
  const foreign = tempDir('rnnlm-foreign-');
  fs.writeFileSync(path.join(foreign, 'report.json'), '{"name": "some other tool"}');
  const cases: [string, RegExp][] = [
    [path.join(empty, 'missing'), /missing does not exist: give the run directory that train --save wrote/],
    [empty, /has no report.json: give a run directory written by train --save/],
    [corrupt, /report.json cannot be read as JSON \(.*\): the run directory is damaged/],
    [foreign, /report.json is not a tfjs-rnnlm training report: it has no "epochs" list/],
  ];
  for (const [dir, message] of cases) {
    const result = rnnlm(['report', dir]);
    expect({ dir, status: result.status, lines: toolLines(result.stderr), stdout: result.stdout })
      .toEqual({ dir, status: 1, lines: [expect.stringMatching(message)], stdout: '' });
  }
});

test('--out - writes the picture to stdout; a symlink given as --out stays a symlink', () => {
  const toStdout = rnnlm(['report', runDir, '--out', '-']);
  expect(toStdout.status).toBe(0);
  expect(toStdout.stdout).toMatch(/^<svg[^]*<\/svg>\n?$/);
  expect(fs.readdirSync(process.cwd())).not.toContain('-');
  const dir = tempDir('rnnlm-link-');
  const real = path.join(dir, 'real.svg');
  fs.writeFileSync(real, '');
  const link = path.join(dir, 'curve.svg');
  fs.symlinkSync(real, link);
  expect(rnnlm(['report', runDir, '--out', link]).status).toBe(0);
  expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
  expect(curvePoints(real)).toEqual({ train: 1, valid: 1 });
  const both = rnnlm(['report', runDir, '--out', '-', '--json']);
  expect({ status: both.status, lines: toolLines(both.stderr) }).toEqual({ status: 1, lines: [expect.stringMatching(/--out - and --json would both write to stdout/)] });
});

test('report on a read-only run directory prints the summary and says where the picture could not be written', () => {
  const mounted = smallFilesystem('1m');
  const readOnly = mounted ? path.join(mounted, 'run') : path.join(tempDir('rnnlm-ro-'), 'run');
  fs.cpSync(runDir, readOnly, { recursive: true });
  fs.rmSync(path.join(readOnly, 'learning-curve.svg'));
  if (mounted) makeReadOnly(mounted);
  else fs.chmodSync(readOnly, 0o555); // without root: permissions (root would ignore them)
  const result = rnnlm(['report', readOnly]);
  expect(result.status).toBe(0);
  expect(result.stdout).toMatch(/^- status: finished\n[^]*\| 1 \| 20 \|/);
  expect(toolLines(result.stderr)).toEqual([
    expect.stringMatching(/^rnnlm: cannot write .*run\/learning-curve.svg \((EROFS|EACCES)[^)]*\): pass --out FILE to write the picture elsewhere$/),
  ]);
  const elsewhere = rnnlm(['report', readOnly, '--out', path.join(readOnly, 'x.svg')]);
  expect(elsewhere.status).toBe(1); // a place the user named is an error
});
