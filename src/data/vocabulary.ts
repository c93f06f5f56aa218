import { createHash } from 'crypto';
import { CORPUS_OPTIONS } from '../config/commands';
import { checkValue } from '../config/options';
import { DataError } from '../errors';
import { EOS, TokenLevel, UNK } from './tokens';

export { EOS, UNK };
export type { TokenLevel };

/** The serialised form of a vocabulary, as stored next to a model. */
export interface VocabularyJSON {
  words: string[];
  level: TokenLevel;
}

export interface VocabularyOptions {
  /** Keep at most this many types (including `<eos>` and `<unk>`); rarer ones become `<unk>`. */
  maxVocab?: number;
}

interface RankedType {
  word: string;
  count: number;
  /** Rank of its first occurrence in the token stream: breaks frequency ties. */
  firstSeen: number;
}

const WHITESPACE = /\s/;
const FINGERPRINT_HEX_CHARS = 16;
const MAX_QUOTED_CHARS = 40;

/** Quotes a user-supplied word for a one-line message: escapes control characters and cuts very long words. */
export function quote(word: string): string {
  const shown = word.length > MAX_QUOTED_CHARS ? `${word.slice(0, MAX_QUOTED_CHARS)}…` : word;
  return JSON.stringify(shown);
}

function isTokenLevel(value: unknown): value is TokenLevel {
  return value === 'word' || value === 'char';
}

/** The reason `word` cannot be a type of a `level` vocabulary, or null if it can. */
function invalidTypeReason(word: unknown, level: TokenLevel): string | null {
  if (typeof word !== 'string') return `is ${word === null ? 'null' : typeof word}, expected a string`;
  if (word === EOS || word === UNK) return null;
  if (level === 'word') {
    if (word.length === 0) return 'is an empty string';
    if (WHITESPACE.test(word)) return `${quote(word)} contains whitespace, which word-level tokens cannot`;
    return null;
  }
  // Code points, not UTF-16 units: tokenisation never splits a surrogate pair.
  const codePoints = [...word].length;
  return codePoints === 1 ? null : `${quote(word)} is ${codePoints} characters, expected exactly one at char level`;
}

function byFrequency(a: RankedType, b: RankedType): number {
  return b.count - a.count || a.firstSeen - b.firstSeen;
}

/** Keeps the `maxVocab - 1` most frequent types (always `<eos>`) and folds all others into `<unk>`. */
function foldRareTypesIntoUnk(ranked: readonly RankedType[], maxVocab: number): RankedType[] {
  const unk: RankedType = { word: UNK, count: 0, firstSeen: Number.POSITIVE_INFINITY };
  const kept: RankedType[] = [unk];
  let budget = maxVocab - 2; // room left besides <unk> and <eos>
  for (const type of ranked) {
    if (type.word === EOS) {
      kept.push(type);
    } else if (type.word !== UNK && budget > 0) {
      kept.push(type);
      budget -= 1;
    } else {
      unk.count += type.count;
      unk.firstSeen = Math.min(unk.firstSeen, type.firstSeen);
    }
  }
  return kept.sort(byFrequency);
}

/** The set of token types of a corpus, each with a dense id in [0, size). */
export class Vocabulary {
  /** Types by id: most frequent first in a vocabulary built from text. */
  readonly words: readonly string[];
  readonly level: TokenLevel;
  readonly eosId: number;
  /** Id of `<unk>`, or null when the vocabulary has none (then unknown words are errors). */
  readonly unkId: number | null;
  /** Short stable hash of level and words: tells whether a model and a corpus share the same vocabulary. */
  readonly fingerprint: string;
  private readonly ids: ReadonlyMap<string, number>;

  /** Throws DataError unless `words` are distinct valid types for `level` and include `<eos>`. */
  constructor(words: readonly string[], level: TokenLevel) {
    if (!isTokenLevel(level)) throw new DataError(`Malformed vocabulary: level is ${JSON.stringify(level)}, expected "word" or "char"`);
    const ids = new Map<string, number>();
    words.forEach((word, id) => {
      const reason = invalidTypeReason(word, level);
      if (reason !== null) throw new DataError(`Malformed vocabulary: word ${id} ${reason}`);
      if (ids.has(word)) throw new DataError(`Malformed vocabulary: ${quote(word)} appears twice (ids ${ids.get(word)} and ${id})`);
      ids.set(word, id);
    });
    const eosId = ids.get(EOS);
    if (eosId === undefined) throw new DataError(`Malformed vocabulary: it lacks the end-of-line token ${EOS}`);
    this.words = Object.freeze([...words]);
    this.level = level;
    this.ids = ids;
    this.eosId = eosId;
    this.unkId = ids.get(UNK) ?? null;
    this.fingerprint = createHash('sha256')
      .update(JSON.stringify([level, this.words]))
      .digest('hex')
      .slice(0, FINGERPRINT_HEX_CHARS);
  }

  /**
   * Builds the vocabulary of a token stream (the training split): types sorted by descending frequency, ties in
   * order of first occurrence. With `maxVocab`, only that many types remain and the rest become `<unk>`.
   */
  static fromTokens(tokens: readonly string[], level: TokenLevel, options: VocabularyOptions = {}): Vocabulary {
    const counts = new Map<string, number>();
    for (const token of tokens) counts.set(token, (counts.get(token) ?? 0) + 1);
    return Vocabulary.fromCounts(counts, level, options);
  }

  /** As `fromTokens`, from the count of each type in order of first occurrence (a corpus read as a stream). */
  static fromCounts(counts: ReadonlyMap<string, number>, level: TokenLevel, options: VocabularyOptions = {}): Vocabulary {
    const { maxVocab } = options;
    if (maxVocab !== undefined) checkValue('maxVocab', CORPUS_OPTIONS.maxVocab.type, maxVocab);
    // A Map iterates in insertion order, i.e. in order of first occurrence; sort() is stable.
    const ranked = [...counts].map(([word, count], firstSeen) => ({ word, count, firstSeen })).sort(byFrequency);
    const kept = maxVocab !== undefined && ranked.length > maxVocab ? foldRareTypesIntoUnk(ranked, maxVocab) : ranked;
    return new Vocabulary(
      kept.map((type) => type.word),
      level,
    );
  }

  /** Restores a vocabulary saved with toJSON(); throws DataError with the first problem found if `json` is malformed. */
  static fromJSON(json: unknown): Vocabulary {
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new DataError(`Malformed vocabulary: expected an object { words: string[], level: "word" | "char" }, got ${Array.isArray(json) ? 'an array' : json === null ? 'null' : typeof json}`);
    }
    const { words, level } = json as Record<string, unknown>;
    if (!Array.isArray(words)) throw new DataError(`Malformed vocabulary: "words" must be an array of strings, got ${typeof words}`);
    if (!isTokenLevel(level)) throw new DataError(`Malformed vocabulary: "level" must be "word" or "char", got ${level === undefined ? 'nothing' : JSON.stringify(level)}`);
    return new Vocabulary(words as string[], level);
  }

  get size(): number {
    return this.words.length;
  }

  has(word: string): boolean {
    return this.ids.has(word);
  }

  /** The id of `word`, or undefined if it is not a type of this vocabulary (no `<unk>` fallback). */
  find(word: string): number | undefined {
    return this.ids.get(word);
  }

  /** The id of `word`; an unknown word maps to `<unk>` if the vocabulary has it, and is a DataError otherwise. */
  id(word: string): number {
    const id = this.ids.get(word) ?? this.unkId;
    if (id === null) {
      throw new DataError(`${quote(word)} is not in the ${this.level}-level vocabulary (${this.size.toLocaleString('en-US')} types, no ${UNK}): use known ${this.level}s only`);
    }
    return id;
  }

  word(id: number): string {
    if (!Number.isInteger(id) || id < 0 || id >= this.words.length) {
      throw new RangeError(`Token id ${id} is outside the vocabulary [0, ${this.words.length})`);
    }
    return this.words[id];
  }

  toJSON(): VocabularyJSON {
    return { words: [...this.words], level: this.level };
  }
}
