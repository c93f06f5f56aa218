/**
 * The native addon native/onednn/rnn.cc: oneDNN's recurrent primitives over whole windows, on float32 arrays
 * in our layouts (time-major [T, B, ·], weights [in, G·u] with our gate columns). Only the interface lives
 * here, so the layers still bundle for a browser; src/backend/onednn.ts loads the addon in Node.
 */
export interface OnednnWindowSizes {
  time: number;
  batch: number;
  inputs: number;
  units: number;
  /** bfloat16 products and state (float32 cell state and gradients) instead of float32. */
  bf16: boolean;
}

export interface LstmWindowData {
  /** [T, B, in] */
  x: Float32Array;
  h0: Float32Array;
  c0: Float32Array;
  /** [in, 4u] and [u, 4u], columns i, f, g, o. */
  wx: Float32Array;
  wh: Float32Array;
  b: Float32Array;
}

export interface LstmWindowResult {
  /** [T, B, u] */
  outputs: Float32Array;
  h: Float32Array;
  c: Float32Array;
  /** What the backward pass needs, in oneDNN's layout (training only). */
  workspace: Int32Array | null;
}

export interface LstmWindowGradients {
  dx: Float32Array;
  dh0: Float32Array;
  dc0: Float32Array;
  dWx: Float32Array;
  dWh: Float32Array;
  dB: Float32Array;
}

export interface OnednnAddon {
  /** oneDNN's version, e.g. "3.2.0". */
  version(): string;
  /** oneDNN's threads for calls from the JavaScript thread. */
  setThreads(threads: number): void;
  lstmForward(args: OnednnWindowSizes & LstmWindowData & { training: boolean }): LstmWindowResult;
  lstmBackward(args: OnednnWindowSizes & LstmWindowData & {
    outputs: Float32Array; h: Float32Array; c: Float32Array; workspace: Int32Array;
    dOutputs: Float32Array; dh: Float32Array; dc: Float32Array;
  }): LstmWindowGradients;
}
