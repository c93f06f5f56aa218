/**
 * The native addon native/onednn/rnn.cc: oneDNN's recurrent primitives over whole windows, on float32 arrays
 * in our layouts (time-major [T, B, ·], weights [in, G·u] with our gate columns). Only the interface lives
 * here, so the layers still bundle for a browser; src/backend/onednn.ts loads the addon in Node.
 */
export type OnednnCell = 'lstm' | 'peephole' | 'gru' | 'rnn';

export interface OnednnWindowSizes {
  cell: OnednnCell;
  time: number;
  batch: number;
  inputs: number;
  units: number;
  /** bfloat16 products and state (float32 cell state and gradients) instead of float32. */
  bf16: boolean;
}

/** A window's input, initial state and weights; `c0` for the LSTMs, `peephole` [p_i, p_f, p_o] for the peephole LSTM. */
export interface OnednnWindowData {
  /** [T, B, in] */
  x: Float32Array;
  h0: Float32Array;
  c0?: Float32Array;
  /** [in, G·u] and [u, G·u], our gate columns. */
  wx: Float32Array;
  wh: Float32Array;
  b: Float32Array;
  peephole?: Float32Array;
}

export interface OnednnForwardResult {
  /** [T, B, u] */
  outputs: Float32Array;
  h: Float32Array;
  c?: Float32Array;
  /** What the backward pass needs, in oneDNN's layout (training only). */
  workspace?: Int32Array;
}

export interface OnednnGradients {
  dx: Float32Array;
  dh0: Float32Array;
  dc0?: Float32Array;
  dWx: Float32Array;
  dWh: Float32Array;
  dB: Float32Array;
  dPeephole?: Float32Array;
}

export interface OnednnAddon {
  /** oneDNN's version, e.g. "3.2.0". */
  version(): string;
  /** oneDNN's threads for calls from the JavaScript thread. */
  setThreads(threads: number): void;
  forward(args: OnednnWindowSizes & OnednnWindowData & { training: boolean }): OnednnForwardResult;
  /** From the forward's inputs and outputs as it took and gave them, and the gradients of outputs and final state. */
  backward(args: OnednnWindowSizes & OnednnWindowData & {
    outputs: Float32Array; h: Float32Array; c?: Float32Array; workspace: Int32Array;
    dOutputs: Float32Array; dh: Float32Array; dc?: Float32Array;
  }): OnednnGradients;
}
