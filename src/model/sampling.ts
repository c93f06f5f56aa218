/**
 * Drawing the next token from a row of logits: temperature, top-k and nucleus (top-p) truncation, and a seeded
 * random source. Plain arrays only, so the browser bundle samples exactly as Node does.
 */

export interface SamplingOptions {
  /** Softmax temperature: < 1 sharper, > 1 flatter. */
  temperature: number;
  /** Keep only the k most likely tokens; null = all. */
  topK: number | null;
  /** Keep the smallest set of most likely tokens whose probability reaches p (Holtzman et al. 2020); null = all. */
  topP: number | null;
}

/** mulberry32: a small seeded PRNG, so a seed reproduces a sample on any backend and in the browser. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** softmax(logits / temperature), in float64. */
export function softmax(logits: ArrayLike<number>, temperature = 1): Float64Array {
  let max = -Infinity;
  for (let k = 0; k < logits.length; k++) max = Math.max(max, logits[k] / temperature);
  const probs = new Float64Array(logits.length);
  let total = 0;
  for (let k = 0; k < logits.length; k++) {
    probs[k] = Math.exp(logits[k] / temperature - max);
    total += probs[k];
  }
  for (let k = 0; k < probs.length; k++) probs[k] /= total;
  return probs;
}

/**
 * The tokens sampling may pick and their probabilities (not renormalised). Without truncation every id in id
 * order; with top-k or top-p the most likely first, cut after k of them or once their total reaches p.
 */
export function candidates(logits: ArrayLike<number>, options: SamplingOptions): { ids: number[]; probs: number[] } {
  const probs = softmax(logits, options.temperature);
  const ids = Array.from(probs.keys());
  if (options.topK === null && options.topP === null) return { ids, probs: Array.from(probs) };
  ids.sort((a, b) => probs[b] - probs[a] || a - b);
  let keep = Math.min(options.topK ?? ids.length, ids.length);
  if (options.topP !== null) {
    let total = 0;
    for (let k = 0; k < keep; k++) {
      total += probs[ids[k]];
      if (total >= options.topP) {
        keep = k + 1;
        break;
      }
    }
  }
  const kept = ids.slice(0, keep);
  return { ids: kept, probs: kept.map((id) => probs[id]) };
}

/** Draws a token id from softmax(logits / temperature), truncated to the candidates. */
export function sampleToken(logits: ArrayLike<number>, options: SamplingOptions, random: () => number): number {
  const { ids, probs } = candidates(logits, options);
  let threshold = random() * probs.reduce((a, b) => a + b, 0);
  for (let k = 0; k < ids.length; k++) {
    threshold -= probs[k];
    if (threshold <= 0) return ids[k];
  }
  return ids[ids.length - 1];
}
