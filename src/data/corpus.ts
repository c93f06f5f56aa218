import * as fs from 'fs';
import * as path from 'path';
import { PACKAGE_ROOT } from '../package';
import { SplitName } from '../config/names';
import { DataError } from '../errors';
import { tokenize } from './tokens';
import { EOS, quote, TokenLevel, UNK, Vocabulary } from './vocabulary';

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

function assertHasContent(tokens: readonly string[], splitName: string): void {
  if (tokens.every((token) => token === EOS)) {
    throw new DataError(`The ${splitName} has no tokens (it is empty or only blank lines): put text in it, one sentence or line of text per line`);
  }
}

/** Ids of `tokens`; unknown tokens map to `<unk>`, or are a DataError naming the split if the vocabulary lacks it. */
function encodeTokens(tokens: readonly string[], vocab: Vocabulary, splitName: string): Int32Array {
  assertHasContent(tokens, splitName);
  const ids = new Int32Array(tokens.length);
  const unknownCounts = new Map<string, number>();
  let unknownTotal = 0;
  for (let i = 0; i < tokens.length; i++) {
    const id = vocab.find(tokens[i]) ?? vocab.unkId;
    if (id !== null) {
      ids[i] = id;
    } else {
      unknownCounts.set(tokens[i], (unknownCounts.get(tokens[i]) ?? 0) + 1);
      unknownTotal += 1;
    }
  }
  if (unknownTotal > 0) {
    const examples = [...unknownCounts.keys()].slice(0, MAX_UNKNOWN_EXAMPLES).map(quote).join(', ');
    const unit = vocab.level === 'word' ? 'token' : 'character';
    throw new DataError((option) =>
      `The ${splitName} has ${countOf(unknownTotal, unit)} (${formatCount(unknownCounts.size)} distinct, e.g. ${examples}) ` +
        `not in the vocabulary of ${formatCount(vocab.size)} types, which has no ${UNK}: ` +
        `replace rare words by ${UNK} in the training text, or train with ${option('maxVocab')} N (N < ${formatCount(vocab.size)}) so rare types map to ${UNK}`,
    );
  }
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
  return encodeTokens(tokenize(text, level), vocab, splitName);
}

/** Byte offset of the first ill-formed UTF-8 sequence (Unicode Table 3-7), or -1 if there is none. */
function firstInvalidUtf8Offset(bytes: Uint8Array): number {
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
    } else return offset;
    for (let k = 1; k < length; k++) {
      const continuation = bytes[offset + k] as number | undefined;
      const min = k === 1 ? secondMin : 0x80;
      const max = k === 1 ? secondMax : 0xbf;
      if (continuation === undefined || continuation < min || continuation > max) return offset;
    }
    offset += length;
  }
  return -1;
}

/** The text of a UTF-8 file (BOM removed); binary, UTF-16 and other non-UTF-8 files are a DataError. */
function readUtf8File(file: string): string {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    throw new DataError(`Cannot read ${file}: ${(error as Error).message}`);
  }
  const nulOffset = bytes.indexOf(0);
  if (nulOffset >= 0) {
    throw new DataError(`${file} is not a text file: it has a NUL byte at byte offset ${nulOffset} (binary, or UTF-16?): give plain UTF-8 text`);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const offset = firstInvalidUtf8Offset(bytes);
    const where = offset >= 0 ? ` (byte 0x${bytes[offset].toString(16).padStart(2, '0')} at byte offset ${offset})` : '';
    throw new DataError(`${file} is not valid UTF-8${where}: convert it to UTF-8, e.g. iconv -f latin1 -t utf-8`);
  }
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

function encodeSplitFile(file: string, split: SplitName, vocab: Vocabulary): Int32Array {
  return encodeText(readUtf8File(file), vocab, vocab.level, `${split} split ${file}`);
}

/** Reads and encodes one split of corpus directory `dir` with an existing vocabulary (e.g. a saved model's). */
export function loadSplit(dir: string, split: SplitName, vocab: Vocabulary): Int32Array {
  return encodeSplitFile(findSplitFile(dir, split), split, vocab);
}

/** Tokens and vocabulary of the training split of `root`, with the vocabulary-size checks. */
function readTrainingSplit(root: string, options: LoadCorpusOptions): { file: string; name: string; tokens: string[]; vocab: Vocabulary } {
  const level: TokenLevel = options.char ? 'char' : 'word';
  const file = findSplitFile(root, 'train');
  const name = `train split ${file}`;
  const tokens = tokenize(readUtf8File(file), level);
  assertHasContent(tokens, name);
  const vocab = Vocabulary.fromTokens(tokens, level, { maxVocab: options.maxVocab });
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
 * Every problem with the data or options is a DataError with a one-line message.
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
  return {
    dir: root,
    level: vocab.level,
    vocab,
    train: encodeTokens(train.tokens, vocab, train.name),
    valid: encodeSplitFile(files.valid, 'valid', vocab),
    test: encodeSplitFile(files.test, 'test', vocab),
    files,
  };
}

/** The embedded Brown sample (see data/brown/README.md), used when no --data is given. */
export const DEFAULT_CORPUS_DIR = path.join(PACKAGE_ROOT, 'data', 'brown');
export const DEFAULT_CORPUS_DESCRIPTION =
  'Brown corpus sample (embedded, word level, PTB style): 275,263 train / 14,671 valid / 14,856 test tokens, 7,763 types';
