import * as tf from '@tensorflow/tfjs';
import { Recurrent } from '../../src';
import { randomArray } from '../helpers';
import { CELL_KINDS, randomCell, randomSequences, randomState } from './fixtures';
import { FlatWeights, referenceRun } from './reference';

/**
 * Gradient check: tfjs autodiff (float32) against central finite differences of the float64 reference
 * equations, for every element of every weight and of the input.
 * Tolerance: max |autodiff − numeric| ≤ 1e-3 · max |numeric| per tensor. A wrong sign or a missing term
 * moves some element by a sizeable fraction of the gradient's scale, far beyond 1e-3; float32 round-off
 * on these sizes stays below 1e-5.
 */
const TOLERANCE = 1e-3;
const EPSILON = 1e-6;
const batch = 2;
const time = 3;
const inputDim = 3;
const units = 4;

describe.each(CELL_KINDS)('%s gradients', (kind) => {
  test('autodiff equals finite differences for every weight and the input', () => {
    const { cell, weights, next } = randomCell(kind, inputDim, units, 31);
    const x = randomSequences(next, batch, time, inputDim);
    const state = randomState(next, cell.stateCount, batch, units);
    // Loss = Σ_t Σ h_t ⊙ R_t with a fixed random R: every output element matters, with its own weight.
    const readout = randomArray(next, batch * time * units);
    const layer = new Recurrent({ cell });
    const variables = cell.trainableWeights.map((w) => w.read() as tf.Variable);

    const loss = (input: tf.Tensor3D): tf.Scalar =>
      tf.sum(tf.mul(layer.run(input, { initialState: state.tensors }).outputs, tf.tensor3d(readout, [batch, time, units])));
    const { grads } = tf.variableGrads(() => loss(x.tensor), variables);
    const inputGrad = tf.grad((input: tf.Tensor) => loss(input as tf.Tensor3D))(x.tensor);

    const referenceLoss = (w: FlatWeights, xs: number[][][]): number => {
      const { outputs } = referenceRun(kind, w, units, xs, state.nested);
      return outputs.flat(2).reduce((s, v, k) => s + v * readout[k], 0);
    };
    const numeric = (values: number[], evaluate: () => number): number[] =>
      values.map((original, k) => {
        values[k] = original + EPSILON;
        const plus = evaluate();
        values[k] = original - EPSILON;
        const minus = evaluate();
        values[k] = original;
        return (plus - minus) / (2 * EPSILON);
      });

    const named: [keyof FlatWeights, tf.Variable][] = (['kernel', 'recurrent', 'bias', 'peephole'] as const)
      .slice(0, variables.length)
      .map((name, k) => [name, variables[k]]);
    for (const [name, variable] of named) {
      const values = weights[name] as number[];
      const expected = numeric(values, () => referenceLoss(weights, x.nested));
      const got = Array.from(grads[variable.name].dataSync());
      const scale = Math.max(...expected.map(Math.abs));
      expect(scale).toBeGreaterThan(1e-3); // the loss really depends on this weight
      const worst = Math.max(...got.map((g, k) => Math.abs(g - expected[k])));
      expect(worst / scale).toBeLessThan(TOLERANCE);
    }
    const flatInput = x.nested.flat(2);
    const nestedView = (): number[][][] => x.nested.map((seq, b) =>
      seq.map((_, t) => flatInput.slice((b * time + t) * inputDim, (b * time + t + 1) * inputDim)));
    const expectedInput = numeric(flatInput, () => referenceLoss(weights, nestedView()));
    const gotInput = Array.from(inputGrad.dataSync());
    const inputScale = Math.max(...expectedInput.map(Math.abs));
    expect(Math.max(...gotInput.map((g, k) => Math.abs(g - expectedInput[k]))) / inputScale).toBeLessThan(TOLERANCE);
  });
});
