import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { BACKEND_NAMES, BackendName, availableBackends, bf16Support, currentBackend, nativeAvailability, selectBackend } from '../src/backend';
import { bf16Advice } from '../src/backend/info';
import { smallModel } from './model/fixtures';

/**
 * Every backend present computes the same loss, gradients and SGD trajectory for the same model and batch,
 * within float32 tolerance (relative 1e-4: summation order differs between BLAS, XNNPACK and plain JS).
 */
interface Trace {
  loss: number;
  grads: Float32Array[];
  sgdLosses: number[];
}

function trace(): Trace {
  const model = smallModel({ cell: 'lstm', tied: true, vocabSize: 30, initScale: 0.2 });
  const inputs = tf.tensor2d(Array.from({ length: 24 }, (_, k) => (k * 7) % 30), [3, 8], 'int32');
  const targets = tf.tensor1d(Array.from({ length: 24 }, (_, k) => (k * 7 + 3) % 30), 'int32');
  const lossOf = (): tf.Scalar => model.loss(inputs, targets, null, 42, 24).loss;
  const { value, grads } = tf.variableGrads(lossOf, model.variables());
  const result: Trace = {
    loss: value.dataSync()[0],
    grads: model.variables().map((v) => grads[v.name].dataSync() as Float32Array),
    sgdLosses: [],
  };
  const optimizer = tf.train.sgd(0.5);
  for (let k = 0; k < 3; k++) result.sgdLosses.push((optimizer.minimize(lossOf, true, model.variables()) as tf.Scalar).dataSync()[0]);
  model.dispose();
  return result;
}

const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-4 * Math.max(Math.abs(b), 1e-3);

test('all available backends agree on loss, gradients and a few SGD steps', async () => {
  const available = await availableBackends();
  const present = BACKEND_NAMES.filter((name) => available[name] === true) as BackendName[];
  expect(present).toContain('cpu');
  const traces = new Map<BackendName, Trace>();
  for (const name of present) {
    await selectBackend(name);
    traces.set(name, trace());
  }
  await selectBackend((process.env.RNNLM_BACKEND as BackendName | undefined) ?? 'auto');
  const reference = traces.get('cpu')!;
  for (const [name, t] of traces) {
    expect({ name, loss: close(t.loss, reference.loss) }).toEqual({ name, loss: true });
    t.grads.forEach((g, k) => {
      const scale = Math.max(...Array.from(reference.grads[k]).map(Math.abs));
      const worst = Math.max(...Array.from(g).map((v, j) => Math.abs(v - reference.grads[k][j])));
      expect({ name, weight: k, ok: worst <= 1e-4 * scale + 1e-7 }).toEqual({ name, weight: k, ok: true });
    });
    expect({ name, sgd: t.sgdLosses.every((l, k) => close(l, reference.sgdLosses[k])) }).toEqual({ name, sgd: true });
  }
});

describe('--precision bf16', () => {
  const fakeCpuinfo = (flags: string): string => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlm-cpuinfo-')), 'cpuinfo');
    fs.writeFileSync(file, `processor\t: 0\nmodel name\t: Test CPU\nflags\t\t: ${flags}\n\n`);
    return file;
  };

  test('is available exactly on CPUs with AMX-BF16 or AVX512-BF16, as /proc/cpuinfo lists them', () => {
    expect(bf16Support(fakeCpuinfo('fpu sse avx2 avx512f amx_bf16 amx_tile'))).toBe(true);
    expect(bf16Support(fakeCpuinfo('fpu sse avx2 avx512_bf16'))).toBe(true);
    expect(bf16Support(fakeCpuinfo('fpu sse avx2 avx512f'))).toBe('this CPU has neither AMX-BF16 nor AVX512-BF16');
    expect(bf16Support('/nonexistent/cpuinfo')).toMatch(/cannot tell whether this CPU has bf16 units/);
  });

  test('rnnlm info advises on it from the oneDNN products: slower, faster, or too close to call', () => {
    expect(bf16Advice({ fp32: 200, bf16: 140 })).toBe('bf16 products run at 0.70x float32 here: --precision bf16 would slow training on this CPU; keep fp32');
    expect(bf16Advice({ fp32: 200, bf16: 500 })).toBe('bf16 products run at 2.50x float32 here: --precision bf16 speeds up the oneDNN kernels');
    expect(bf16Advice({ fp32: 200, bf16: 210 })).toBe('bf16 products run at 1.05x float32 here: --precision bf16 would round without a clear speed-up');
    expect(bf16Advice({ fp32: 200, bf16: null })).toBeNull();
    expect(bf16Advice({ fp32: null, bf16: null })).toBeNull();
  });

  test('is refused on the wasm and cpu backends (or on a CPU without bf16), naming the option and the reason', async () => {
    for (const backend of ['wasm', 'cpu'] as const) {
      const refusal = bf16Support() === true ? `precision bf16 needs the native tensorflow backend; this run uses ${backend}` : 'precision bf16 cannot run here';
      await expect(selectBackend({ backend, precision: 'bf16' })).rejects.toThrow(refusal);
    }
    await selectBackend((process.env.RNNLM_BACKEND as BackendName | undefined) ?? 'auto');
  });

  const nativeRun = ['auto', 'tensorflow'].includes(process.env.RNNLM_BACKEND ?? 'auto') && nativeAvailability() === true;
  (nativeRun ? test : test.skip)('cannot change once the native library has started in this process', async () => {
    const other = currentBackend()?.precision === 'bf16' ? 'fp32' : 'bf16';
    const refusal = other === 'bf16' && bf16Support() !== true ? /bf16 cannot run here/ : /cannot change until the process ends/;
    await expect(selectBackend({ backend: 'tensorflow', precision: other })).rejects.toThrow(refusal);
  });
});
