import { createCell } from '../src/cells';
import { HyperParameters } from '../src/config';

/** The configs: PyTorch word_language_model's small and medium tied LSTMs, and a medium GRU. */
export const CONFIGS: Record<string, Partial<HyperParameters>> = {
  small: { cell: 'lstm', layers: 2, hidden: 200, embedding: 200, tied: true, dropout: 0.2 },
  medium: { cell: 'lstm', layers: 2, hidden: 650, embedding: 650, tied: true, dropout: 0.5 },
  gru: { cell: 'gru', layers: 2, hidden: 650, embedding: 650, tied: true, dropout: 0.5 },
};

/** Batch and window of every system in the race (PyTorch's script fixes them too). */
export const BATCH = 20;
export const BPTT = 35;

/** How many windows each system trains untimed, then timed, and evaluates. */
export interface Counts {
  batches: number;
  warmup: number;
  evalBatches: number;
  /** Batch-1 windows of dynamic evaluation to time (0: not measured). */
  dynamicWindows: number;
  /** Tokens in each of those windows. */
  dynamicBptt: number;
}

/** One measured system × config, as printed and as kept in bench/results.json. */
export interface Row {
  system: 'tfjs-rnnlm' | 'tfjs-layers' | 'pytorch';
  backend: string;
  precision: string;
  /** Intra-op threads; null = the library's default. */
  threads: number | null;
  kernel: string;
  config: string;
  data: string;
  batches: number;
  trainWordsPerSecond: number;
  evalWordsPerSecond: number | null;
  /** Dynamic evaluation (batch 1, a step after each window) words/s; null where not measured. */
  dynamicWordsPerSecond: number | null;
  /** Matmul GFLOP/s of training (forward + backward = 3 × forward). */
  trainGflops: number;
  msPerBatch: number;
  peakRssMiB: number | null;
  rssGrowthPercent: number | null;
  tensorsBefore: number | null;
  tensorsAfter: number | null;
}

/** Multiply-add FLOPs of one forward pass over `tokens` positions: the fused affines and the output projection. */
export function forwardFlops(h: HyperParameters, vocabSize: number, tokens: number): number {
  const hidden = h.hidden as number;
  const gates = createCell(h.cell, { units: 1 }).gates; // blocks of the fused affine
  let perToken = 0;
  let input = h.embedding;
  for (let k = 0; k < h.layers; k++) {
    perToken += 2 * (input + hidden) * gates * hidden; // [x, h]·W
    input = hidden;
  }
  perToken += 2 * hidden * vocabSize; // projection to the vocabulary
  return perToken * tokens;
}

export function rssMiB(): number {
  return process.memoryUsage().rss / 2 ** 20;
}

/**
 * RSS after a full garbage collection (the bench runs with --expose-gc). Between major collections V8's heap
 * grows by ~0.5 MB of garbage per batch and drops back, so only collected readings show retained memory.
 */
export function settledRssMiB(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return rssMiB();
}

/** Runs `warmup` then `batches` training steps; the timed part's seconds, peak RSS and RSS growth after GC. */
export async function timeTraining(
  step: (k: number) => void | Promise<void>, counts: Counts, tensors: () => number,
): Promise<{ seconds: number; peakRss: number; growthPercent: number; tensorsBefore: number; tensorsAfter: number }> {
  for (let k = 0; k < counts.warmup; k++) await step(k);
  const tensorsBefore = tensors();
  const rssBefore = settledRssMiB();
  let peakRss = rssBefore;
  const started = performance.now();
  for (let k = 0; k < counts.batches; k++) {
    await step(counts.warmup + k);
    if (k % 25 === 0) peakRss = Math.max(peakRss, rssMiB());
  }
  const seconds = (performance.now() - started) / 1000;
  const tensorsAfter = tensors();
  peakRss = Math.max(peakRss, rssMiB());
  const rssAfter = settledRssMiB();
  return { seconds, peakRss, growthPercent: (100 * (rssAfter - rssBefore)) / rssBefore, tensorsBefore, tensorsAfter };
}
