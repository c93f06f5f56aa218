import * as tf from '@tensorflow/tfjs';

/** The slice of the wasm backend's API our kernels use. */
interface WasmBackend {
  readSync(dataId: object): Float32Array | Int32Array;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
}

/**
 * UnsortedSegmentSum: out[segmentIds[n], :] += x[n, :]. tfjs uses it for the gradient of `gather`
 * (the embedding lookup), and the wasm backend has no kernel for it. The loop is N·D additions — tiny next
 * to the matmuls — so plain JavaScript over the wasm heap is enough.
 */
function unsortedSegmentSum({ inputs, backend, attrs }: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const wasm = backend as WasmBackend;
  const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const numSegments = (attrs as { numSegments: number }).numSegments;
  if (x.dtype !== 'float32') throw new Error(`UnsortedSegmentSum on wasm supports float32, got ${x.dtype}`);
  const rows = segmentIds.shape.reduce((a, b) => a * b, 1);
  const width = x.shape.slice(segmentIds.shape.length).reduce((a, b) => a * b, 1);
  const values = wasm.readSync(x.dataId) as Float32Array;
  const ids = wasm.readSync(segmentIds.dataId);
  const outShape = [numSegments, ...x.shape.slice(segmentIds.shape.length)];
  const out = wasm.makeOutput(outShape, 'float32');
  const target = wasm.typedArrayFromHeap(out);
  target.fill(0);
  for (let n = 0; n < rows; n++) {
    const segment = ids[n];
    if (segment < 0 || segment >= numSegments) continue; // TF drops out-of-range ids
    const from = n * width;
    const to = segment * width;
    for (let d = 0; d < width; d++) target[to + d] += values[from + d];
  }
  return out;
}

let registered = false;

/** Registers the kernels our graphs need that the wasm backend lacks (idempotent). */
export function registerWasmKernels(): void {
  if (registered) return;
  registered = true;
  if (!tf.getKernel('UnsortedSegmentSum', 'wasm')) {
    tf.registerKernel({ kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc: unsortedSegmentSum as tf.KernelFunc });
  }
}
