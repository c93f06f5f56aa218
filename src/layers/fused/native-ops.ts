import * as tf from '@tensorflow/tfjs';

/**
 * Running TensorFlow ops by name through tfjs-node's binding. tfjs-node exposes only the kernels tfjs has;
 * TensorFlow's fused recurrent cells (BlockLSTMV2, LSTMBlockCell, GRUBlockCell and their gradients) are
 * reached here, eagerly, with their outputs handed back to tfjs as ordinary tracked tensors.
 */

interface Binding {
  executeOp(name: string, attrs: OpAttr[], inputIds: number[], numOutputs: number): unknown[];
  createTensor(shape: number[], dtype: number, values: Int32Array): number;
  TF_FLOAT: number;
  TF_INT32: number;
  TF_INT64: number;
  TF_ATTR_TYPE: number;
  TF_ATTR_FLOAT: number;
  TF_ATTR_BOOL: number;
}

interface NodeBackend {
  binding: Binding;
  getInputTensorIds(tensors: tf.Tensor[]): number[];
  createOutputTensor(metadata: unknown): tf.Tensor;
}

export interface OpAttr {
  name: string;
  type: number;
  value: number | boolean;
}

/** An int64 scalar input (BlockLSTMV2's seq_len_max); tfjs has no int64 tensors. */
export class Int64 {
  constructor(readonly value: number) {}
}

/** True when the current tfjs backend is tfjs-node's, whose binding can run TensorFlow ops by name. */
export function nativeOpsAvailable(): boolean {
  if (tf.getBackend() !== 'tensorflow') return false;
  const backend = tf.backend() as unknown as Partial<NodeBackend>;
  return typeof backend.binding?.executeOp === 'function';
}

function nodeBackend(): NodeBackend {
  if (!nativeOpsAvailable()) throw new Error(`fused recurrent kernels need the tensorflow backend, not ${tf.getBackend()}`);
  return tf.backend() as unknown as NodeBackend;
}

/**
 * One TF handle per int64 value, kept for the life of the process: tfjs-node's own Int64Scalar makes a new
 * handle on every call and never frees it (one leaked handle per window).
 */
const int64Handles = new Map<number, number>();

function int64Handle(value: number): number {
  let id = int64Handles.get(value);
  if (id === undefined) {
    const { binding } = nodeBackend();
    id = binding.createTensor([], binding.TF_INT64, new Int32Array([value, 0])); // little-endian [low, high]
    int64Handles.set(value, id);
  }
  return id;
}

/** Runs TensorFlow op `name` eagerly on `inputs` (in the op's declared order); its outputs as tfjs tensors. */
export function runOp(name: string, attrs: OpAttr[], inputs: (tf.Tensor | Int64)[], numOutputs: number): tf.Tensor[] {
  const backend = nodeBackend();
  const ids = inputs.map((input) => (input instanceof Int64 ? int64Handle(input.value) : backend.getInputTensorIds([input])[0]));
  return backend.binding.executeOp(name, attrs, ids, numOutputs).map((meta) => backend.createOutputTensor(meta));
}

/** The type attribute `T` = float32 of every op run here. */
export function floatType(): OpAttr {
  const { binding } = nodeBackend();
  return { name: 'T', type: binding.TF_ATTR_TYPE, value: binding.TF_FLOAT };
}

/** A type attribute `name` = int32 (e.g. `Tindices` of the scatter ops). */
export function int32TypeAttr(name: string): OpAttr {
  const { binding } = nodeBackend();
  return { name, type: binding.TF_ATTR_TYPE, value: binding.TF_INT32 };
}

export function floatAttr(name: string, value: number): OpAttr {
  return { name, type: nodeBackend().binding.TF_ATTR_FLOAT, value };
}

export function boolAttr(name: string, value: boolean): OpAttr {
  return { name, type: nodeBackend().binding.TF_ATTR_BOOL, value };
}

/** a·b by TensorFlow's MatMul op (tfjs' matMul reshapes to 3-D and runs BatchMatMulV2); float32 only. */
export function nativeMatMul(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  const { binding } = nodeBackend();
  const attrs: OpAttr[] = [
    floatType(),
    { name: 'transpose_a', type: binding.TF_ATTR_BOOL, value: false },
    { name: 'transpose_b', type: binding.TF_ATTR_BOOL, value: false },
  ];
  return runOp('MatMul', attrs, [a, b], 1)[0] as tf.Tensor2D;
}
