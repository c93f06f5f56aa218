import { spawnSync } from 'child_process';
import * as tf from '@tensorflow/tfjs';
import { LSTMCell, Recurrent, SimpleRNNCell, bf16Support, dropoutMask } from '../../src';
import { cpuinfoField, readCpuinfo } from '../../src/backend/cpu';
import { ONEDNN_ADDON_PATH, loadOnednn } from '../../src/backend/onednn';
import { chooseWindow, onednnWindow } from '../../src/layers/choose-window';
import { explicitWindow } from '../../src/layers/explicit-window';
import { Precision } from '../../src/config';
import { kernelChoice, setKernelChoice } from '../../src/layers/kernel-choice';
import { onednnLstmWindow } from '../../src/layers/onednn/lstm-window';
import { onednnWindow as onednnCellWindow } from '../../src/layers/onednn/window';
import { OnednnAddon, OnednnCell } from '../../src/layers/onednn/addon';
import { WindowInputs, WindowKernel } from '../../src/layers/window';
import { randomCell } from '../cells/fixtures';
import { randomArray, randomTensor, relativeError, rng } from '../helpers';
import { layerLossAndGradients } from './fixtures';

/**
 * oneDNN's recurrent primitives compute our explicit equations: outputs, final state and every gradient agree
 * to 1e-5 relative in float32 (and to bf16's resolution in bf16), for the LSTM, peephole LSTM, GRU and tanh RNN. `npm ci` builds the addon
 * (scripts/provision-onednn.js); CI must have it, elsewhere these tests say why they are skipped.
 */
const loaded = loadOnednn();
const addon = typeof loaded === 'string' ? null : loaded;
if (!addon) {
  if (process.env.CI) throw new Error(`CI expects the oneDNN kernels, but they are ${loaded}`);
  console.log(`oneDNN kernel tests skipped: the addon is ${loaded}`);
}
const describeOnednn = addon ? describe : describe.skip;
/** The addon as it runs where oneDNN dispatches to `isa`: which kernel `auto` takes depends on that. */
const addonFor = (isa: string): OnednnAddon => ({ ...addon!, cpuIsa: () => isa });
const bf16 = bf16Support() === true && kernelChoice().precision === 'fp32';

const [BATCH, TIME, INPUT, UNITS] = [3, 6, 5, 7];

const KINDS: OnednnCell[] = ['lstm', 'peephole', 'gru', 'rnn'];

function windowInputs(kind: OnednnCell, seed: number, batch = BATCH): {
  inputs: WindowInputs; dOutputs: tf.Tensor3D; dState: tf.Tensor2D[]; kernels: (useBf16: boolean) => WindowKernel[];
} {
  const { cell, next } = randomCell(kind, INPUT, UNITS, seed);
  const [wx, , b] = cell.trainableWeights.map((w) => w.read());
  const states = Array.from({ length: cell.stateCount }, (_, k) => k);
  const inputs: WindowInputs = {
    x: randomTensor(next, [TIME, batch, INPUT]) as tf.Tensor3D,
    initialState: states.map(() => randomTensor(next, [batch, UNITS], 0.8) as tf.Tensor2D),
    wx: wx as tf.Tensor2D, b: b as tf.Tensor1D, recurrent: cell.recurrentWeights(), masks: null,
  };
  return {
    inputs,
    dOutputs: randomTensor(next, [TIME, batch, UNITS]) as tf.Tensor3D,
    dState: states.map(() => randomTensor(next, [batch, UNITS]) as tf.Tensor2D),
    kernels: (useBf16) => [explicitWindow(cell), onednnCellWindow(addon as OnednnAddon, kind, UNITS, useBf16)],
  };
}

/** A time-major sequence in the kernel's layout, and back (the transpose is its own inverse). */
const relayout = (kernel: WindowKernel, t: tf.Tensor3D): tf.Tensor3D => (kernel.batchMajor ? tf.transpose(t, [1, 0, 2]) : t);

/** The time-major test inputs in the kernel's layout. */
const inputsFor = (kernel: WindowKernel, inputs: WindowInputs): WindowInputs => ({ ...inputs, x: relayout(kernel, inputs.x) });

/** Every output and gradient of a window, by name, sequences time-major whatever the kernel's layout. */
function everything(kernel: WindowKernel, inputs: WindowInputs, dOutputs: tf.Tensor3D, dState: tf.Tensor2D[]): Record<string, tf.Tensor> {
  const forward = kernel.forward(inputsFor(kernel, inputs));
  const g = kernel.backward(forward.saved, relayout(kernel, dOutputs), dState);
  const numbered = (prefix: string, list: tf.Tensor[]): Record<string, tf.Tensor> => Object.fromEntries(list.map((t, k) => [`${prefix}${k}`, t]));
  return {
    outputs: relayout(kernel, forward.outputs), ...numbered('state', forward.state), dx: relayout(kernel, g.dx), dWx: g.dWx, dB: g.dB,
    ...numbered('dRecurrent', g.dRecurrent), ...numbered('dInitialState', g.dInitialState),
  };
}

/** Same names and shapes, and every tensor within 1e-5 relative of the explicit window's. */
function expectFloat32Equal(onednn: Record<string, tf.Tensor>, explicit: Record<string, tf.Tensor>): void {
  expect(Object.keys(onednn).sort()).toEqual(Object.keys(explicit).sort());
  for (const name of Object.keys(explicit)) {
    expect(onednn[name].shape).toEqual(explicit[name].shape);
    expect({ name, ok: relativeError(onednn[name].dataSync(), explicit[name].dataSync()) < 1e-5 }).toEqual({ name, ok: true });
  }
}

/** Every tensor within bfloat16's resolution (8 bits of mantissa) of the explicit window's. */
function expectBf16Close(onednn: Record<string, tf.Tensor>, explicit: Record<string, tf.Tensor>): void {
  for (const name of Object.keys(explicit)) {
    const error = relativeError(onednn[name].dataSync(), explicit[name].dataSync());
    expect({ name, ok: error < 3e-2 }).toEqual({ name, ok: true });
    // A mis-wired gate or weight would be off by far more; bf16 rounding alone leaves a visible trace.
    if (name === 'outputs') expect(error).toBeGreaterThan(0);
  }
}

describeOnednn.each(KINDS)('oneDNN %s window', (kind) => {
  test('float32: outputs, final state and every gradient equal the explicit window', () => {
    tf.tidy(() => {
      const { inputs, dOutputs, dState, kernels } = windowInputs(kind, 17);
      const [explicit, onednn] = kernels(false).map((kernel) => everything(kernel, inputs, dOutputs, dState));
      expectFloat32Equal(onednn, explicit);
    });
  });

  (bf16 ? test : test.skip)('bf16: the same within bfloat16 resolution (8 bits of mantissa)', () => {
    tf.tidy(() => {
      const { inputs, dOutputs, dState, kernels } = windowInputs(kind, 18);
      const [explicit, onednn] = kernels(true).map((kernel) => everything(kernel, inputs, dOutputs, dState));
      expectBf16Close(onednn, explicit);
    });
  });

  test('inference gives the training forward\'s outputs and state', () => {
    tf.tidy(() => {
      const { inputs, kernels } = windowInputs(kind, 19);
      const onednn = kernels(false)[1];
      const trained = onednn.forward(inputsFor(onednn, inputs));
      const inferred = onednn.infer!(inputsFor(onednn, inputs));
      // To float32's rounding, not to the bit: oneDNN may pick another sgemm for inference (on an AMD EPYC
      // without AVX-512 the last bits differ; on Intel Xeons with it they agreed).
      const named = ({ outputs, state }: { outputs: tf.Tensor; state: tf.Tensor[] }): Record<string, tf.Tensor> =>
        ({ outputs, ...Object.fromEntries(state.map((s, k) => [`state${k}`, s])) });
      expectFloat32Equal(named(inferred), named(trained));
    });
  });

});

/** Every output and gradient of the matmul LSTM and of the explicit window, on the same inputs (masked or not). */
function matmulLstmAgainstExplicit(useBf16: boolean, masked: boolean, seed: number, batch = BATCH): {
  onednn: Record<string, tf.Tensor>; explicit: Record<string, tf.Tensor>;
} {
  const { inputs, dOutputs, dState, kernels } = windowInputs('lstm', seed, batch);
  // Variational dropout repeats one mask; a different mask every step checks that each step reads its own.
  const masks = masked ? Array.from({ length: TIME }, (_, t) => dropoutMask([batch, UNITS], 0.3, seed + t) as tf.Tensor2D) : null;
  const explicit = everything(kernels(useBf16)[0], { ...inputs, masks }, dOutputs, dState);
  const onednn = everything(onednnLstmWindow(addon as OnednnAddon, UNITS, useBf16), { ...inputs, masks }, dOutputs, dState);
  return { onednn, explicit };
}

describeOnednn.each([false, true])('oneDNN matmul LSTM window (recurrent masks: %s)', (masked) => {
  test('float32: outputs, final state and every gradient equal the explicit window', () => {
    tf.tidy(() => {
      const { onednn, explicit } = matmulLstmAgainstExplicit(false, masked, 21);
      expectFloat32Equal(onednn, explicit);
    });
  });

  // From 256 rows (T·B) the backward pass reads W_xᵀ and W_hᵀ packed (kPackedWeightsMinRows in lstm.cc), below as they are.
  test('float32 over a window of 258 rows, where the backward pass packs the weights: the same', () => {
    tf.tidy(() => {
      const { onednn, explicit } = matmulLstmAgainstExplicit(false, masked, 24, 43);
      expect(onednn.dx.shape).toEqual([TIME, 43, INPUT]);
      expectFloat32Equal(onednn, explicit);
    });
  });

  (bf16 ? test : test.skip)('bf16: the same within bfloat16 resolution', () => {
    tf.tidy(() => {
      const { onednn, explicit } = matmulLstmAgainstExplicit(true, masked, 22);
      expectBf16Close(onednn, explicit);
    });
  });

  // Unmasked inference runs on the LSTM primitive where oneDNN has AVX-512 kernels, else on this loop.
  test.each(['avx512_core', 'avx2'])('inference gives the explicit outputs and state (kernels for %s)', (isa) => {
    tf.tidy(() => {
      const { inputs, kernels } = windowInputs('lstm', 23);
      const masks = masked ? Array(TIME).fill(dropoutMask([BATCH, UNITS], 0.3, 23)) : null;
      const explicit = kernels(false)[0].infer!({ ...inputs, masks });
      const kernel = onednnLstmWindow(addonFor(isa), UNITS, false);
      const inferred = kernel.infer!({ ...inputsFor(kernel, inputs), masks });
      expect(relativeError(relayout(kernel, inferred.outputs).dataSync(), explicit.outputs.dataSync())).toBeLessThan(1e-5);
      inferred.state.forEach((s, k) => expect(relativeError(s.dataSync(), explicit.state[k].dataSync())).toBeLessThan(1e-5));
    });
  });
});

describeOnednn('oneDNN kernels in a layer', () => {
  /** Runs `body` with the kernel settings holding `addonFor(isa)`. */
  const withIsa = (isa: string, body: () => void): void => {
    const saved = kernelChoice();
    setKernelChoice(saved.kernel, saved.precision, addonFor(isa));
    try {
      body();
    } finally {
      setKernelChoice(saved.kernel, saved.precision, saved.onednn);
    }
  };

  test.each([['avx512_core', 'oneDNN LSTM'], ['avx2', 'oneDNN matmul LSTM']])(
    'a layer on oneDNN (%s: %s) gives the explicit loss and weight gradients through the tape, and leaves no tensor behind', (isa, kernel) => withIsa(isa, () => {
      const { cell, next } = randomCell('lstm', INPUT, UNITS, 3);
      const layer = new Recurrent({ cell });
      const x = randomTensor(next, [BATCH, TIME, INPUT]) as tf.Tensor3D;
      const lossAndGrads = (choice: 'onednn' | 'explicit'): ReturnType<typeof layerLossAndGradients> => layerLossAndGradients(layer, x, choice);
      const explicit = lossAndGrads('explicit');
      const onednn = lossAndGrads('onednn');
      expect(onednn.used).toBe(kernelChoice().precision === 'bf16' ? `${kernel} (bf16)` : kernel);
      const tolerance = kernelChoice().precision === 'bf16' ? 3e-2 : 1e-5;
      expect(Math.abs(onednn.loss - explicit.loss) / Math.abs(explicit.loss)).toBeLessThan(tolerance);
      onednn.grads.forEach((g, k) => expect(relativeError(g, explicit.grads[k])).toBeLessThan(tolerance));
      const before = tf.memory().numTensors;
      lossAndGrads('onednn');
      expect(tf.memory().numTensors).toBe(before);
      layer.dispose();
      x.dispose();
    }));

  test('auto runs oneDNN for every cell, and with recurrent dropout masks the LSTM only, on its matmul loop', () => {
    // With AVX-512 kernels, where a small unmasked LSTM runs on the primitive.
    const settings = { ...kernelChoice(), kernel: 'auto' as const, onednn: addonFor('avx512_core') };
    for (const kind of KINDS) {
      const { cell } = randomCell(kind, INPUT, UNITS, 1);
      expect(chooseWindow(cell, settings, false).name).toMatch(/^oneDNN (LSTM|peephole|GRU|tanh)/);
      if (kind === 'lstm') {
        expect(chooseWindow(cell, settings, true).name).toMatch(/^oneDNN matmul LSTM/);
        expect(chooseWindow(cell, { ...settings, kernel: 'onednn' }, true).name).toMatch(/^oneDNN matmul LSTM/);
      } else {
        expect(chooseWindow(cell, settings, true).name).not.toMatch(/oneDNN/);
        expect(chooseWindow(cell, { ...settings, kernel: 'onednn' }, true).name).toBe('explicit');
      }
      expect(onednnWindow(cell, { ...settings, onednn: null }, false)).toBeNull();
    }
  });

  test('a layer names the kernel that trained it, also after an inference call ran on another', () => withIsa('avx512_core', () => {
    const { cell, next } = randomCell('lstm', INPUT, UNITS, 4);
    const layer = new Recurrent({ cell });
    const x = randomTensor(next, [BATCH, TIME, INPUT]) as tf.Tensor3D;
    const mask = dropoutMask([BATCH, UNITS], 0.3, 4) as tf.Tensor2D;
    tf.tidy(() => {
      layer.run(x, { kernel: 'onednn', recurrentMask: () => mask });
      expect(layer.lastKernel).toMatch(/^oneDNN matmul LSTM/);
      layer.run(x, { kernel: 'onednn', inference: true });
      expect(layer.lastKernel).toMatch(/^oneDNN matmul LSTM/);
    });
    const fresh = new Recurrent({ cell });
    tf.tidy(() => { fresh.run(x, { kernel: 'onednn', inference: true }); });
    expect(fresh.lastKernel).toMatch(/^oneDNN LSTM/);
    tf.dispose([x, mask]);
    layer.dispose();
  }));

  test('an unmasked LSTM trains on the primitive up to 400 units where oneDNN has AVX-512 kernels, else on the matmul loop', () => {
    const choice = (units: number, precision: Precision, isa: string) => chooseWindow( // unbuilt: the choice reads only the cell's kind and size
      new LSTMCell({ units }), { kernel: 'auto', precision, onednn: addonFor(isa) }, false).name;
    for (const isa of ['avx512_core', 'avx512_core_bf16', 'avx512_core_amx']) {
      expect(choice(650, 'bf16', isa)).toBe('oneDNN matmul LSTM (bf16)');
      expect(choice(650, 'fp32', isa)).toBe('oneDNN matmul LSTM');
      expect(choice(400, 'bf16', isa)).toBe('oneDNN LSTM (bf16)');
      expect(choice(400, 'fp32', isa)).toBe('oneDNN LSTM');
    }
    for (const isa of ['avx2', 'avx2_vnni', 'avx']) {
      expect(choice(400, 'fp32', isa)).toBe('oneDNN matmul LSTM');
      expect(choice(1, 'fp32', isa)).toBe('oneDNN matmul LSTM');
    }
  });

  test('the tanh RNN runs on the primitive, but above 400 units on the explicit equations where oneDNN has only AVX2 kernels, unless oneDNN is asked for', () => {
    const choice = (units: number, isa: string, kernel: 'auto' | 'onednn' = 'auto') => chooseWindow(
      new SimpleRNNCell({ units }), { kernel, precision: 'fp32', onednn: addonFor(isa) }, false).name;
    expect(choice(650, 'avx512_core')).toBe('oneDNN tanh RNN');
    expect(choice(400, 'avx2')).toBe('oneDNN tanh RNN');
    expect(choice(401, 'avx2')).toBe('explicit');
    expect(choice(650, 'avx2', 'onednn')).toBe('oneDNN tanh RNN');
  });

  test("the addon names the instruction set oneDNN runs on, which this CPU's flags allow", () => {
    const flags = new Set((cpuinfoField(readCpuinfo() ?? '', 'flags') ?? '').split(/\s+/));
    const isa = addon!.cpuIsa();
    // oneDNN's avx512_core is AVX-512 F, BW, VL and DQ together (Skylake-SP and later).
    const avx512Core = ['avx512f', 'avx512bw', 'avx512vl', 'avx512dq'].every((flag) => flags.has(flag));
    expect(isa.startsWith('avx512')).toBe(avx512Core);
    if (!avx512Core) expect(isa.startsWith('avx2')).toBe(flags.has('avx2'));
  });

  test('a window with recurrent masks is refused by the oneDNN kernel itself', () => {
    tf.tidy(() => {
      const { inputs, kernels } = windowInputs('lstm', 20);
      const mask = dropoutMask([BATCH, UNITS], 0.3, 5) as tf.Tensor2D;
      expect(() => kernels(false)[1].forward({ ...inputs, masks: Array(TIME).fill(mask) })).toThrow("oneDNN's LSTM cannot take recurrent dropout masks");
    });
  });

  test('the addon writes a backward pass\'s large gradients into the arrays given as `into`, and checks their sizes', () => {
    const lstm = { time: 2, batch: 1, inputs: 3, units: 2, bf16: false, x: new Float32Array(6), h0: new Float32Array(2), c0: new Float32Array(2),
      wx: new Float32Array(24).fill(0.1), wh: new Float32Array(16).fill(0.2) };
    const workspace = new Float32Array(2 * 1 * 6 * 2);
    const { outputs } = addon!.lstmForward({ ...lstm, b: new Float32Array(8), workspace });
    const backward = { ...lstm, outputs, workspace, dOutputs: new Float32Array(4).fill(1), dh: new Float32Array(2), dc: new Float32Array(2) };
    const into = { dx: new Float32Array(6).fill(NaN), dWx: new Float32Array(24).fill(NaN), dWh: new Float32Array(16).fill(NaN) };
    const fresh = addon!.lstmBackward(backward);
    const reused = addon!.lstmBackward({ ...backward, into });
    for (const name of ['dx', 'dWx', 'dWh'] as const) {
      expect(reused[name]).toBe(into[name]);
      expect(Array.from(reused[name])).toEqual(Array.from(fresh[name]));
    }
    expect(() => addon!.lstmBackward({ ...backward, into: { ...into, dWh: new Float32Array(15) } })).toThrow('oneDNN addon: dWh holds 15 elements, expected 16');
  });

  test('mis-sized arrays are refused with a message naming the argument', () => {
    const sizes = { cell: 'lstm' as const, time: 2, batch: 1, inputs: 3, units: 2, bf16: false, batchMajor: true, training: false };
    const ok = {
      x: new Float32Array(6), h0: new Float32Array(2), c0: new Float32Array(2),
      wx: new Float32Array(24), wh: new Float32Array(16), b: new Float32Array(8),
    };
    expect(() => addon!.forward({ ...sizes, ...ok })).not.toThrow();
    expect(() => addon!.forward({ ...sizes, ...ok, wh: new Float32Array(15) })).toThrow('oneDNN addon: wh holds 15 elements, expected 16');
    expect(() => addon!.forward({ ...sizes, ...ok, time: 0 })).toThrow('oneDNN addon: time must be a positive integer');
    expect(() => addon!.forward({ ...sizes, ...ok, cell: 'lru' as OnednnCell })).toThrow('oneDNN addon: cell must be lstm, peephole, gru or rnn, not "lru"');
    expect(() => addon!.forward({ ...sizes, ...ok, cell: 'peephole' })).toThrow('oneDNN addon: peephole must be a Float32Array');
    const { cell, batchMajor, ...lstmSizes } = sizes;
    expect([cell, batchMajor]).toEqual(['lstm', true]);
    const lstm = { ...lstmSizes, ...ok, workspace: new Float32Array(2 * 1 * 6 * 2) };
    expect(() => addon!.lstmForward(lstm)).not.toThrow();
    expect(() => addon!.lstmForward({ ...lstm, masks: new Float32Array(3) })).toThrow('oneDNN addon: masks holds 3 elements, expected 4');
    expect(() => addon!.lstmForward({ ...lstm, c0: undefined as unknown as Float32Array })).toThrow('oneDNN addon: c0 must be a Float32Array');
    expect(() => addon!.lstmForward({ ...lstm, workspace: new Float32Array(23) })).toThrow('oneDNN addon: workspace holds 23 elements, expected 24');
  });
});

/**
 * A bf16 run sets ONEDNN_DEFAULT_FPMATH_MODE=BF16 for TensorFlow (src/backend.ts), and oneDNN reads it once per
 * process, for the addon's primitives too. Their float32 products must stay float32 there: each kernel's float32
 * results in such a process equal, to the bit, those of a process without the setting.
 */
describeOnednn('oneDNN kernels in a process whose oneDNN defaults to bf16 fpmath', () => {
  const [T, B, I, U, V] = [4, 16, 256, 256, 2048];
  const next = rng(7);
  const draw = (size: number): number[] => randomArray(next, size, 0.125);
  // The same inputs for both processes, sent on stdin.
  const inputs = JSON.stringify({
    sizes: { T, B, I, U, V }, x: draw(T * B * I), h0: draw(B * U), c0: draw(B * U), wx: draw(I * 4 * U), wh: draw(U * 4 * U), b: draw(4 * U),
    dOutputs: draw(T * B * U), dh: draw(B * U), dc: draw(B * U), w: draw(V * U), outputBias: draw(V), scale: draw(T * B),
  });
  const script = `
    const addon = require(${JSON.stringify(ONEDNN_ADDON_PATH)});
    addon.setThreads(1);
    const given = JSON.parse(require('fs').readFileSync(0, 'utf8'));
    const { T, B, I, U, V } = given.sizes;
    const f32 = (name) => Float32Array.from(given[name]);
    const lstm = { time: T, batch: B, inputs: I, units: U, bf16: false, x: f32('x'), h0: f32('h0'), c0: f32('c0'), wx: f32('wx'), wh: f32('wh') };
    const b = f32('b'), workspace = new Float32Array(T * B * 6 * U);
    const matmul = addon.lstmForward({ ...lstm, b, workspace });
    const matmulGradients = addon.lstmBackward({ ...lstm, outputs: matmul.outputs, workspace, dOutputs: f32('dOutputs'), dh: f32('dh'), dc: f32('dc') });
    const primitive = addon.forward({ ...lstm, cell: 'lstm', batchMajor: true, training: false, b });
    const output = { rows: T * B, hidden: U, vocab: V, bf16: false, vocabRows: true, h: matmul.outputs, w: f32('w'), b: f32('outputBias'),
      targets: Int32Array.from({ length: T * B }, (_, n) => (n * 37) % V) };
    const probabilities = new Int32Array(T * B * V);
    const nll = addon.outputForward({ ...output, training: true, probabilities }).nll;
    const outputGradients = addon.outputBackward({ ...output, scale: f32('scale'), probabilities });
    const results = { matmul: matmul.outputs, dWh: matmulGradients.dWh, dWx: matmulGradients.dWx, primitive: primitive.outputs, nll,
      dHidden: outputGradients.dHidden, dWeight: outputGradients.dWeight };
    console.log(JSON.stringify(Object.fromEntries(Object.entries(results).map(([name, values]) => [name, Array.from(values)]))));`;
  const run = (fpmath: string | null): Record<string, number[]> => {
    const env: NodeJS.ProcessEnv = { ...process.env, OMP_NUM_THREADS: '1' };
    delete env.ONEDNN_DEFAULT_FPMATH_MODE;
    if (fpmath) env.ONEDNN_DEFAULT_FPMATH_MODE = fpmath;
    const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env, input: inputs, maxBuffer: 1 << 28 });
    expect(child.stderr).toBe('');
    return JSON.parse(child.stdout) as Record<string, number[]>;
  };

  test('float32 products stay float32: outputs and gradients equal those of a process without it, to the bit', () => {
    const [strict, bf16Default] = [run(null), run('BF16')];
    expect(Object.keys(bf16Default)).toEqual(['matmul', 'dWh', 'dWx', 'primitive', 'nll', 'dHidden', 'dWeight']);
    for (const name of Object.keys(strict)) {
      const same = bf16Default[name].length === strict[name].length && bf16Default[name].every((value, k) => Object.is(value, strict[name][k]));
      expect({ name, same }).toEqual({ name, same: true });
    }
  });
});
