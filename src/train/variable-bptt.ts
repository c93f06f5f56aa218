import { seededRandom } from '../model/sampling';

/*
 * Variable-length back-propagation through time (Merity et al. 2017, section 4.1; salesforce/awd-lstm-lm
 * main.py): each window's base length is T with probability 0.95 and T/2 otherwise, its length is drawn from
 * N(base, 5) and truncated to an integer, at least 5, and the last window ends with the stream. The lr of the
 * window's step is scaled by length/T, so that every token weighs the same whatever its window's length.
 *
 * A window's draw depends only on the seed, the epoch and its start position in the stream, so an epoch's
 * windows are the same sequence every time they are computed: resuming at window k replays exactly the
 * windows of the uninterrupted run.
 */

/** A window of the training streams: the first position and the number of steps. */
export interface Span {
  start: number;
  steps: number;
}

export const MIN_WINDOW = 5;
export const LENGTH_STDDEV = 5;
export const FULL_LENGTH_PROBABILITY = 0.95;

/** The windows of one epoch, covering positions 0 … streamLength − 1 exactly once, in order. */
export function variableWindows(streamLength: number, bptt: number, seed: number, epoch: number): Span[] {
  const spans: Span[] = [];
  for (let start = 0; start < streamLength;) {
    const steps = Math.min(windowLength(bptt, seed, epoch, start), streamLength - start);
    spans.push({ start, steps });
    start += steps;
  }
  return spans;
}

/** The drawn length of the window starting at `start`: max(5, trunc(N(T or T/2, 5))). */
export function windowLength(bptt: number, seed: number, epoch: number, start: number): number {
  const next = seededRandom(hash(seed, epoch, start));
  const base = next() < FULL_LENGTH_PROBABILITY ? bptt : bptt / 2;
  // Box–Muller: a standard normal from two uniforms (1 − u keeps the logarithm finite).
  const normal = Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  return Math.max(MIN_WINDOW, Math.trunc(base + LENGTH_STDDEV * normal));
}

function hash(...values: number[]): number {
  let h = 0x811c9dc5;
  for (const v of values) h = Math.imul(h ^ (v | 0), 0x01000193) ^ (h >>> 13);
  return h >>> 0;
}
