import { expectDataError } from './expect-data-error';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ConfigError, DataError } from '../../src/errors';
import {
  DEFAULT_CORPUS_DESCRIPTION,
  DEFAULT_CORPUS_DIR,
  encodeText,
  EOS,
  findSplitFile,
  loadCorpus,
  loadSplit,
  tokenize,
  UNK,
  Vocabulary,
} from '../../src/data';


const scratchRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlm-corpus-test-'));
afterAll(() => fs.rmSync(scratchRoot, { recursive: true, force: true }));

const TRAIN = 'the cat sat on the mat\nthe dog sat\n';
const VALID = 'the cat sat\n';
const TEST = 'the dog sat on the mat\n';

/** A fresh corpus directory holding `files` (name → content); by default a tiny valid word-level corpus. */
function makeCorpus(files: Record<string, string | Uint8Array> = { 'train.txt': TRAIN, 'valid.txt': VALID, 'test.txt': TEST }): string {
  const dir = fs.mkdtempSync(path.join(scratchRoot, 'corpus-'));
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content);
  return dir;
}

describe('tokenize', () => {
  it('splits words on whitespace and ends every line with <eos>', () => {
    expect(tokenize('  the  cat\tsat \non the mat\n', 'word')).toEqual(['the', 'cat', 'sat', EOS, 'on', 'the', 'mat', EOS]);
  });

  it('gives an empty line its <eos> (as PyTorch word_language_model does)', () => {
    expect(tokenize('a\n\nb\n', 'word')).toEqual(['a', EOS, EOS, 'b', EOS]);
    expect(tokenize('a\n   \n', 'word')).toEqual(['a', EOS, EOS]);
  });

  it('does not turn a final newline into an extra empty line', () => {
    expect(tokenize('a b\n', 'word')).toEqual(tokenize('a b', 'word'));
    expect(tokenize('', 'word')).toEqual([]);
    expect(tokenize('\n', 'word')).toEqual([EOS]);
  });

  it('gives identical tokens for CRLF and LF, with or without a BOM', () => {
    const lf = 'the cat\n\nsat on\n';
    for (const level of ['word', 'char'] as const) {
      const expected = tokenize(lf, level);
      expect(tokenize(lf.replace(/\n/g, '\r\n'), level)).toEqual(expected);
      expect(tokenize(`\uFEFF${lf}`, level)).toEqual(expected);
      expect(tokenize(`\uFEFF${lf.replace(/\n/g, '\r\n')}`, level)).toEqual(expected);
    }
  });

  it('makes every character a token at char level, spaces included, astral characters whole', () => {
    expect(tokenize('ab c\n😀é\n', 'char')).toEqual(['a', 'b', ' ', 'c', EOS, '😀', 'é', EOS]);
    expect(tokenize('\n', 'char')).toEqual([EOS]);
  });
});

describe('loadCorpus', () => {
  it('builds the vocabulary from train and encodes all three splits', () => {
    const dir = makeCorpus();
    const corpus = loadCorpus(dir);
    expect(corpus.dir).toBe(path.resolve(dir));
    expect(corpus.level).toBe('word');
    expect(corpus.files).toEqual({ train: path.join(dir, 'train.txt'), valid: path.join(dir, 'valid.txt'), test: path.join(dir, 'test.txt') });
    expect(corpus.vocab.words).toEqual(['the', 'sat', EOS, 'cat', 'on', 'mat', 'dog']);
    const decode = (ids: Int32Array): string => Array.from(ids, (id) => corpus.vocab.word(id)).join(' ');
    expect(corpus.train).toBeInstanceOf(Int32Array);
    expect(decode(corpus.train)).toBe('the cat sat on the mat <eos> the dog sat <eos>');
    expect(decode(corpus.valid)).toBe('the cat sat <eos>');
    expect(decode(corpus.test)).toBe('the dog sat on the mat <eos>');
  });

  it('accepts the PTB file names', () => {
    const dir = makeCorpus({ 'ptb.train.txt': TRAIN, 'ptb.valid.txt': VALID, 'ptb.test.txt': TEST });
    const corpus = loadCorpus(dir);
    expect(corpus.files.valid).toBe(path.join(dir, 'ptb.valid.txt'));
    expect(corpus.vocab.fingerprint).toBe(loadCorpus(makeCorpus()).vocab.fingerprint);
  });

  it('gives identical results for CRLF files with a BOM', () => {
    const plain = loadCorpus(makeCorpus());
    const crlfWithBom = (text: string): string => `\uFEFF${text.replace(/\n/g, '\r\n')}`;
    const windows = loadCorpus(makeCorpus({ 'train.txt': crlfWithBom(TRAIN), 'valid.txt': crlfWithBom(VALID), 'test.txt': crlfWithBom(TEST) }));
    expect(windows.vocab.fingerprint).toBe(plain.vocab.fingerprint);
    expect(windows.train).toEqual(plain.train);
    expect(windows.valid).toEqual(plain.valid);
    expect(windows.test).toEqual(plain.test);
  });

  it('loads at char level with spaces as tokens', () => {
    const corpus = loadCorpus(makeCorpus(), { char: true });
    expect(corpus.level).toBe('char');
    expect(corpus.vocab.level).toBe('char');
    expect(corpus.vocab.has(' ')).toBe(true);
    expect(corpus.vocab.has(EOS)).toBe(true);
    expect(corpus.train.length).toBe(TRAIN.length); // each newline became an <eos>
    expect(Array.from(corpus.valid, (id) => corpus.vocab.word(id)).join('|')).toBe('t|h|e| |c|a|t| |s|a|t|<eos>');
  });

  it('maps rare words to <unk> with maxVocab, so unknown valid/test words are accepted', () => {
    const corpus = loadCorpus(makeCorpus({ 'train.txt': TRAIN, 'valid.txt': 'the zebra sat\n', 'test.txt': 'a mat\n' }), { maxVocab: 4 });
    expect(corpus.vocab.words).toEqual([UNK, 'the', 'sat', EOS]); // <unk> = cat + on + mat + dog
    expect(Array.from(corpus.valid, (id) => corpus.vocab.word(id))).toEqual(['the', UNK, 'sat', EOS]);
    expect(Array.from(corpus.test, (id) => corpus.vocab.word(id))).toEqual([UNK, UNK, EOS]);
  });

  it('accepts unknown valid/test words when the training text has <unk>', () => {
    const corpus = loadCorpus(makeCorpus({ 'train.txt': `${TRAIN}<unk> sat\n`, 'valid.txt': 'zebra\n', 'test.txt': TEST }));
    expect(corpus.valid[0]).toBe(corpus.vocab.unkId);
  });
});

describe('loadCorpus validation', () => {
  it('rejects a data path that does not exist', () => {
    const missing = path.join(scratchRoot, 'no-such-dir');
    expectDataError(() => loadCorpus(missing), missing, 'does not exist', 'data must be a directory', 'train.txt');
  });

  it('rejects a data path that is a file', () => {
    const file = path.join(makeCorpus(), 'train.txt');
    expectDataError(() => loadCorpus(file), file, 'not a directory', 'data must be a directory');
  });

  it('names the files it looked for when a split is missing', () => {
    const dir = makeCorpus({ 'train.txt': TRAIN, 'test.txt': TEST });
    expectDataError(() => loadCorpus(dir), 'valid split is missing', dir, 'looked for valid.txt and ptb.valid.txt');
  });

  it('rejects a directory where a split file is expected', () => {
    const dir = makeCorpus({ 'train.txt': TRAIN, 'valid.txt': VALID });
    fs.mkdirSync(path.join(dir, 'test.txt'));
    expectDataError(() => loadCorpus(dir), 'test.txt is not a regular file', 'test split');
  });

  it('rejects two files for one split', () => {
    const dir = makeCorpus({ 'train.txt': TRAIN, 'ptb.train.txt': TRAIN, 'valid.txt': VALID, 'test.txt': TEST });
    expectDataError(() => loadCorpus(dir), 'both train.txt and ptb.train.txt', 'remove or rename one');
  });

  it.each([
    ['an empty train split', 'train.txt', ''],
    ['a blank-lines-only valid split', 'valid.txt', '\n  \n\n'],
    ['a BOM-only test split', 'test.txt', '\uFEFF'],
  ])('rejects %s', (_case, name, content) => {
    const dir = makeCorpus({ 'train.txt': TRAIN, 'valid.txt': VALID, 'test.txt': TEST, [name]: content });
    const split = name.replace('.txt', '');
    expectDataError(() => loadCorpus(dir), `${split} split ${path.join(dir, name)} has no tokens`, 'empty');
  });

  it('rejects a binary file, naming it and the offset of the NUL byte', () => {
    const binary = Uint8Array.from([0x61, 0x62, 0x0a, 0x00, 0xff, 0x10]);
    const dir = makeCorpus({ 'train.txt': TRAIN, 'valid.txt': binary, 'test.txt': TEST });
    expectDataError(() => loadCorpus(dir), path.join(dir, 'valid.txt'), 'not a text file', 'NUL byte at byte offset 3');
  });

  it('rejects a UTF-16 file', () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(TRAIN, 'utf16le')]);
    const dir = makeCorpus({ 'train.txt': utf16, 'valid.txt': VALID, 'test.txt': TEST });
    expectDataError(() => loadCorpus(dir), path.join(dir, 'train.txt'), 'UTF-16');
  });

  it.each([
    ['Latin-1 é', Buffer.concat([Buffer.from('the caf'), Buffer.from([0xe9]), Buffer.from(' sat\n')]), 'byte 0xe9 at byte offset 7'],
    ['a truncated sequence at the end', Buffer.concat([Buffer.from('the cat\n'), Buffer.from([0xe2, 0x82])]), 'byte 0xe2 at byte offset 8'],
    ['an encoded surrogate', Buffer.concat([Buffer.from('ab'), Buffer.from([0xed, 0xa0, 0x80])]), 'byte 0xed at byte offset 2'],
    ['an overlong encoding', Buffer.concat([Buffer.from('€ '), Buffer.from([0xc0, 0xaf])]), 'byte 0xc0 at byte offset 4'],
  ])('rejects invalid UTF-8 (%s), naming the file and the byte offset', (_case, bytes, where) => {
    const dir = makeCorpus({ 'train.txt': TRAIN, 'valid.txt': VALID, 'test.txt': bytes });
    expectDataError(() => loadCorpus(dir), path.join(dir, 'test.txt'), 'not valid UTF-8', where, 'convert it to UTF-8');
  });

  it('counts the unknown words of valid, with examples, when the vocabulary has no <unk>', () => {
    const dir = makeCorpus({ 'train.txt': TRAIN, 'valid.txt': 'the zebra sat\nthe zebra ate a yak\n', 'test.txt': TEST });
    expectDataError(
      () => loadCorpus(dir),
      `valid split ${path.join(dir, 'valid.txt')} has 5 tokens (4 distinct, e.g. "zebra", "ate", "a", "yak")`,
      'no <unk>',
      'maxVocab N',
    );
  });

  it('counts the unknown words of test too', () => {
    const dir = makeCorpus({ 'train.txt': TRAIN, 'valid.txt': VALID, 'test.txt': 'the cow sat\n' });
    expectDataError(() => loadCorpus(dir), 'test split', 'has 1 token (1 distinct, e.g. "cow")');
  });

  it('names every split with unknown words, each with its counts', () => {
    const dir = makeCorpus({ 'train.txt': TRAIN, 'valid.txt': 'the zebra sat\n', 'test.txt': 'the cow sat on a yak\n' });
    expectDataError(
      () => loadCorpus(dir),
      new RegExp(`^The valid split ${path.join(dir, 'valid.txt')} has 1 token \\(1 distinct, e.g. "zebra"\\) and the test split ` +
        `${path.join(dir, 'test.txt')} has 3 tokens \\(3 distinct, e.g. "cow", "a", "yak"\\) not in the vocabulary of 7 types, which has no <unk>`),
    );
  });

  it('reads files larger than one read chunk (4 MiB): characters, line ends and bad bytes across chunk boundaries', () => {
    const chunk = 1 << 22;
    // 'é' (2 bytes) and a CRLF straddle the first boundary; the bad byte lies in the second chunk.
    const head = 'a '.repeat(chunk / 2).slice(0, chunk - 1); // ends in 'a' at byte chunk - 2
    const text = Buffer.concat([Buffer.from(head), Buffer.from('é\r\nb a\n'), Buffer.from('a b\n'.repeat(1000))]);
    const dir = makeCorpus({ 'train.txt': text, 'valid.txt': 'a b\n', 'test.txt': 'aé\n' });
    const corpus = loadCorpus(dir);
    expect(corpus.vocab.has('aé')).toBe(true);
    expect(corpus.vocab.has('é\r')).toBe(false);
    expect(corpus.train.length).toBe(tokenize(text.toString('utf8'), 'word').length);
    const bad = Buffer.concat([text, Buffer.from([0x61, 0xff, 0x0a])]);
    const badDir = makeCorpus({ 'train.txt': bad, 'valid.txt': 'a b\n', 'test.txt': 'a\n' });
    expectDataError(() => loadCorpus(badDir), `not valid UTF-8 (byte 0xff at byte offset ${bad.length - 2})`);
  });

  it('counts unknown characters at char level', () => {
    const dir = makeCorpus({ 'train.txt': TRAIN, 'valid.txt': 'the cat sat!?\n', 'test.txt': TEST });
    expectDataError(() => loadCorpus(dir, { char: true }), 'valid split', '2 characters (2 distinct, e.g. "!", "?")');
  });

  it('rejects a vocabulary larger than the default limit of 200,000 word types', () => {
    const words = Array.from({ length: 200_001 }, (_, i) => `w${i}`);
    const dir = makeCorpus({ 'train.txt': `${words.join(' ')}\n`, 'valid.txt': 'w1\n', 'test.txt': 'w2\n' });
    expectDataError(() => loadCorpus(dir), 'train split', 'has 200,002 word types, more than the limit of 200,000', 'maxVocab N');
    expect(loadCorpus(dir, { maxVocab: 1000 }).vocab.size).toBe(1000);
  });

  it('applies a custom vocabulary limit', () => {
    expectDataError(() => loadCorpus(makeCorpus(), { vocabLimit: 5 }), '7 word types, more than the limit of 5', 'maxVocab 5');
    expectDataError(() => loadCorpus(makeCorpus(), { char: true, vocabLimit: 5 }), 'distinct characters, more than the limit of 5');
  });

  it('rejects an invalid maxVocab, naming the option', () => {
    expect(() => loadCorpus(makeCorpus(), { maxVocab: 1 })).toThrow(ConfigError);
    expect(() => loadCorpus(makeCorpus(), { maxVocab: 1 })).toThrow(/^maxVocab must be an integer of at least 2 .*got 1$/);
  });
});

describe('encoding with an existing vocabulary', () => {
  const vocab = Vocabulary.fromTokens(tokenize(TRAIN, 'word'), 'word');

  it('encodeText encodes any text and names it in errors', () => {
    expect(Array.from(encodeText('the mat\n', vocab, 'word', 'prompt'))).toEqual([vocab.id('the'), vocab.id('mat'), vocab.eosId]);
    expectDataError(() => encodeText('the gnu\n', vocab, 'word', 'valid split of corpus X'), 'valid split of corpus X has 1 token', '"gnu"');
    expectDataError(() => encodeText('\n\n', vocab, 'word', 'valid split of corpus X'), 'valid split of corpus X has no tokens');
    expectDataError(() => encodeText('the mat\n', vocab, 'char', 'prompt'), 'char level with a word-level vocabulary');
  });

  it('loadSplit encodes one split of another corpus directory', () => {
    const dir = makeCorpus({ 'ptb.test.txt': 'the mat sat\n' });
    expect(Array.from(loadSplit(dir, 'test', vocab), (id) => vocab.word(id))).toEqual(['the', 'mat', 'sat', EOS]);
    expectDataError(() => loadSplit(dir, 'valid', vocab), 'valid split is missing', 'ptb.valid.txt');
    expect(findSplitFile(dir, 'test')).toBe(path.join(dir, 'ptb.test.txt'));
  });
});

describe('embedded default corpus', () => {
  const corpus = loadCorpus(DEFAULT_CORPUS_DIR);

  it('lives in data/brown of the package', () => {
    expect(DEFAULT_CORPUS_DIR).toBe(path.resolve(__dirname, '../../data/brown'));
    const bytes = ['train.txt', 'valid.txt', 'test.txt', 'README.md'].reduce((sum, name) => sum + fs.statSync(path.join(DEFAULT_CORPUS_DIR, name)).size, 0);
    expect(bytes).toBeLessThan(3 * 1024 * 1024);
  });

  it('has the sizes its description states', () => {
    const sizes = [corpus.train.length, corpus.valid.length, corpus.test.length, corpus.vocab.size];
    expect(sizes).toEqual([275_263, 14_671, 14_856, 7_763]);
    for (const size of sizes) expect(DEFAULT_CORPUS_DESCRIPTION).toContain(size.toLocaleString('en-US'));
    expect(corpus.level).toBe('word');
  });

  it('has no out-of-vocabulary words in valid and test', () => {
    for (const file of [corpus.files.valid, corpus.files.test]) {
      const unknown = tokenize(fs.readFileSync(file, 'utf8'), 'word').filter((token) => !corpus.vocab.has(token));
      expect(unknown).toEqual([]);
    }
    expect(corpus.vocab.unkId).not.toBeNull();
  });
});

const PTB_DIR = path.resolve(__dirname, '../../../shared/data/ptb');
const describeIfPtb = fs.existsSync(PTB_DIR) ? describe : describe.skip;

describeIfPtb('Penn Treebank (Mikolov), when present', () => {
  it('loads with the standard counts, quickly', () => {
    const started = performance.now();
    const corpus = loadCorpus(PTB_DIR);
    const elapsedMs = performance.now() - started;
    expect(corpus.vocab.size).toBe(10_000);
    expect(corpus.train.length).toBe(929_589);
    expect(corpus.valid.length).toBe(73_760);
    expect(corpus.test.length).toBe(82_430);
    expect(corpus.vocab.unkId).not.toBeNull();
    // About 0.35 s on the 2-core machine; the budget is 1 s, with headroom for a busy CI machine.
    expect(elapsedMs).toBeLessThan(2000);
  });
});
