import * as tf from '@tensorflow/tfjs';

/*
 * Non-monotonically triggered averaged SGD, NT-ASGD (Merity et al. 2017, section 3, Algorithm 1; as
 * salesforce/awd-lstm-lm main.py runs it): plain SGD until the validation metric has not improved on the
 * best of more than n epochs ago, then SGD whose iterates are averaged, w̄ = (1/k)·Σ_{i=1..k} w_i over the k
 * steps since the switch (torch.optim.ASGD with t0 = 0, λ = 0). Validation, the best model and the test
 * perplexity then use w̄; the training steps go on from the last iterate.
 */

/**
 * The trigger, checked after each epoch's validation before averaging starts: `previous` holds the earlier
 * epochs' validation perplexities, `latest` this epoch's; true when `latest` is worse than the best of
 * `previous` without its last `nonmono` entries (AWD-LSTM: `val_loss > min(best_val_loss[:-nonmono])`).
 */
export function nonMonotoneTrigger(previous: number[], latest: number, nonmono: number): boolean {
  return previous.length > nonmono && latest > Math.min(...previous.slice(0, previous.length - nonmono));
}

/**
 * Whether averaging starts after `epoch`: the non-monotone trigger fires, or the run reached `averageAfter`,
 * the last epoch of plain SGD that a fixed epoch budget allows: the trigger waits for valid to stall, and a
 * run that ends before it does would never get the average.
 */
export function averagingStarts(
  previous: number[], latest: number, epoch: number, { nonmono, averageAfter }: { nonmono: number; averageAfter: number | null },
): boolean {
  return (averageAfter !== null && epoch >= averageAfter) || nonMonotoneTrigger(previous, latest, nonmono);
}

/** The running mean of the weights' iterates: after k updates, the mean of the k values seen. */
export class IterateAverage {
  readonly average: tf.Variable[];

  /** Starts from `initial` (a copy is kept) having averaged `count` iterates; a new average has count 0. */
  constructor(initial: tf.Tensor[], public count = 0) {
    this.average = initial.map((w) => tf.variable(w, false));
  }

  /** Adds one iterate: w̄ ← w̄ + (w − w̄)/(k + 1). */
  update(weights: tf.Tensor[]): void {
    const share = 1 / (this.count + 1);
    tf.tidy(() => this.average.forEach((avg, k) => avg.assign(tf.add(avg, tf.mul(tf.sub(weights[k], avg), share)))));
    this.count += 1;
  }

  dispose(): void {
    tf.dispose(this.average);
  }
}
