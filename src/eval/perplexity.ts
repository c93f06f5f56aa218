import * as tf from '@tensorflow/tfjs';
import { StreamBatcher } from '../data/batches';
import { LanguageModel, ModelState } from '../model/lm';

export interface PerplexityResult {
  /** exp(nll / tokens). */
  perplexity: number;
  /** Total negative log-likelihood in nats. */
  nll: number;
  /** Number of predicted tokens: every token of the split but the first. */
  tokens: number;
}

/** Hears an evaluation pass after each window: the windows done, and in all (for a progress line). */
export type WindowProgress = (done: number, total: number) => void;

/** Takes the name of each pass of an evaluation ("dynamic evaluation on test") and gives that pass's window hook. */
export type PassProgress = (pass: string) => WindowProgress | undefined;

/**
 * Exact perplexity over a whole split: exp(Σ NLL / number of predicted tokens), stateful across windows, no
 * dropout. Any batch size: the split is cut into `batchSize` streams whose lengths differ by at most one and
 * the ragged end is masked, so no token is dropped or counted twice.
 */
export function evaluatePerplexity(
  model: LanguageModel, ids: Int32Array, batchSize: number, bptt: number, onWindow?: WindowProgress,
): PerplexityResult {
  const pass = new PerplexityPass(model, ids, batchSize, bptt, onWindow);
  while (!pass.done) pass.step();
  return pass.result;
}

/**
 * `evaluatePerplexity` a window at a time, for a caller that lets other work run between windows (a training
 * run's Ctrl-C during its validation or test pass): `step()` scores the next window; `dispose()` frees the
 * state carried by a pass left before its end.
 */
export class PerplexityPass {
  private readonly batcher: StreamBatcher;
  private state: ModelState | null = null;
  private nll = 0;
  private scored = 0;

  constructor(
    private readonly model: LanguageModel, ids: Int32Array, batchSize: number, bptt: number, private readonly onWindow?: WindowProgress,
  ) {
    this.batcher = new StreamBatcher(ids, batchSize, bptt, { exact: true });
  }

  get done(): boolean {
    return this.scored === this.batcher.numWindows;
  }

  step(): void {
    const window = this.batcher.window(this.scored);
    const state = this.state;
    const result = tf.tidy(() => {
      const inputs = tf.tensor2d(window.inputs, [window.batchSize, window.steps], 'int32');
      const { nll: perToken, state: next } = this.model.tokenNll(inputs, tf.tensor1d(window.targets, 'int32'), state, null, { inference: true });
      const sum = window.mask ? tf.sum(tf.mul(perToken, window.mask)) : tf.sum(perToken);
      return { sum, next: next.layers };
    });
    this.nll += result.sum.dataSync()[0];
    result.sum.dispose();
    this.dispose();
    this.state = { layers: result.next };
    this.scored += 1;
    if (this.done) this.dispose();
    this.onWindow?.(this.scored, this.batcher.numWindows);
  }

  /** The whole split's figures, once every window is scored. */
  get result(): PerplexityResult {
    if (!this.done) throw new Error(`the perplexity pass has scored ${this.scored} of its ${this.batcher.numWindows} windows`);
    const tokens = this.batcher.predictedTokens;
    return { perplexity: Math.exp(this.nll / tokens), nll: this.nll, tokens };
  }

  dispose(): void {
    if (this.state) tf.dispose(this.state.layers);
    this.state = null;
  }
}
