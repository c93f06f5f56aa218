import * as tf from '@tensorflow/tfjs';
import { CellState } from '../cells/cell';

/**
 * One window of a recurrent layer: the time loop over T steps with the cell's weights fixed, forward and
 * backward. Sequences are time-major ([T, B, ·]), where every per-step slice is contiguous, unless the kernel
 * says it is `batchMajor` ([B, T, ·], the model's own layout). The implementations compute the same thing:
 * our explicit gate equations (explicit-window.ts, the definition), TensorFlow's fused native cells (fused/)
 * and oneDNN's (onednn/).
 */
export interface WindowInputs {
  /** [T, B, in] ([B, T, in] for a batch-major kernel, as are outputs, dOutputs and dx below) */
  x: tf.Tensor3D;
  initialState: CellState;
  /** W_x [in, G·u] and b [G·u]: the input half of the fused affine. */
  wx: tf.Tensor2D;
  b: tf.Tensor1D;
  /** [W_h, ...extras] as the cell's `recurrentWeights()` returns them. */
  recurrent: tf.Tensor[];
  /** The recurrent-dropout multiplier of each step (variational dropout repeats one tensor), or null. */
  masks: tf.Tensor2D[] | null;
}

/** Tensors a window keeps for its backward pass, in any nesting of records and lists. */
export type SavedRecord = { [name: string]: tf.Tensor | SavedRecord | (tf.Tensor | SavedRecord)[] | null };

export interface WindowForward {
  /** h_t of every step, [T, B, u]. */
  outputs: tf.Tensor3D;
  state: CellState;
  saved: SavedRecord;
}

export interface WindowGradients {
  /** [T, B, in] */
  dx: tf.Tensor3D;
  dWx: tf.Tensor2D;
  dB: tf.Tensor1D;
  /** One per recurrent weight, in `recurrent` order. */
  dRecurrent: tf.Tensor[];
  /** Of the initial state (the layer cuts it at the window boundary; tests compare it). */
  dInitialState: CellState;
}

export interface WindowKernel {
  /** Names the implementation in reports: "explicit", "BlockLSTMV2", "LSTMBlockCell", "GRUBlockCell". */
  readonly name: string;
  /** Takes and gives sequences as [B, T, ·]: the layer then transposes nothing around it. */
  readonly batchMajor?: boolean;
  forward(inputs: WindowInputs): WindowForward;
  /**
   * The forward pass when no gradient will be taken (evaluation, sampling): the same outputs and final state,
   * with each step's intermediates freed as it ends instead of kept for a backward pass. Optional.
   */
  infer?(inputs: WindowInputs): { outputs: tf.Tensor3D; state: CellState };
  /** Gradients from those of every output ([T, B, u]) and of the final state. */
  backward(saved: SavedRecord, dOutputs: tf.Tensor3D, dState: CellState): WindowGradients;
}

/**
 * Flattens a saved record into the tensor list that tf.customGrad's `save` takes (each tensor once), and
 * rebuilds the record from the list `gradFunc` receives. Saving rather than capturing matters: an enclosing
 * tidy (e.g. Layer.call) may dispose captured tensors before the gradient is taken.
 */
export function packSaved(record: SavedRecord): { tensors: tf.Tensor[]; rebuild(list: tf.Tensor[]): SavedRecord } {
  const tensors: tf.Tensor[] = [];
  const index = new Map<tf.Tensor, number>();
  type Skeleton = { tensor: number } | Skeleton[] | { [name: string]: Skeleton } | null;
  const walk = (value: unknown): Skeleton => {
    if (value instanceof tf.Tensor) {
      if (!index.has(value)) {
        index.set(value, tensors.length);
        tensors.push(value);
      }
      return { tensor: index.get(value) as number };
    }
    if (Array.isArray(value)) return value.map(walk);
    if (value === null) return null;
    return Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, walk(v)]));
  };
  const skeleton = { record: walk(record) };
  const rebuild = (list: tf.Tensor[]): SavedRecord => {
    const back = (node: Skeleton): unknown => {
      if (node === null) return null;
      if (Array.isArray(node)) return node.map(back);
      if ('tensor' in node && typeof node.tensor === 'number') return list[node.tensor];
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, back(v as Skeleton)]));
    };
    return back(skeleton.record) as SavedRecord;
  };
  return { tensors, rebuild };
}
