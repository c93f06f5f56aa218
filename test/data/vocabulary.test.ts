import { expectDataError } from './expect-data-error';
import { EOS, UNK, Vocabulary } from '../../src/data';
import { ConfigError, DataError } from '../../src/errors';


const tokens = (text: string): string[] => text.split(' ');

describe('Vocabulary.fromTokens', () => {
  it('sorts types by descending frequency, ties in order of first occurrence', () => {
    const vocab = Vocabulary.fromTokens(tokens('b a c a b d <eos> e <eos> c'), 'word');
    // counts: b 2, a 2, c 2, <eos> 2, d 1, e 1
    expect(vocab.words).toEqual(['b', 'a', 'c', EOS, 'd', 'e']);
    expect(vocab.size).toBe(6);
    expect(vocab.eosId).toBe(3);
    expect(vocab.unkId).toBeNull();
    expect(vocab.level).toBe('word');
  });

  it('maps words and ids both ways', () => {
    const vocab = Vocabulary.fromTokens(tokens('x y <eos> y'), 'word');
    expect(vocab.id('y')).toBe(0);
    expect(vocab.word(0)).toBe('y');
    expect(vocab.has('x')).toBe(true);
    expect(vocab.has('z')).toBe(false);
    expect(vocab.find('x')).toBe(1);
    expect(vocab.find('z')).toBeUndefined();
    expect(() => vocab.word(3)).toThrow(RangeError);
    expect(() => vocab.word(-1)).toThrow(RangeError);
    expect(() => vocab.word(0.5)).toThrow(RangeError);
  });

  it('throws on an unknown word without <unk>, and maps it to <unk> when present', () => {
    const closed = Vocabulary.fromTokens(tokens('a b <eos>'), 'word');
    expectDataError(() => closed.id('zebra'), '"zebra"', 'no <unk>');
    const open = Vocabulary.fromTokens(tokens('a <unk> <eos> <unk>'), 'word');
    expect(open.unkId).toBe(0);
    expect(open.id('zebra')).toBe(0);
    expect(open.find('zebra')).toBeUndefined();
  });

  it('requires <eos>', () => {
    expectDataError(() => Vocabulary.fromTokens(['a', 'b'], 'word'), '<eos>');
  });

  it('words is a frozen copy', () => {
    const vocab = Vocabulary.fromTokens(tokens('a <eos>'), 'word');
    expect(Object.isFrozen(vocab.words)).toBe(true);
  });
});

describe('maxVocab', () => {
  // counts: the 5, <eos> 3, a 3, cat 2, dog 2, sat 1
  const text = tokens('the cat the dog <eos> the a cat <eos> a the dog the sat a <eos>');

  it('keeps the most frequent types and folds the rest into <unk>, placed by its merged count', () => {
    const vocab = Vocabulary.fromTokens(text, 'word', { maxVocab: 4 });
    // kept: the, <eos>, a; <unk> = cat 2 + dog 2 + sat 1 = 5, first seen at "cat" (before <eos>)
    expect(vocab.words).toEqual(['the', UNK, EOS, 'a']);
    expect(vocab.size).toBe(4);
    expect(vocab.unkId).toBe(1);
    expect(vocab.id('cat')).toBe(1);
  });

  it('merges an existing <unk> with the dropped types', () => {
    const vocab = Vocabulary.fromTokens(tokens('<unk> a a b c <eos>'), 'word', { maxVocab: 3 });
    expect(vocab.words).toEqual([UNK, 'a', EOS]);
  });

  it('always keeps <eos>, even when it is rare', () => {
    const vocab = Vocabulary.fromTokens(tokens('a a a b b b c c <eos>'), 'word', { maxVocab: 2 });
    expect(vocab.words).toEqual([UNK, EOS]);
  });

  it('changes nothing (and adds no <unk>) when the vocabulary already fits', () => {
    const full = Vocabulary.fromTokens(text, 'word');
    const capped = Vocabulary.fromTokens(text, 'word', { maxVocab: full.size });
    expect(capped.words).toEqual(full.words);
    expect(capped.unkId).toBeNull();
  });

  it.each([0, 1, 2.5, Number.NaN])('rejects maxVocab %p, naming the option', (maxVocab) => {
    expect(() => Vocabulary.fromTokens(text, 'word', { maxVocab })).toThrow(ConfigError);
    expect(() => Vocabulary.fromTokens(text, 'word', { maxVocab })).toThrow(/^maxVocab must be an integer of at least 2/);
  });
});

describe('fingerprint', () => {
  const words = ['the', EOS, 'cat'];

  it('is a 16-hex-digit hash that depends only on level and words', () => {
    const vocab = new Vocabulary(words, 'word');
    expect(vocab.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(new Vocabulary([...words], 'word').fingerprint).toBe(vocab.fingerprint);
    expect(Vocabulary.fromTokens(tokens('the the the <eos> <eos> cat'), 'word').fingerprint).toBe(vocab.fingerprint);
  });

  it('is stable across releases (saved models store it)', () => {
    expect(new Vocabulary(words, 'word').fingerprint).toBe('c86584e788112861');
  });

  it('changes with the order of words or the level', () => {
    const vocab = new Vocabulary(words, 'word');
    expect(new Vocabulary(['cat', EOS, 'the'], 'word').fingerprint).not.toBe(vocab.fingerprint);
    expect(new Vocabulary(['a', EOS], 'char').fingerprint).not.toBe(new Vocabulary(['a', EOS], 'word').fingerprint);
  });
});

describe('toJSON / fromJSON', () => {
  it('round-trips through JSON text', () => {
    const vocab = Vocabulary.fromTokens(tokens('a b <unk> b <eos>'), 'word');
    const json = vocab.toJSON();
    expect(json).toEqual({ words: ['b', 'a', UNK, EOS], level: 'word' });
    const restored = Vocabulary.fromJSON(JSON.parse(JSON.stringify(vocab)));
    expect(restored.words).toEqual(vocab.words);
    expect(restored.level).toBe('word');
    expect(restored.fingerprint).toBe(vocab.fingerprint);
    expect(restored.unkId).toBe(vocab.unkId);
    expect(restored.eosId).toBe(vocab.eosId);
  });

  it('round-trips a char-level vocabulary with space and astral characters', () => {
    const vocab = new Vocabulary([' ', 'é', '😀', EOS], 'char');
    const restored = Vocabulary.fromJSON(JSON.parse(JSON.stringify(vocab.toJSON())));
    expect(restored.words).toEqual([' ', 'é', '😀', EOS]);
    expect(restored.level).toBe('char');
  });

  it.each<[string, unknown, (string | RegExp)[]]>([
    ['null', null, ['expected an object', 'null']],
    ['an array', ['a', EOS], ['an array']],
    ['a string', 'the cat', ['string']],
    ['missing words', { level: 'word' }, ['"words" must be an array', 'undefined']],
    ['words not an array', { words: 'a b', level: 'word' }, ['"words" must be an array']],
    ['missing level', { words: ['a', EOS] }, ['"level"', 'got nothing']],
    ['unknown level', { words: ['a', EOS], level: 'byte' }, ['"level"', '"byte"']],
    ['a non-string word', { words: ['a', 7, EOS], level: 'word' }, ['word 1 is number']],
    ['an empty word', { words: ['a', '', EOS], level: 'word' }, ['word 1 is an empty string']],
    ['a word with whitespace', { words: ['new york', EOS], level: 'word' }, ['"new york" contains whitespace']],
    ['a multi-character char token', { words: ['ab', EOS], level: 'char' }, ['"ab" is 2 characters']],
    ['a duplicate word', { words: ['a', EOS, 'a'], level: 'word' }, ['"a" appears twice', 'ids 0 and 2']],
    ['no <eos>', { words: ['a', 'b'], level: 'word' }, ['lacks the end-of-line token <eos>']],
  ])('rejects %s with a clear message', (_case, json, fragments) => {
    expectDataError(() => Vocabulary.fromJSON(json), 'Malformed vocabulary', ...fragments);
  });
});
