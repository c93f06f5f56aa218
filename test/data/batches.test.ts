import { StreamBatcher } from '../../src/data/batches';

const ids = Int32Array.from({ length: 103 }, (_, k) => k);

test('training streams start at k·len/B, targets are inputs shifted by one, remainder dropped', () => {
  const batcher = new StreamBatcher(ids, 4, 5, { exact: false });
  // 102 predictable tokens / 4 streams = 25 each; 2 left over are dropped.
  expect(batcher.streamLength).toBe(25);
  expect(batcher.numWindows).toBe(5);
  const first = batcher.window(0);
  expect(Array.from(first.inputs.slice(0, 5))).toEqual([0, 1, 2, 3, 4]);
  expect(Array.from(first.inputs.slice(5, 10))).toEqual([25, 26, 27, 28, 29]); // stream 1 starts at 25
  expect(Array.from(first.targets.slice(0, 5))).toEqual([1, 2, 3, 4, 5]);
  const second = batcher.window(1);
  expect(Array.from(second.inputs.slice(0, 5))).toEqual([5, 6, 7, 8, 9]); // window 2 continues stream 0
  expect(first.mask).toBeNull();
});

test('exact streams predict every token but the first exactly once, with a masked ragged end', () => {
  for (const [batch, bptt] of [[1, 7], [3, 4], [10, 35], [7, 1]]) {
    const batcher = new StreamBatcher(ids, batch, bptt, { exact: true });
    const seen = new Map<number, number>();
    let tokens = 0;
    for (let w = 0; w < batcher.numWindows; w++) {
      const window = batcher.window(w);
      tokens += window.tokens;
      window.targets.forEach((target, k) => {
        if (window.mask && window.mask[k] === 0) return;
        seen.set(target, (seen.get(target) ?? 0) + 1);
      });
    }
    expect(tokens).toBe(ids.length - 1);
    expect(batcher.predictedTokens).toBe(ids.length - 1);
    expect([...seen.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 102 }, (_, k) => k + 1));
    expect([...seen.values()].every((count) => count === 1)).toBe(true);
  }
});

test('too few tokens for the batch size is a clear error', () => {
  expect(() => new StreamBatcher(Int32Array.from([1, 2, 3]), 5, 2, { exact: false })).toThrow(/cannot fill 5 streams/);
});
