import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { BackendName, LanguageModel, loadModel, resolveHyper, saveModel, toModelConfig, trainLanguageModel, trainingVocabulary } from '../../src';
import { TINY_MODEL, rnnlm, rnnlmAsync, snapshot, tempDir, tinyCorpus, toolLines } from './run-cli';

/**
 * Every user error of the issue's list, through the compiled CLI: exactly one line on stderr that starts with
 * "rnnlm: " and says what to do, no stack trace, a non-zero exit code, nothing on stdout.
 */

const CPU = ['--backend', 'cpu']; // cases that get as far as choosing a backend: no fallback notice, any machine
/** In-process training stays on the backend the test suite runs on (RNNLM_BACKEND). */
const testBackend = (): BackendName => tf.getBackend() as BackendName;
const TINY_HYPER = { layers: 1, hidden: 16, embedding: 16, batchSize: 4, bptt: 5, epochs: 1, maxBatches: 3 };

let corpus: string;
let runDir: string;
const damaged: Record<string, string> = {};
const corpora: Record<string, string> = {};


function copyModel(name: string, damage: (dir: string) => void): string {
  const dir = path.join(tempDir('rnnlm-damaged-'), name);
  fs.cpSync(path.join(runDir, 'model'), dir, { recursive: true });
  damage(dir);
  return dir;
}

beforeAll(async () => {
  corpus = tinyCorpus();
  runDir = path.join(tempDir('rnnlm-run-'), 'run');
  const trained = await trainLanguageModel({ data: corpus, hyper: TINY_HYPER, save: runDir, backend: testBackend() });
  trained.model.dispose();

  // A model with the vocabulary of another corpus.
  const other = tinyCorpus(50, { 'train.txt': 'a b c d e f g\n'.repeat(50), 'valid.txt': 'a b c\n', 'test.txt': 'd e f\n' });
  const otherVocab = trainingVocabulary(other);
  const otherModel = new LanguageModel(toModelConfig(resolveHyper(null, TINY_HYPER), otherVocab.size));
  damaged.otherVocabulary = path.join(tempDir('rnnlm-other-'), 'model');
  await saveModel(damaged.otherVocabulary, otherModel, otherVocab);
  otherModel.dispose();

  damaged.truncated = copyModel('truncated', (dir) => fs.truncateSync(path.join(dir, 'weights.bin'), 100));
  damaged.badJson = copyModel('bad-json', (dir) => fs.writeFileSync(path.join(dir, 'model.json'), '{ "format": '));
  damaged.allOnes = copyModel('all-ff', (dir) => {
    const weights = path.join(dir, 'weights.bin');
    fs.writeFileSync(weights, Buffer.alloc(fs.statSync(weights).size, 0xff));
  });
  // NaN weights with a matching checksum: what a diverged model saved by the API would hold.
  damaged.nanWeights = path.join(tempDir('rnnlm-nan-'), 'model');
  const nan = loadModel(path.join(runDir, 'model'));
  nan.model.embedding.assign(tf.fill(nan.model.embedding.shape, NaN));
  await saveModel(damaged.nanWeights, nan.model, nan.vocab);
  nan.model.dispose();
  damaged.swappedVocab = copyModel('swapped-vocab', (dir) =>
    fs.copyFileSync(path.join(damaged.otherVocabulary, 'vocab.json'), path.join(dir, 'vocab.json')));

  const distinctCharacters = Array.from({ length: 20_001 }, (_, k) => String.fromCodePoint(0x4e00 + k)).join('');
  Object.assign(corpora, {
    noValid: tinyCorpus(20),
    emptyTest: tinyCorpus(20, { 'test.txt': '\n\n' }),
    binaryTrain: tinyCorpus(20, { 'train.txt': Buffer.from([0x74, 0x68, 0x65, 0x0a, 0x00, 0x01, 0xff]) }),
    latin1Valid: tinyCorpus(20, { 'valid.txt': Buffer.concat([Buffer.from('the caf'), Buffer.from([0xe9]), Buffer.from(' sat\n')]) }),
    unknownTest: tinyCorpus(20, { 'test.txt': 'the zebra sat on the yak\nthe zebra\n' }),
    hugeCharVocabulary: tinyCorpus(1, { 'train.txt': `${distinctCharacters}\n` }),
  });
  fs.rmSync(path.join(corpora.noValid, 'valid.txt'));
});

/** [what, arguments, what stderr must say, extra environment]. */
type Case = [string, () => string[], RegExp, NodeJS.ProcessEnv?];

const cases: Case[] = [
  // --data
  ['--data does not exist', () => ['train', '--data', path.join(corpus, 'missing')], /Data directory .*missing does not exist: --data must be a directory with train.txt/],
  ['--data is a file', () => ['train', '--data', path.join(corpus, 'train.txt')], /Data path .*train.txt is not a directory/],
  ['--data without a value', () => ['train', '--data'], /^rnnlm: option '--data <dir>' argument missing; see rnnlm train --help$/],
  ['a split is missing', () => ['train', '--data', corpora.noValid], /The valid split is missing from .*: looked for valid.txt and ptb.valid.txt; add one of them/],
  ['a split is empty', () => ['train', '--data', corpora.emptyTest], /The test split .*test.txt has no tokens \(it is empty or only blank lines\)/],
  ['a binary file', () => ['train', '--data', corpora.binaryTrain], /train.txt is not a text file: it has a NUL byte at byte offset 4/],
  ['a non-UTF-8 file', () => ['train', '--data', corpora.latin1Valid], /valid.txt is not valid UTF-8 \(byte 0xe9 at byte offset 7\): convert it to UTF-8/],
  ['unknown test words and no <unk>', () => ['train', '--data', corpora.unknownTest],
    /The test split .*test.txt has 3 tokens \(2 distinct, e.g. "zebra", "yak"\) not in the vocabulary .* no <unk>: .*--max-vocab N/],
  ['a vocabulary over the limit', () => ['train', '--char', '--data', corpora.hugeCharVocabulary],
    /has 20,002 distinct characters, more than the limit of 20,000: pass --max-vocab N/],
  // sizes
  ['--hidden 0', () => ['train', '--data', corpus, '--hidden', '0'], /--hidden must be a positive integer or a list of them, got 0/],
  ['--layers -1', () => ['train', '--data', corpus, '--layers', '-1'], /--layers must be a positive integer, got -1/],
  ['--embedding 0', () => ['train', '--data', corpus, '--embedding', '0'], /--embedding must be a positive integer, got 0/],
  ['--batch-size 0', () => ['train', '--data', corpus, '--batch-size', '0'], /--batch-size must be a positive integer, got 0/],
  ['--bptt -5', () => ['train', '--data', corpus, '--bptt', '-5'], /--bptt must be a positive integer, got -5/],
  ['--epochs 0', () => ['train', '--data', corpus, '--epochs', '0'], /--epochs must be a positive integer, got 0/],
  ['--max-batches 0', () => ['train', '--data', corpus, '--max-batches', '0'], /--max-batches must be a positive integer, got 0/],
  ['--checkpoint-every 0', () => ['train', '--data', corpus, '--checkpoint-every', '0'], /--checkpoint-every must be a positive integer, got 0/],
  ['--max-vocab 1', () => ['train', '--data', corpus, '--max-vocab', '1'], /--max-vocab must be an integer of at least 2/],
  ['--hidden with more sizes than layers', () => ['train', '--data', corpus, '--layers', '3', '--hidden', '16,16'], /--hidden lists 2 sizes but --layers is 3/],
  ['--lr -1', () => ['train', '--data', corpus, '--lr', '-1'], /--lr must be a positive number, got -1/],
  ['--clip -1', () => ['train', '--data', corpus, '--clip', '-1'], /--clip must be a number ≥ 0, got -1/],
  // dropout
  ['--dropout 1', () => ['train', '--data', corpus, '--dropout', '1'], /--dropout must be in \[0, 1\), got 1/],
  ['--dropout -0.1', () => ['train', '--data', corpus, '--dropout', '-0.1'], /--dropout must be in \[0, 1\), got -0.1/],
  ['--dropout-recurrent 1.5', () => ['train', '--data', corpus, '--dropout-recurrent', '1.5'], /--dropout-recurrent must be in \[0, 1\), got 1.5/],
  // unknown names
  ['unknown cell', () => ['train', '--cell', 'transformer'], /argument 'transformer' is invalid. Allowed choices are lstm, gru, peephole, rnn.; see rnnlm train --help/],
  ['unknown optimizer', () => ['train', '--optimizer', 'rmsprop'], /Allowed choices are sgd, adam/],
  ['unknown schedule', () => ['train', '--schedule', 'cosine'], /Allowed choices are fixed, plateau, none/],
  ['unknown backend', () => ['train', '--backend', 'tpu'], /Allowed choices are auto, tensorflow, wasm, cpu/],
  ['unknown preset', () => ['train', '--preset', 'nope'], /unknown preset "nope": use one of .*zaremba-small/],
  ['an unavailable backend', () => ['train', '--data', corpus, '--backend', 'tensorflow'],
    /backend "tensorflow" is not available \(disabled by RNNLM_NO_NATIVE=1\): for the native backend run `node \S*provision-native.js`/,
    { RNNLM_NO_NATIVE: '1' }],
  ['unknown command', () => ['fly'], /^rnnlm: unknown command 'fly'; see rnnlm --help$/],
  ['unknown flag', () => ['train', '--l', '3'], /unknown option '--l' \(Did you mean --lr\?\); see rnnlm train --help/],
  // numbers
  ['non-numeric --lr', () => ['train', '--lr', 'fast'], /--lr needs a number, got "fast"/],
  ['fractional --epochs', () => ['train', '--epochs', '2.5'], /--epochs needs a whole number, got "2.5"/],
  ['non-numeric --hidden', () => ['train', '--hidden', '200,abc'], /--hidden needs a whole number, got "abc"/],
  // sizes against the model and the data
  ['--tied with mismatched sizes', () => ['train', '--data', corpus, '--tied', '--hidden', '100', '--embedding', '50'],
    /--tied weights need the last layer's size \(100\) to equal the embedding size \(50\): set --embedding 100/],
  ['--bptt longer than the data allows', () => ['train', '--data', corpus, ...TINY_MODEL, '--bptt', '800', ...CPU],
    /--bptt 800 is longer than each of the 4 training streams \(699 tokens\): lower --bptt or --batch-size/],
  ['--batch-size larger than the data allows', () => ['train', '--data', corpus, ...TINY_MODEL, '--batch-size', '5000', ...CPU],
    /2800 tokens cannot fill 5000 streams: lower the batch size \(--batch-size\) to at most 2799/],
  // --save and --resume
  ['--save onto an existing run', () => ['train', '--data', corpus, ...TINY_MODEL, '--save', runDir],
    /already holds a run: add --resume to continue it or --force to replace it/],
  ['--save onto a file', () => ['train', '--data', corpus, '--save', path.join(corpus, 'train.txt')], /exists and is not a directory/],
  ['--resume without --save', () => ['train', '--resume'], /--resume needs --save DIR/],
  ['--force without --save', () => ['train', '--force'], /--force replaces the run in --save DIR, and no --save was given/],
  ['--resume of a finished run', () => ['train', '--resume', '--save', runDir, ...CPU],
    /is complete: it trained all 1 epoch, test ppl \d+\.\d\d; to train it further, resume with a larger --epochs, e\.g\. rnnlm train --save \S+ --resume --epochs 6$/],
  // stray arguments
  ['a corpus directory without --data', () => ['train', corpus], /^rnnlm: train does not take the argument ".*": for the corpus in .*, use --data /],
  ['extra words after evaluate', () => ['evaluate', '--model', runDir, '--data', corpus, 'extra', 'words'],
    /^rnnlm: evaluate does not take the arguments "extra" "words": see rnnlm evaluate --help$/],
  ['--resume of a directory without a checkpoint', () => ['train', '--resume', '--save', corpus], /holds no run to resume: give the directory that train --save wrote/],
  ['--resume with another model size', () => ['train', '--resume', '--save', runDir, '--hidden', '32', ...CPU],
    /--resume continues the run with its own settings, so --hidden cannot change \(only --epochs, --lr, --clip, --average-after, --max-batches can\)/],
  ['--resume on another corpus', () => ['train', '--resume', '--save', runDir, '--data', corpora.unknownTest, ...CPU], /--data cannot change/],
  // saved models
  ['evaluate a missing model', () => ['evaluate', '--model', path.join(runDir, 'nothing'), '--data', corpus, ...CPU], /no model at .*nothing: the directory does not exist/],
  ['evaluate without --model', () => ['evaluate', '--data', corpus], /required option '--model <dir>' not specified; see rnnlm evaluate --help/],
  ['--tune without a method to tune', () => ['evaluate', '--model', runDir, '--data', corpus, '--tune', ...CPU],
    /^rnnlm: --tune chooses the settings of --dynamic or --cache: ask for one of them$/],
  ['--tune-jobs without --tune', () => ['evaluate', '--model', runDir, '--data', corpus, '--cache', '--tune-jobs', '2', ...CPU],
    /^rnnlm: --tune-jobs scores the settings of --tune at once: ask for --tune too, or leave it out$/],
  ['--tune-jobs 0', () => ['evaluate', '--model', runDir, '--data', corpus, '--cache', '--tune', '--tune-jobs', '0', ...CPU], /--tune-jobs must be a positive integer, got 0/],
  ['--tune reported on the split it tunes on', () => ['evaluate', '--model', runDir, '--data', corpus, '--cache', '--tune', '--split', 'valid', ...CPU],
    /^rnnlm: --tune chooses the settings on the valid split; report them on another one \(--split test\)$/],
  ['evaluate a truncated model', () => ['evaluate', '--model', damaged.truncated, '--data', corpus, ...CPU],
    /weights.bin has 100 bytes, the manifest says \d+: the file is truncated or corrupted/],
  ['evaluate a model whose weights are all 0xFF', () => ['evaluate', '--model', damaged.allOnes, '--data', corpus, ...CPU],
    /weights.bin does not match its checksum in .*model.json: the file is corrupted/],
  ['evaluate a model with NaN weights', () => ['evaluate', '--model', damaged.nanWeights, '--data', corpus, ...CPU],
    /the perplexity on the test split is NaN: the model's weights are not usable numbers/],
  ['evaluate a model with broken JSON', () => ['evaluate', '--model', damaged.badJson, '--data', corpus, ...CPU], /model.json is not valid JSON: the model directory is corrupted/],
  ['evaluate a model of another vocabulary', () => ['evaluate', '--model', damaged.otherVocabulary, '--data', corpus, ...CPU],
    /the model was trained on another vocabulary: its 8 types are not those the training split of .* gives, .*evaluate it on the corpus it was trained on/],
  ['evaluate with more streams than tokens', () => ['evaluate', '--model', runDir, '--data', corpus, '--batch-size', '500', ...CPU],
    /14 tokens cannot fill 500 streams/],
  ['generate from a missing model', () => ['generate', '--model', path.join(runDir, 'nothing'), ...CPU], /no model at .*nothing/],
  ['generate from a truncated model', () => ['generate', '--model', damaged.truncated, ...CPU], /truncated or corrupted/],
  ['generate with a vocabulary of another model', () => ['generate', '--model', damaged.swappedVocab, ...CPU],
    /vocab.json does not belong to these weights/],
  ['generate from unknown words', () => ['generate', '--model', runDir, '--prime', 'the zebra', ...CPU],
    /"zebra" is not in the word-level vocabulary \(9 types, no <unk>\)/],
  ['generate --length 0', () => ['generate', '--model', runDir, '--length', '0', ...CPU], /--length must be a positive integer, got 0/],
  ['generate --temperature 0', () => ['generate', '--model', runDir, '--temperature', '0', ...CPU], /--temperature must be a positive number, got 0/],
];

test('every user error is one line on stderr, no stack trace, exit code 1, nothing on stdout', async () => {
  const before = snapshot(runDir);
  const results: { what: string; lines: string[]; status: number | null; stdout: string; expected: RegExp }[] = [];
  // Two at a time: most cases fail within a fraction of a second, spent mostly starting node. The cases that
  // open the shared run with --save take its lock, so they run one after the other.
  const takesLock = ([, args]: Case): boolean => args().join(' ').includes(`--save ${runDir}`);
  const worker = (queue: Case[]) => async (): Promise<void> => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const [what, args, expected, env] = next;
      const result = await rnnlmAsync(args(), env);
      results.push({ what, lines: toolLines(result.stderr), status: result.status, stdout: result.stdout, expected });
    }
  };
  const shared = cases.filter(takesLock);
  const others = cases.filter((c) => !takesLock(c));
  await Promise.all([worker(others), worker(others), worker(shared)].map((run) => run()));
  for (const { what, lines, status, stdout, expected } of results) {
    expect({ what, lines, status, stdout }).toEqual({ what, lines: [expect.stringMatching(expected)], status: 1, stdout: '' });
    expect({ what, line: lines[0] }).toEqual({ what, line: expect.stringMatching(/^rnnlm: /) });
  }
  expect(results).toHaveLength(cases.length);
  // The refused --save (and everything else) left the run exactly as it was.
  expect(snapshot(runDir)).toEqual(before);
});

test('--verbose (or DEBUG) shows the stack trace of a user error', () => {
  const missing = path.join(corpus, 'missing');
  expect(rnnlm(['--verbose', 'train', '--data', missing]).stderr).toMatch(/does not exist[^]*\n\s+at /);
  expect(rnnlm(['train', '--data', missing], { DEBUG: '1' }).stderr).toMatch(/\n\s+at /);
});

test('the vocabulary check of evaluate accepts a model trained with --max-vocab on its own corpus', async () => {
  const save = path.join(tempDir('rnnlm-max-vocab-'), 'run');
  const trained = await trainLanguageModel({ data: corpus, maxVocab: 5, hyper: { ...TINY_HYPER, maxBatches: 2 }, save, backend: testBackend() });
  expect(trained.corpus.vocab.size).toBe(5);
  trained.model.dispose();
  const evaluate = rnnlm(['evaluate', '--model', save, '--data', corpus, ...CPU]);
  expect(toolLines(evaluate.stderr)).toEqual([]);
  expect(evaluate.stdout).toMatch(/^perplexity: \d+\.\d\d\n$/);
});
