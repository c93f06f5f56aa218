/**
 * The cell equations re-computed in plain float64 JavaScript, independent of tfjs, from the flat weight
 * arrays in getWeights() order. Used as ground truth for the outputs and for finite differences.
 */
import { CellKind } from '../../src/cells';

export interface FlatWeights {
  kernel: number[]; // [inputDim, gates·units], row-major
  recurrent: number[]; // [units, gates·units]
  bias: number[]; // [gates·units]
  peephole?: number[]; // [3·units]: p_i, p_f, p_o
}

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

/** Column `col` of row vector · matrix [rows, cols]. */
function dot(vec: number[], mat: number[], cols: number, col: number): number {
  let s = 0;
  for (let r = 0; r < vec.length; r++) s += vec[r] * mat[r * cols + col];
  return s;
}

/** One step for one sequence: x [inputDim], state [h] or [h, c] → new state. */
export function referenceStep(kind: CellKind, w: FlatWeights, units: number, x: number[], state: number[][]): number[][] {
  const gates = kind === 'gru' ? 3 : kind === 'rnn' ? 1 : 4;
  const cols = gates * units;
  const h = state[0];
  const xPart = (col: number): number => dot(x, w.kernel, cols, col) + w.bias[col];
  const hPart = (vec: number[], col: number): number => dot(vec, w.recurrent, cols, col);
  const pre = (gate: number, j: number): number => xPart(gate * units + j) + hPart(h, gate * units + j);
  const range = Array.from({ length: units }, (_, j) => j);
  if (kind === 'rnn') return [range.map((j) => Math.tanh(pre(0, j)))];
  if (kind === 'gru') {
    const r = range.map((j) => sigmoid(pre(0, j)));
    const z = range.map((j) => sigmoid(pre(1, j)));
    const rh = range.map((j) => r[j] * h[j]);
    const g = range.map((j) => Math.tanh(xPart(2 * units + j) + hPart(rh, 2 * units + j)));
    return [range.map((j) => z[j] * h[j] + (1 - z[j]) * g[j])];
  }
  const c = state[1];
  const p = w.peephole ?? new Array(3 * units).fill(0);
  const i = range.map((j) => sigmoid(pre(0, j) + p[j] * c[j]));
  const f = range.map((j) => sigmoid(pre(1, j) + p[units + j] * c[j]));
  const g = range.map((j) => Math.tanh(pre(2, j)));
  const cNext = range.map((j) => f[j] * c[j] + i[j] * g[j]);
  const o = range.map((j) => sigmoid(pre(3, j) + p[2 * units + j] * cNext[j]));
  return [range.map((j) => o[j] * Math.tanh(cNext[j])), cNext];
}

/** Runs a batch of sequences: xs [batch][time][inputDim], states [stateIndex][batch][units]. */
export function referenceRun(
  kind: CellKind, w: FlatWeights, units: number, xs: number[][][], initial: number[][][],
): { outputs: number[][][]; state: number[][][] } {
  const outputs: number[][][] = [];
  const finals: number[][][] = initial.map(() => []);
  xs.forEach((sequence, b) => {
    let state = initial.map((s) => s[b]);
    const hs: number[][] = [];
    for (const x of sequence) {
      state = referenceStep(kind, w, units, x, state);
      hs.push(state[0]);
    }
    outputs.push(hs);
    state.forEach((s, k) => finals[k].push(s));
  });
  return { outputs, state: finals };
}
