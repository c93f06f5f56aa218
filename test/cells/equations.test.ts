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
