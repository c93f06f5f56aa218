/**
 * How long an evaluation's windows are, and dynamic evaluation's default rates for a window length. Kept apart
 * from the methods (no imports) so that the option tables of src/config/ can name them in their help.
 */

/** Tokens a window when nothing else asks: the training windows' 35 (plain and cache scores do not depend on it). */
export const EVALUATION_WINDOW = 35;

/**
 * Dynamic evaluation's window: Krause et al. (2018) step after every 5 tokens (their code's default segment,
 * benkrause/dynamic-evaluation). It matters: on `zaremba-medium` (docs/results/README.md; plain test 84.37)
 * 5-token windows gave 72.63 where 35-token windows gave 78.06 at the same rates per token, in 5× the time.
 */
export const DYNAMIC_WINDOW = 5;

/** The window length that `DYNAMIC_RATES` and tune.ts's grid are written for. */
export const RATES_WINDOW = 35;

/**
 * Dynamic evaluation's lr and λ for `RATES_WINDOW`-token windows: what `--tune` chose for a 2×200 Penn Treebank
 * LSTM (docs/results/README.md; its λ 0.1 under the earlier sum normaliser is 0.0125 for its 8 weight tensors:
 * src/eval/dynamic.ts). Krause et al.'s own values are in src/eval/tune.ts.
 */
export const DYNAMIC_RATES = { lr: 0.0005, lambda: 0.0125 } as const;

/**
 * A rate written for `RATES_WINDOW`-token windows, for windows of `bptt` tokens, as Krause et al.'s code scales
 * its grid by the window length: a window is one step on its mean loss, so over a text the weights move by about
 * lr/bptt and decay by λ/bptt a token; scaling both keeps those rates. Three significant digits.
 */
export function perWindow(rate: number, bptt: number): number {
  return Number(((rate * bptt) / RATES_WINDOW).toPrecision(3));
}

/** `DYNAMIC_RATES` for windows of `bptt` tokens (lr 0.0000714, λ 0.00179 at `DYNAMIC_WINDOW`). */
export function dynamicRates(bptt: number): { lr: number; lambda: number } {
  return { lr: perWindow(DYNAMIC_RATES.lr, bptt), lambda: perWindow(DYNAMIC_RATES.lambda, bptt) };
}
