import { candidates, sampleToken, seededRandom, softmax } from '../../src/model/sampling';

const logits = [Math.log(0.5), Math.log(0.05), Math.log(0.3), Math.log(0.15)];
const all = { temperature: 1, topK: null, topP: null };

test('without truncation every token is a candidate, in id order', () => {
  const { ids, probs } = candidates(logits, all);
  expect(ids).toEqual([0, 1, 2, 3]);
  probs.forEach((p, k) => expect(p).toBeCloseTo([0.5, 0.05, 0.3, 0.15][k], 10));
});

test('top-k keeps the k most likely tokens, top-p the fewest whose probability reaches p', () => {
  expect(candidates(logits, { ...all, topK: 2 }).ids).toEqual([0, 2]);
  expect(candidates(logits, { ...all, topP: 0.5 }).ids).toEqual([0]);
  expect(candidates(logits, { ...all, topP: 0.79 }).ids).toEqual([0, 2]);
  expect(candidates(logits, { ...all, topP: 0.9 }).ids).toEqual([0, 2, 3]);
  expect(candidates(logits, { ...all, topK: 2, topP: 0.9 }).ids).toEqual([0, 2]);
});

test('sampling draws only candidates, in proportion to their probabilities, and a seed reproduces it', () => {
  const random = seededRandom(7);
  const counts = [0, 0, 0, 0];
  for (let k = 0; k < 20000; k++) counts[sampleToken(logits, { ...all, topK: 3 }, random)] += 1;
  expect(counts[1]).toBe(0);
  expect(counts[0] / 20000).toBeCloseTo(0.5 / 0.95, 1);
  expect(counts[3] / 20000).toBeCloseTo(0.15 / 0.95, 1);
  const draw = (seed: number): number[] => {
    const r = seededRandom(seed);
    return Array.from({ length: 20 }, () => sampleToken(logits, all, r));
  };
  expect(draw(3)).toEqual(draw(3));
  expect(draw(3)).not.toEqual(draw(4));
});

test('temperature sharpens (< 1) or flattens (> 1) the distribution', () => {
  expect(softmax(logits, 0.5)[0]).toBeGreaterThan(0.5);
  expect(softmax(logits, 2)[0]).toBeLessThan(0.5);
  expect(softmax(logits, 1e-3)[0]).toBeCloseTo(1, 6);
});
