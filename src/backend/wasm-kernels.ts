import * as tf from '@tensorflow/tfjs';

/** The slice of the wasm backend's API our kernels use. */
interface WasmBackend {
  readSync(dataId: object): Float32Array | Int32Array;
  disposeData(dataId: object): void;
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

interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}

/**
 * XNNPACK's wasm matmul is ~15x slower with `transposeA`/`transposeB` than without (measured: 2.0–2.7 vs
 * 35–38 GFLOP/s for a [700, 200]·[200, 10000] product), and autodiff uses both flags for every matmul
 * gradient. A transpose is one cheap copy, so the wrapped kernel transposes the flagged operand explicitly and
 * multiplies without flags. Same math, same result.
 */
function withExplicitTransposes(original: tf.KernelFunc): tf.KernelFunc {
  const transpose = tf.getKernel('Transpose', 'wasm')!.kernelFunc;
  return ({ inputs, backend, attrs }: KernelArgs) => {
    const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
    if (!transposeA && !transposeB) return original({ inputs, backend, attrs } as Parameters<tf.KernelFunc>[0]);
    const wasm = backend as WasmBackend;
    const swapLastTwo = (x: tf.TensorInfo): tf.TensorInfo => {
      const perm = x.shape.map((_, k) => k);
      [perm[perm.length - 2], perm[perm.length - 1]] = [perm[perm.length - 1], perm[perm.length - 2]];
      return transpose({ inputs: { x }, backend, attrs: { perm } } as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
    };
    const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const plainA = transposeA ? swapLastTwo(a) : a;
    const plainB = transposeB ? swapLastTwo(b) : b;
    const out = original({
      inputs: { ...inputs, a: plainA, b: plainB },
      backend,
      attrs: { ...attrs, transposeA: false, transposeB: false },
    } as Parameters<tf.KernelFunc>[0]);
    if (transposeA) wasm.disposeData(plainA.dataId);
    if (transposeB) wasm.disposeData(plainB.dataId);
    return out;
  };
}

let registered = false;

/** Registers the kernels our graphs need that the wasm backend lacks (idempotent). */
export function registerWasmKernels(): void {
  if (registered) return;
  registered = true;
  if (!tf.getKernel('UnsortedSegmentSum', 'wasm')) {
    tf.registerKernel({ kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc: unsortedSegmentSum as tf.KernelFunc });
  }
  for (const kernelName of ['BatchMatMul', '_FusedMatMul']) {
    const config = tf.getKernel(kernelName, 'wasm');
    if (!config) continue;
    tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel({ ...config, kernelFunc: withExplicitTransposes(config.kernelFunc) });
  }
}
