import { BatchProgress } from '../../src/train/trainer';
import { progressPrinter } from '../../src/train/progress';

/** Feeds batches `from`…`to` of a 140-batch epoch, the last of the run, one second apart, and returns what was written. */
function feed(isTTY: boolean, from: number, to: number): string[] {
  const written: string[] = [];
  let clock = 0;
  const print = progressPrinter({ write: (text) => written.push(text), isTTY }, () => clock);
  for (let batch = from; batch <= to; batch++) {
    const progress: BatchProgress = { epoch: 3, epochs: 3, batch, batches: 140, loss: Math.log(120), wordsPerSecond: 2345.6, lr: 20, gradNorm: 0.5 };
    print(progress);
    clock += 1000;
  }
  return written;
}

test('not a terminal: a plain line about every 10% of the epoch, with batch k/n, loss, ppl, words/s and ETA', () => {
  const lines = feed(false, 1, 140);
  expect(lines).toHaveLength(10);
  expect(lines[0]).toBe('epoch 3 batch 14/140 loss 4.787 ppl 120.00 2346 words/s ETA 2m06s\n');
  expect(lines[9]).toBe('epoch 3 batch 140/140 loss 4.787 ppl 120.00 2346 words/s ETA 0m00s\n');
  expect(lines.join('')).not.toMatch(/\r|\x1b/);
});

test('a terminal: one bar redrawn in place at every batch, erased at the end of the epoch', () => {
  const writes = feed(true, 1, 140);
  expect(writes).toHaveLength(141);
  expect(writes[69]).toBe('\r[##########..........] epoch 3 batch 70/140 loss 4.787 ppl 120.00 2346 words/s ETA 1m10s\x1b[K');
  expect(writes[0]).toMatch(/^\r\[\.{20}\] epoch 3 batch 1\/140 .* ETA —\x1b\[K$/);
  expect(writes[140]).toBe('\r\x1b[K');
});

test('after a resume the ETA comes from the batches this process has run, not from the start of the epoch', () => {
  const lines = feed(false, 101, 126);
  // 25 batches in 25 s since batch 101, 14 to go.
  expect(lines).toEqual(['epoch 3 batch 112/140 loss 4.787 ppl 120.00 2346 words/s ETA 0m28s\n',
    'epoch 3 batch 126/140 loss 4.787 ppl 120.00 2346 words/s ETA 0m14s\n']);
});

test('with epochs to come, the ETA of the run: at this epoch\'s pace, then at the time a whole epoch took', () => {
  const written: string[] = [];
  let clock = 0;
  const print = progressPrinter({ write: (text) => written.push(text), isTTY: false }, () => clock);
  const batch = (epoch: number, k: number): void =>
    print({ epoch, epochs: 5, batch: k, batches: 10, loss: Math.log(120), wordsPerSecond: 1000, lr: 20, gradNorm: 0.5 });
  // Epoch 2 of 5 from a resume at batch 5, a second a batch: 5 left in it, then 3 epochs of 10 batches.
  for (let k = 5; k <= 10; k++, clock += 1000) batch(2, k);
  expect(written[0]).toBe('epoch 2 batch 5/10 loss 4.787 ppl 120.00 1000 words/s ETA —\n');
  expect(written[1]).toBe('epoch 2 batch 6/10 loss 4.787 ppl 120.00 1000 words/s ETA 0m04s (run 0m34s)\n');
  // Epoch 3, seen whole: its batches and a 20 s validation before epoch 4 — each epoch to come then takes 30 s.
  for (let k = 1; k <= 10; k++, clock += 1000) batch(3, k);
  clock += 20_000;
  for (let k = 1; k <= 2; k++, clock += 1000) batch(4, k);
  expect(written.at(-1)).toBe('epoch 4 batch 2/10 loss 4.787 ppl 120.00 1000 words/s ETA 0m08s (run 0m38s)\n');
  // The last epoch has no run ETA beside its own.
  for (let k = 1; k <= 2; k++, clock += 1000) batch(5, k);
  expect(written.at(-1)).toBe('epoch 5 batch 2/10 loss 4.787 ppl 120.00 1000 words/s ETA 0m08s\n');
});
