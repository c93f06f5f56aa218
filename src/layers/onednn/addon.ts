/**
 * The native addon native/onednn/: oneDNN's recurrent primitives over whole windows (rnn.cc), the LSTM's time
 * loop on oneDNN's matmuls (lstm.cc), on float32 arrays in our layouts (time-major [T, B, ·], weights [in, G·u]
 * with our gate columns), and the output layer with its softmax cross-entropy (output.cc). Only the interface
 * lives here, so the layers still bundle for a browser; src/backend/onednn.ts loads the addon in Node.
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
  /** The sequences (x, outputs, their gradients) are [B, T, ·] rather than [T, B, ·]. */
  batchMajor: boolean;
}

/** A window's input, initial state and weights; `c0` for the LSTMs, `peephole` [p_i, p_f, p_o] for the peephole LSTM. */
export interface OnednnWindowData {
  /** [T, B, in], or [B, T, in] with `batchMajor` */
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

/**
 * The LSTM window of native/onednn/lstm.cc: x, outputs and their gradients batch-major ([B, T, ·]); masks [T, B, u]
 * multiply h_{t−1} where it enters the recurrent product.
 */
export type OnednnLstmData = Omit<OnednnWindowSizes, 'cell' | 'batchMajor'> & {
  x: Float32Array; h0: Float32Array; c0: Float32Array; wx: Float32Array; wh: Float32Array; masks?: Float32Array;
};

export interface OnednnGradients {
  dx: Float32Array;
  dh0: Float32Array;
  dc0?: Float32Array;
  dWx: Float32Array;
  dWh: Float32Array;
  dB: Float32Array;
  dPeephole?: Float32Array;
}

/** The output layer's sizes: N rows of H features, V words; W is [V, H] (`vocabRows`, a tied embedding) or [H, V]. */
export interface OnednnOutputSizes {
  rows: number;
  hidden: number;
  vocab: number;
  bf16: boolean;
  vocabRows: boolean;
}

export interface OnednnOutputData {
  /** [N, H] */
  h: Float32Array;
  w: Float32Array;
  /** [V] */
  b: Float32Array;
  /** [N], each in [0, V) */
  targets: Int32Array;
}

export interface OnednnAddon {
  /** oneDNN's version, e.g. "3.2.0". */
  version(): string;
  /** The instruction set oneDNN dispatches to on this CPU, in oneDNN's names: "avx2", "avx512_core_bf16", … */
  cpuIsa(): string;
  /** oneDNN's threads for calls from the JavaScript thread. */
  setThreads(threads: number): void;
  forward(args: OnednnWindowSizes & OnednnWindowData & { training: boolean }): OnednnForwardResult;
  /** From the forward's inputs and outputs as it took and gave them, and the gradients of outputs and final state. */
  backward(args: OnednnWindowSizes & OnednnWindowData & {
    outputs: Float32Array; h: Float32Array; c?: Float32Array; workspace: Int32Array;
    dOutputs: Float32Array; dh: Float32Array; dc?: Float32Array;
    /** Arrays (of exactly their sizes) to write these gradients into, instead of new ones. */
    into?: { dx: Float32Array; dWx: Float32Array; dWh: Float32Array };
  }): OnednnGradients;
  /** The LSTM's window on oneDNN matmuls and our per-step code; the workspace keeps every step's gates and cell. */
  lstmForward(args: OnednnLstmData & { b: Float32Array; workspace: Float32Array }): { outputs: Float32Array; h: Float32Array; c: Float32Array };
  lstmBackward(args: OnednnLstmData & {
    outputs: Float32Array; workspace: Float32Array; dOutputs: Float32Array; dh: Float32Array; dc: Float32Array;
    /** Arrays (of exactly their sizes) to write these gradients into, instead of new ones. */
    into?: { dx: Float32Array; dWx: Float32Array; dWh: Float32Array };
  }): Required<Omit<OnednnGradients, 'dPeephole'>>;
  /**
   * nll_n = −log softmax(h·W + b)_n[t_n]; in training it also writes the softmax P for the backward pass into
   * `probabilities` (its bytes: bfloat16 in bf16 mode). In bf16 mode W's bfloat16 copy goes to `weights16` (for the
   * backward pass in training; kept by the caller in inference), unless `weights16Ready` says it already holds this W.
   */
  outputForward(args: OnednnOutputSizes & OnednnOutputData & {
    training: boolean; probabilities?: Int32Array; weights16?: Int32Array; weights16Ready?: boolean;
  }): { nll: Float32Array };
  /** Gradients of Σ_n c_n·nll_n, with `scale` = c: ∂/∂h [N, H], ∂/∂W (W's layout), ∂/∂b [V]; P and `weights16` as the forward left them. */
  outputBackward(args: OnednnOutputSizes & Omit<OnednnOutputData, 'b'> & {
    scale: Float32Array; probabilities: Int32Array; weights16?: Int32Array;
    /** Arrays (of exactly their sizes) to write these gradients into, instead of new ones. */
    into?: { dHidden: Float32Array; dWeight: Float32Array };
  }):
    { dHidden: Float32Array; dWeight: Float32Array; dBias: Float32Array };
  /**
   * Dynamic evaluation's step on one weight tensor, in place and in one pass (native/onednn/dynamic.cc):
   * weights ← keep ⊙ weights + anchor + step ⊙ gradient. All five arrays have the same length.
   */
  dynamicStep(args: { weights: Float32Array; keep: Float32Array; anchor: Float32Array; step: Float32Array; gradient: Float32Array }): void;
  /** GFLOP/s of a square size×size product as the kernels run theirs (native/onednn/probe.cc), after a warm-up. */
  productGflops(args: { size: number; bf16: boolean; repeats: number }): number;
}
