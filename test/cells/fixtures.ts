import * as tf from '@tensorflow/tfjs';
import { CELL_KINDS, CellKind, RecurrentCell, createCell } from '../../src/cells';
import { randomArray, rng } from '../helpers';
import { FlatWeights } from './reference';

export { CELL_KINDS };

export interface CellFixture {
  cell: RecurrentCell;
  weights: FlatWeights;
  next: () => number;
}

/** A built cell whose weights (biases and peepholes included) are random, and the same weights as arrays. */
export function randomCell(kind: CellKind, inputDim: number, units: number, seed: number): CellFixture {
  const next = rng(seed);
  const cell = createCell(kind, { units });
  cell.build([null, inputDim]);
  const shapes = cell.getWeights().map((w) => w.shape);
  const arrays = shapes.map((shape) => randomArray(next, shape.reduce((a, b) => a * b, 1), 0.6));
  cell.setWeights(arrays.map((a, k) => tf.tensor(a, shapes[k])));
  const [kernel, recurrent, bias, peephole] = arrays;
  return { cell, weights: { kernel, recurrent, bias, peephole }, next };
}

/** Random [batch][time][dim] nested arrays and the same values as a tensor. */
export function randomSequences(next: () => number, batch: number, time: number, dim: number): {
  nested: number[][][];
  tensor: tf.Tensor3D;
} {
  const flat = randomArray(next, batch * time * dim);
  const nested = Array.from({ length: batch }, (_, b) =>
    Array.from({ length: time }, (_, t) => flat.slice((b * time + t) * dim, (b * time + t + 1) * dim)));
  return { nested, tensor: tf.tensor3d(flat, [batch, time, dim]) };
}

/** Random states: nested [stateIndex][batch][units] and as [batch, units] tensors. */
export function randomState(next: () => number, count: number, batch: number, units: number): {
  nested: number[][][];
  tensors: tf.Tensor2D[];
} {
  const nested = Array.from({ length: count }, () =>
    Array.from({ length: batch }, () => randomArray(next, units)));
  return { nested, tensors: nested.map((s) => tf.tensor2d(s)) };
}
