import * as fs from 'fs';
import * as path from 'path';
import { PACKAGE_ROOT } from '../package';
import { SplitName } from '../config/names';
import { DataError } from '../errors';
import { EOS, TokenLevel, UNK, lineTokens, tokenize } from './tokens';
import { quote, Vocabulary } from './vocabulary';

export { tokenize };


/** A corpus directory encoded with the vocabulary of its training split. */
export interface Corpus {
  /** Absolute path of the corpus directory. */
  dir: string;
  level: TokenLevel;
  vocab: Vocabulary;
  train: Int32Array;
  valid: Int32Array;
  test: Int32Array;
  /** Absolute path of the file each split was read from. */
  files: Record<SplitName, string>;
}

export interface LoadCorpusOptions {
  /** Character-level tokens instead of words. */
  char?: boolean;
  /** Keep the maxVocab most frequent types (including `<eos>`, `<unk>`) and map the rest to `<unk>`. */
  maxVocab?: number;
  /** Without maxVocab, a training vocabulary larger than this is an error. Default: DEFAULT_VOCAB_LIMITS[level]. */
  vocabLimit?: number;
}

/** Beyond these sizes the softmax alone gets unwieldy, and the data is probably not what the user meant. */
export const DEFAULT_VOCAB_LIMITS: Readonly<Record<TokenLevel, number>> = { word: 200_000, char: 20_000 };

const MAX_UNKNOWN_EXAMPLES = 5;

/** The file names a split may have in a corpus directory. */
export function splitFileNames(split: SplitName): string[] {
  return [`${split}.txt`, `ptb.${split}.txt`];
}

function formatCount(count: number): string {
  return count.toLocaleString('en-US');
}

/** "1 token", "1,234 tokens". */
function countOf(count: number, singular: string): string {
  return `${formatCount(count)} ${singular}${count === 1 ? '' : 's'}`;
}

const withoutCR = (line: string): string => (line.endsWith('\r') ? line.slice(0, -1) : line);

/** The tokens of one line, then `<eos>` (see `tokenize`), one at a time. */
function tokenizeLine(line: string, level: TokenLevel, emit: (token: string) => void): void {
  for (const token of lineTokens(line, level)) emit(token);
  emit(EOS);
}

/** A source of tokens: calls `emit` for each token in order. Files are read as streams (see `fileTokens`). */
type TokenSource = (emit: (token: string) => void) => void;

/** Tokens that are not in the vocabulary, for the message that names them. */
interface UnknownTokens {
  splitName: string;
  total: number;
  counts: Map<string, number>;
}

/** Token ids in a typed array that grows by doubling; `ids()` is a copy of exactly the filled part. */
class IdBuffer {
  private buffer: Int32Array;
  length = 0;

  constructor(capacity: number) {
    this.buffer = new Int32Array(Math.max(capacity, 16));
  }

  push(id: number): void {
    if (this.length === this.buffer.length) {
      const grown = new Int32Array(this.buffer.length * 2);
      grown.set(this.buffer);
      this.buffer = grown;
    }
    this.buffer[this.length++] = id;
  }

  ids(): Int32Array {
    return this.length === this.buffer.length ? this.buffer : this.buffer.slice(0, this.length);
  }
}

/**
 * Ids of the tokens of `source`; unknown tokens map to `<unk>`, or are collected for the caller's message if the
 * vocabulary lacks it. With `exactCount` (known from an earlier pass) the ids fill one array of that size.
 */
function encodeSource(source: TokenSource, vocab: Vocabulary, splitName: string, exactCount?: number): { ids: Int32Array; unknown: UnknownTokens | null } {
  const ids = new IdBuffer(exactCount ?? 1024);
  const counts = new Map<string, number>();
  let total = 0;
  let words = 0;
  source((token) => {
    if (token !== EOS) words += 1;
    const id = vocab.find(token) ?? vocab.unkId;
    if (id !== null) {
      ids.push(id);
    } else {
      counts.set(token, (counts.get(token) ?? 0) + 1);
      total += 1;
    }
  });
  if (words === 0) throw noTokens(splitName);
  return { ids: ids.ids(), unknown: total > 0 ? { splitName, total, counts } : null };
}

const noTokens = (splitName: string): DataError =>
  new DataError(`The ${splitName} has no tokens (it is empty or only blank lines): put text in it, one sentence or line of text per line`);

/** One DataError naming every split with tokens outside a vocabulary that has no `<unk>`, with counts and examples. */
function unknownTokensError(unknown: UnknownTokens[], vocab: Vocabulary): DataError {
  const unit = vocab.level === 'word' ? 'token' : 'character';
  const parts = unknown.map(({ splitName, total, counts }) => {
    const examples = [...counts.keys()].slice(0, MAX_UNKNOWN_EXAMPLES).map(quote).join(', ');
    return `the ${splitName} has ${countOf(total, unit)} (${formatCount(counts.size)} distinct, e.g. ${examples})`;
  });
  const list = parts.join(' and ');
  return new DataError((option) =>
    `${list.charAt(0).toUpperCase()}${list.slice(1)} not in the vocabulary of ${formatCount(vocab.size)} types, which has no ${UNK}: ` +
      `replace rare words by ${UNK} in the training text, or train with ${option('maxVocab')} N (N < ${formatCount(vocab.size)}) so rare types map to ${UNK}`);
}

function encodeOrThrow(source: TokenSource, vocab: Vocabulary, splitName: string): Int32Array {
  const { ids, unknown } = encodeSource(source, vocab, splitName);
  if (unknown) throw unknownTokensError([unknown], vocab);
  return ids;
}

/**
 * Encodes the text of a split with an existing vocabulary, e.g. a saved model's. `splitName` names the text in
 * error messages ("valid split data/valid.txt"). Throws DataError if the text has no tokens, or has tokens
 * outside a vocabulary without `<unk>`.
 */
export function encodeText(text: string, vocab: Vocabulary, level: TokenLevel, splitName: string): Int32Array {
  if (level !== vocab.level) {
    throw new DataError(`Cannot encode the ${splitName} at ${level} level with a ${vocab.level}-level vocabulary: use the level the vocabulary was built with`);
  }
  return encodeOrThrow((emit) => tokenize(text, level).forEach(emit), vocab, splitName);
}

/**
 * Scans UTF-8 bytes (Unicode Table 3-7) from the start of `bytes`: the offset of the first ill-formed sequence,
 * or -1, and how many bytes were complete sequences (a sequence cut by the end of a chunk is left for the next
 * one unless `final`).
 */
function scanUtf8(bytes: Uint8Array, final: boolean): { invalidAt: number; complete: number } {
  let offset = 0;
  while (offset < bytes.length) {
    const lead = bytes[offset];
    let length: number;
    let secondMin = 0x80;
    let secondMax = 0xbf;
    if (lead < 0x80) length = 1;
    else if (lead >= 0xc2 && lead <= 0xdf) length = 2;
    else if (lead >= 0xe0 && lead <= 0xef) {
      length = 3;
      if (lead === 0xe0) secondMin = 0xa0; // overlong
      if (lead === 0xed) secondMax = 0x9f; // surrogates
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      length = 4;
      if (lead === 0xf0) secondMin = 0x90; // overlong
      if (lead === 0xf4) secondMax = 0x8f; // beyond U+10FFFF
    } else return { invalidAt: offset, complete: offset };
    for (let k = 1; k < length; k++) {
      const continuation = bytes[offset + k] as number | undefined;
      if (continuation === undefined) return final ? { invalidAt: offset, complete: offset } : { invalidAt: -1, complete: offset };
      const min = k === 1 ? secondMin : 0x80;
      const max = k === 1 ? secondMax : 0xbf;
      if (continuation < min || continuation > max) return { invalidAt: offset, complete: offset };
    }
    offset += length;
  }
  return { invalidAt: -1, complete: offset };
}

/** Bytes read at a time: the text of a corpus is never held whole, only its token ids. */
const CHUNK_BYTES = 1 << 22;

function readChunks(file: string, onChunk: (bytes: Buffer, offset: number, last: boolean) => void): void {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (error) {
    throw new DataError(`Cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    let offset = 0;
    for (;;) {
      const read = fs.readSync(fd, buffer, 0, CHUNK_BYTES, null);
      onChunk(buffer.subarray(0, read), offset, read === 0);
      if (read === 0) return;
      offset += read;
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** The byte offset and value of the first ill-formed UTF-8 sequence of a file (read again, in chunks), or null. */
function firstInvalidUtf8(file: string): { offset: number; byte: number } | null {
  let carry = Buffer.alloc(0);
  let carryOffset = 0;
  let found: { offset: number; byte: number } | null = null;
  readChunks(file, (bytes, offset, last) => {
    if (found) return;
    const joined = Buffer.concat([carry, bytes]);
    const start = offset - carry.length;
    const { invalidAt, complete } = scanUtf8(joined, last);
    if (invalidAt >= 0) found = { offset: start + invalidAt, byte: joined[invalidAt] };
    carry = Buffer.from(joined.subarray(complete));
    carryOffset = start + complete;
  });
  return found ?? (carry.length > 0 ? { offset: carryOffset, byte: carry[0] } : null);
}

/**
 * The tokens of a UTF-8 text file (BOM removed), read in chunks so that a file of any size streams through;
 * binary, UTF-16 and other non-UTF-8 files are a DataError naming the first bad byte.
 */
function fileTokens(file: string, level: TokenLevel): TokenSource {
  return (emit) => {
    const decoder = new TextDecoder('utf-8', { fatal: true });
    let partialLine = '';
    readChunks(file, (bytes, offset, last) => {
      const nulOffset = bytes.indexOf(0);
      if (nulOffset >= 0) {
        throw new DataError(`${file} is not a text file: it has a NUL byte at byte offset ${offset + nulOffset} (binary, or UTF-16?): give plain UTF-8 text`);
      }
      let text: string;
      try {
        text = decoder.decode(bytes, { stream: !last });
      } catch {
        const bad = firstInvalidUtf8(file);
        const where = bad ? ` (byte 0x${bad.byte.toString(16).padStart(2, '0')} at byte offset ${bad.offset})` : '';
        throw new DataError(`${file} is not valid UTF-8${where}: convert it to UTF-8, e.g. iconv -f latin1 -t utf-8`);
      }
      const lines = (partialLine + text).split('\n');
      partialLine = lines.pop() as string;
      for (const line of lines) tokenizeLine(withoutCR(line), level, emit);
      if (last && partialLine.length > 0) tokenizeLine(withoutCR(partialLine), level, emit);
    });
  };
}

function assertDirectory(dir: string): void {
  const stats = fs.statSync(dir, { throwIfNoEntry: false });
  const expected = `a directory with ${splitFileNames('train')[0]}, ${splitFileNames('valid')[0]} and ${splitFileNames('test')[0]} (or the ptb.*.txt names)`;
  if (stats === undefined) throw new DataError((option) => `Data directory ${dir} does not exist: ${option('data')} must be ${expected}`);
  if (!stats.isDirectory()) throw new DataError((option) => `Data path ${dir} is not a directory: ${option('data')} must be ${expected}`);
}

/** The file holding `split` in corpus directory `dir`: `<split>.txt` or `ptb.<split>.txt`; DataError if none or both. */
export function findSplitFile(dir: string, split: SplitName): string {
  const root = path.resolve(dir);
  assertDirectory(root);
  const names = splitFileNames(split);
  const present = names.filter((name) => fs.existsSync(path.join(root, name)));
  if (present.length === 0) {
    throw new DataError(`The ${split} split is missing from ${root}: looked for ${names.join(' and ')}; add one of them`);
  }
  if (present.length > 1) {
    throw new DataError(`${root} has both ${present.join(' and ')}: remove or rename one so that the ${split} split is unambiguous`);
  }
  const file = path.join(root, present[0]);
  if (!fs.statSync(file).isFile()) throw new DataError(`${file} is not a regular file: the ${split} split must be a text file`);
  return file;
}

/** Reads and encodes one split of corpus directory `dir` with an existing vocabulary (e.g. a saved model's). */
export function loadSplit(dir: string, split: SplitName, vocab: Vocabulary): Int32Array {
  const file = findSplitFile(dir, split);
  return encodeOrThrow(fileTokens(file, vocab.level), vocab, `${split} split ${file}`);
}

/**
 * The vocabulary of the training split of `root`, with the vocabulary-size checks, and its token count: a
 * first pass over the file counts types, so the second can fill an array of exactly the right size.
 */
function readTrainingSplit(root: string, options: LoadCorpusOptions): { file: string; name: string; tokens: number; vocab: Vocabulary } {
  const level: TokenLevel = options.char ? 'char' : 'word';
  const file = findSplitFile(root, 'train');
  const name = `train split ${file}`;
  const counts = new Map<string, number>();
  let tokens = 0;
  fileTokens(file, level)((token) => {
    counts.set(token, (counts.get(token) ?? 0) + 1);
    tokens += 1;
  });
  if (tokens === (counts.get(EOS) ?? 0)) throw noTokens(name);
  const vocab = Vocabulary.fromCounts(counts, level, { maxVocab: options.maxVocab });
  const vocabLimit = options.vocabLimit ?? DEFAULT_VOCAB_LIMITS[level];
  if (options.maxVocab === undefined && vocab.size > vocabLimit) {
    const types = level === 'word' ? 'word types' : 'distinct characters';
    throw new DataError((option) =>
      `The ${name} has ${formatCount(vocab.size)} ${types}, more than the limit of ${formatCount(vocabLimit)}: ` +
        `pass ${option('maxVocab')} N (e.g. ${option('maxVocab')} ${Math.min(50_000, vocabLimit)}) to keep the N most frequent and map the rest to ${UNK}`,
    );
  }
  return { file, name, tokens, vocab };
}

/** The vocabulary that training on corpus directory `dir` builds (its train split only; valid/test are not read). */
export function trainingVocabulary(dir: string, options: LoadCorpusOptions = {}): Vocabulary {
  return readTrainingSplit(path.resolve(dir), options).vocab;
}

/**
 * Loads a corpus directory: the vocabulary is built from the training split, and valid/test are encoded with it.
 * Files are read as streams, so memory grows with the number of tokens, not the size of the text. Every problem
 * with the data or options is a DataError with a one-line message; tokens outside a vocabulary without `<unk>`
 * are reported for every split that has them.
 */
export function loadCorpus(dir: string, options: LoadCorpusOptions = {}): Corpus {
  const root = path.resolve(dir);
  // All three files are looked up first, so a missing split is reported before a long read of train.
  const files: Record<SplitName, string> = {
    train: findSplitFile(root, 'train'),
    valid: findSplitFile(root, 'valid'),
    test: findSplitFile(root, 'test'),
  };
  const train = readTrainingSplit(root, options);
  const { vocab } = train;
  const encoded = {
    train: encodeSource(fileTokens(files.train, vocab.level), vocab, train.name, train.tokens),
    valid: encodeSource(fileTokens(files.valid, vocab.level), vocab, `valid split ${files.valid}`),
    test: encodeSource(fileTokens(files.test, vocab.level), vocab, `test split ${files.test}`),
  };
  const unknown = Object.values(encoded).flatMap((split) => (split.unknown ? [split.unknown] : []));
  if (unknown.length > 0) throw unknownTokensError(unknown, vocab);
  return { dir: root, level: vocab.level, vocab, train: encoded.train.ids, valid: encoded.valid.ids, test: encoded.test.ids, files };
}

/** The embedded Brown sample (see data/brown/README.md), used when no --data is given. */
export const DEFAULT_CORPUS_DIR = path.join(PACKAGE_ROOT, 'data', 'brown');
export const DEFAULT_CORPUS_DESCRIPTION =
  'Brown corpus sample (embedded, word level, PTB style): 275,263 train / 14,671 valid / 14,856 test tokens, 7,763 types';
