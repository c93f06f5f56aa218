import { spawn, spawnSync } from 'child_process';
import * as path from 'path';
import { CLI, TINY_MODEL, rnnlm, tempDir, tinyCorpus } from './run-cli';

let model: string;

beforeAll(() => {
  model = path.join(tempDir('rnnlm-run-'), 'run');
  expect(rnnlm(['train', '--data', tinyCorpus(), ...TINY_MODEL, '--epochs', '1', '--max-batches', '20', '--save', model]).status).toBe(0);
});

test('generate takes --top-k, --top-p, --beam and --stop-at-eos, and --seed reproduces a sample', () => {
  const args = ['generate', '--model', model, '--prime', 'the cat', '--length', '15', '--top-k', '3', '--top-p', '0.9', '--seed', '4'];
  const sample = rnnlm(args);
  expect(sample.status).toBe(0);
  expect(sample.stdout).toMatch(/^the cat\b/);
  expect(rnnlm(args).stdout).toBe(sample.stdout);
  const beam = rnnlm(['generate', '--model', model, '--prime', 'the cat', '--beam', '3', '--stop-at-eos', '--length', '30']);
  expect(beam.status).toBe(0);
  expect(beam.stdout.endsWith('\n')).toBe(true);
  expect(beam.stdout.trim().split('\n')).toHaveLength(1);
  expect(rnnlm(['generate', '--model', model, '--top-p', '1.5']).stderr).toMatch(/^rnnlm: --top-p must be in \(0, 1\], got 1.5$/m);
});

test('a reader that stops early (`rnnlm generate | head`) ends generate quietly with the status SIGPIPE gives (141)', async () => {
  // Tokens are written as they are sampled (a few ms each), so the ones after the first chunk find the pipe closed.
  const child = spawn(process.execPath, [CLI, 'generate', '--model', model, '--length', '2000'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  child.stdout.once('data', () => child.stdout.destroy());
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect(code).toBe(141);
  expect(stderr).not.toMatch(/EPIPE|^\s+at /m); // (TensorFlow's start-up lines may be there: stderr is a socket here)
});

test('score prints log-probability, tokens and perplexity per line, from a file or standard input', () => {
  const input = 'the cat sat on the mat\nthe dog sat on the log\n';
  const fromStdin = spawnSync(process.execPath, [CLI, 'score', '--model', model, '--json'], { input, encoding: 'utf8' });
  expect(fromStdin.status).toBe(0);
  const lines = fromStdin.stdout.trim().split('\n').map((l) => JSON.parse(l));
  expect(lines.map((l) => [l.text, l.tokens])).toEqual([['the cat sat on the mat', 7], ['the dog sat on the log', 7]]);
  for (const l of lines) expect(l.perplexity).toBeCloseTo(Math.exp(-l.logprob / l.tokens), 6);
  const plain = spawnSync(process.execPath, [CLI, 'score', '--model', model, '-'], { input, encoding: 'utf8' });
  expect(plain.stdout.split('\n')[0]).toBe(`${lines[0].logprob.toFixed(2)}\t7\t${lines[0].perplexity.toFixed(2)}\tthe cat sat on the mat`);
  const missing = rnnlm(['score', '--model', model, path.join(model, 'nothing.txt')]);
  expect(missing.status).toBe(1);
  expect(missing.stderr).toMatch(/cannot read .*nothing.txt: ENOENT/);
});
