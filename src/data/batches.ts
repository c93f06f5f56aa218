import { checkValue, positiveInteger } from '../config/options';
import { ConfigError } from '../errors';

/**
 * Offset mini-batches for truncated BPTT (Mikolov; Zaremba et al. 2014; PyTorch word_language_model).
 *
 * The token stream is cut into B parallel streams, stream k starting at offset k·len/B; they are read side by
 * side in windows of T steps, and the targets are the inputs shifted by one. Hidden state flows from window
 * w to window w+1 of the same stream.
 */
export interface Window {
  /** Token ids [batch, steps], row-major. */
  inputs: Int32Array;
  /** Next-token ids [batch, steps]. */
  targets: Int32Array;
  /** 1 where a target exists, 0 in the padding of a ragged last window; null when every position counts. */
  mask: Float32Array | null;
  batchSize: number;
  steps: number;
  /** Number of real (unmasked) targets in this window. */
  tokens: number;
}

export interface StreamOptions {
  /**
   * Training: every stream gets floor((len−1)/B) targets and the few left over are dropped (as in the
   * classic recipe). Evaluation (`exact: true`): stream lengths differ by at most one so that every token
   * but the first is predicted exactly once, and ragged windows carry a mask.
   */
  exact: boolean;
}

export class StreamBatcher {
  /** Start of each stream in the token array, plus the end sentinel. */
  private readonly bounds: number[];
  private readonly longest: number;

  constructor(
    private readonly ids: Int32Array,
    readonly batchSize: number,
    readonly bptt: number,
    options: StreamOptions,
  ) {
    checkValue('batchSize', positiveInteger, batchSize);
    checkValue('bptt', positiveInteger, bptt);
    const predictable = ids.length - 1;
    if (predictable < batchSize) {
      throw new ConfigError((option) =>
        `${ids.length} tokens cannot fill ${batchSize} streams: lower the batch size (${option('batchSize')}) to at most ${Math.max(predictable, 1)}`);
    }
    this.bounds = [];
    if (options.exact) {
      // Targets are spread as evenly as possible: stream k predicts positions bounds[k]+1 … bounds[k+1].
      for (let k = 0; k <= batchSize; k++) this.bounds.push(Math.floor((k * predictable) / batchSize));
    } else {
      const perStream = Math.floor(predictable / batchSize);
      for (let k = 0; k <= batchSize; k++) this.bounds.push(k * perStream);
    }
    let longest = 0;
    for (let k = 0; k < batchSize; k++) longest = Math.max(longest, this.bounds[k + 1] - this.bounds[k]);
    this.longest = longest;
  }

  /** Steps per stream (the longest stream, for ragged evaluation streams). */
  get streamLength(): number {
    return this.longest;
  }

  get numWindows(): number {
    return Math.ceil(this.longest / this.bptt);
  }

  /** Number of targets over all windows. */
  get predictedTokens(): number {
    return this.bounds[this.batchSize] - this.bounds[0];
  }

  window(index: number): Window {
    if (index < 0 || index >= this.numWindows) throw new RangeError(`window ${index} out of range [0, ${this.numWindows})`);
    const start = index * this.bptt;
    return this.span(start, Math.min(this.bptt, this.longest - start));
  }

  /** The window of `steps` positions from `start` of every stream (variable-length BPTT picks its own). */
  span(start: number, steps: number): Window {
    if (start < 0 || steps < 1 || start + steps > this.longest) {
      throw new RangeError(`positions ${start}…${start + steps - 1} out of range [0, ${this.longest})`);
    }
    const size = this.batchSize * steps;
    const inputs = new Int32Array(size);
    const targets = new Int32Array(size);
    let mask: Float32Array | null = null;
    let tokens = 0;
    for (let b = 0; b < this.batchSize; b++) {
      const from = this.bounds[b];
      const length = this.bounds[b + 1] - from;
      for (let t = 0; t < steps; t++) {
        const position = start + t;
        const at = b * steps + t;
        if (position < length) {
          inputs[at] = this.ids[from + position];
          targets[at] = this.ids[from + position + 1];
          tokens++;
        } else {
          mask ??= new Float32Array(size).fill(1);
          mask[at] = 0; // padding: input and target stay id 0 and do not count
        }
      }
    }
    return { inputs, targets, mask, batchSize: this.batchSize, steps, tokens };
  }
}
