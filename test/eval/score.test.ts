import { Vocabulary } from '../../src/data/vocabulary';
import { DataError } from '../../src/errors';
import { evaluatePerplexity } from '../../src/eval/perplexity';
import { scoreText } from '../../src/eval/score';
import { smallModel } from '../model/fixtures';

const WORDS = ['<eos>', '<unk>', 'the', 'cat', 'sat', 'on', 'mat'];

test('each line is scored from a sentence start, as evaluation scores the same tokens', () => {
  const model = smallModel({ vocabSize: WORDS.length, initScale: 0.5 });
  const vocab = new Vocabulary(WORDS, 'word');
  const scores = scoreText(model, vocab, 'the cat sat\n\nthe dog sat on the mat\n');
  expect(scores.map((s) => [s.text, s.tokens])).toEqual([['the cat sat', 4], ['', 1], ['the dog sat on the mat', 7]]);
  // "dog" is unknown: scored as <unk>, like evaluation does.
  const ids = [0, 2, 1, 4, 5, 2, 6, 0];
  const reference = evaluatePerplexity(model, Int32Array.from(ids), 1, 3);
  expect(scores[2].logProb).toBeCloseTo(-reference.nll, 4);
  expect(scores[2].perplexity).toBeCloseTo(reference.perplexity, 4);
  model.dispose();
});

test('without <unk> in the vocabulary, unknown words are an error that names them', () => {
  const model = smallModel({ vocabSize: 6 });
  const vocab = new Vocabulary(WORDS.filter((w) => w !== '<unk>'), 'word');
  expect(() => scoreText(model, vocab, 'the dog sat\n', 'sentences.txt')).toThrow(DataError);
  expect(() => scoreText(model, vocab, 'the dog sat\n', 'sentences.txt')).toThrow(/sentences.txt has 1 token .*"dog"/);
  model.dispose();
});
