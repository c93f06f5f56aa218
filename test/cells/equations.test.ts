import * as tf from '@tensorflow/tfjs';
import { Recurrent } from '../../src';
import { relativeError } from '../helpers';
import { CELL_KINDS, randomCell, randomSequences, randomState } from './fixtures';
import { referenceRun, referenceStep } from './reference';

// float32 against float64: agreement to 1e-5 of the largest value means the same equations.
const TOLERANCE = 1e-5;

describe.each(CELL_KINDS)('%s cell equals its equations', (kind) => {
  const batch = 3;
  const inputDim = 5;
  const units = 4;

  test('one step from a random state', () => {
    const { cell, weights, next } = randomCell(kind, inputDim, units, 11);
    const x = randomSequences(next, batch, 1, inputDim);
    const state = randomState(next, cell.stateCount, batch, units);
    const got = tf.tidy(() => cell.call([x.tensor.squeeze([1]), ...state.tensors]) as tf.Tensor[]);
    expect(got).toHaveLength(cell.stateCount);
    for (let b = 0; b < batch; b++) {
      const expected = referenceStep(kind, weights, units, x.nested[b][0], state.nested.map((s) => s[b]));
      expected.forEach((values, k) => {
        const row = (got[k].arraySync() as number[][])[b];
        expect(relativeError(row, values)).toBeLessThan(TOLERANCE);
      });
    }
    tf.dispose([...got, x.tensor, ...state.tensors]);
    cell.dispose();
  });

  test('a 6-step sequence through the time layer', () => {
    const { cell, weights, next } = randomCell(kind, inputDim, units, 12);
    const time = 6;
    const x = randomSequences(next, batch, time, inputDim);
    const state = randomState(next, cell.stateCount, batch, units);
    const layer = new Recurrent({ cell });
    const result = layer.run(x.tensor, { initialState: state.tensors });
    const expected = referenceRun(kind, weights, units, x.nested, state.nested);
    expect(result.outputs.shape).toEqual([batch, time, units]);
    expect(relativeError(result.outputs.dataSync(), expected.outputs.flat(2))).toBeLessThan(TOLERANCE);
    result.state.forEach((s, k) => expect(relativeError(s.dataSync(), expected.state[k].flat())).toBeLessThan(TOLERANCE));
  });
});

test('LSTM forget-gate bias starts at 1 (configurable), other biases at 0', () => {
  const { LSTMCell } = jest.requireActual('../../src') as typeof import('../../src');
  const units = 3;
  for (const forgetBias of [1, 2.5]) {
    const cell = new LSTMCell({ units, forgetBias });
    cell.build([null, 2]);
    const bias = Array.from(cell.getWeights()[2].dataSync());
    expect(bias).toEqual([0, 0, 0, forgetBias, forgetBias, forgetBias, 0, 0, 0, 0, 0, 0]);
  }
});

test('uniform init stays within ±initScale and is reproducible with a seed', () => {
  const { GRUCell } = jest.requireActual('../../src') as typeof import('../../src');
  const make = (): tf.Tensor[] => {
    const cell = new GRUCell({ units: 8, init: 'uniform', initScale: 0.05, seed: 3 });
    cell.build([null, 6]);
    return cell.getWeights();
  };
  const first = make();
  const second = make();
  first.forEach((w, k) => {
    const values = Array.from(w.dataSync());
    expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(0.05);
    expect(new Set(values).size).toBeGreaterThan(values.length / 2);
    expect(values).toEqual(Array.from(second[k].dataSync()));
  });
});

test('torch init: weights in ±1/√units, the bias a sum of two such draws, the forget bias added to it', () => {
  const { LSTMCell, GRUCell } = jest.requireActual('../../src') as typeof import('../../src');
  const units = 16;
  const scale = 1 / Math.sqrt(units);
  const weightsOf = (cell: InstanceType<typeof LSTMCell> | InstanceType<typeof GRUCell>): number[][] => {
    cell.build([null, 10]);
    const values = cell.getWeights().map((w) => Array.from(w.dataSync()));
    cell.dispose();
    return values;
  };
  const largest = (values: number[]): number => Math.max(...values.map(Math.abs));
  for (const make of [(forgetBias: number) => new LSTMCell({ units, init: 'torch', seed: 5, forgetBias }), () => new GRUCell({ units, init: 'torch', seed: 5 })]) {
    const [kernel, recurrent, bias] = weightsOf(make(0));
    for (const matrix of [kernel, recurrent]) {
      expect(largest(matrix)).toBeLessThanOrEqual(scale);
      expect(largest(matrix)).toBeGreaterThan(0.95 * scale); // spread over the range, not a narrower one
    }
    // b_ih + b_hh: within ±2/√units, and a quarter of such sums lie beyond 1/√units.
    expect(largest(bias)).toBeLessThanOrEqual(2 * scale);
    expect(bias.filter((b) => Math.abs(b) > scale).length).toBeGreaterThan(bias.length / 10);
    expect(weightsOf(make(0))).toEqual([kernel, recurrent, bias]); // the seed fixes every weight
  }
  // Forget bias 0 leaves PyTorch's draw; 1 shifts that slice by 1 and nothing else.
  const [, , drawn] = weightsOf(new LSTMCell({ units, init: 'torch', seed: 5, forgetBias: 0 }));
  const [, , shifted] = weightsOf(new LSTMCell({ units, init: 'torch', seed: 5, forgetBias: 1 }));
  expect(drawn.slice(units, 2 * units).some((b) => b !== 0)).toBe(true);
  shifted.forEach((b, k) => expect(b).toBeCloseTo(drawn[k] + (k >= units && k < 2 * units ? 1 : 0), 6));
});
