import * as tf from '@tensorflow/tfjs';
import { Recurrent } from '../../src';
import { relativeError } from '../helpers';
import { randomCell, randomSequences } from './fixtures';

/** Our cells against tfjs's own layers over a multi-step sequence, with the same weights. */
const batch = 2;
const time = 7;
const inputDim = 5;
const units = 6;

function permuteBlocks(weight: tf.Tensor, order: number[]): tf.Tensor {
  const axis = weight.rank - 1;
  const blocks = tf.split(weight, order.length, axis);
  return tf.concat(order.map((k) => blocks[k]), axis);
}

test('LSTMCell equals tf.layers.lstm (both order the gates i, f, g, o)', () => {
  const { cell, next } = randomCell('lstm', inputDim, units, 21);
  const x = randomSequences(next, batch, time, inputDim);
  const ours = new Recurrent({ cell }).run(x.tensor).outputs;
  const theirs = tf.layers.lstm({ units, returnSequences: true, recurrentActivation: 'sigmoid', unitForgetBias: false });
  theirs.apply(tf.zerosLike(x.tensor)); // builds the layer
  theirs.setWeights(cell.getWeights());
  const expected = theirs.apply(x.tensor) as tf.Tensor;
  expect(relativeError(ours.dataSync(), expected.dataSync())).toBeLessThan(1e-5);
});

test('GRUCell equals tf.layers.gru (our r, z, g blocks are its z, r, g)', () => {
  const { cell, next } = randomCell('gru', inputDim, units, 22);
  const x = randomSequences(next, batch, time, inputDim);
  const ours = new Recurrent({ cell }).run(x.tensor).outputs;
  const theirs = tf.layers.gru({ units, returnSequences: true, recurrentActivation: 'sigmoid' });
  theirs.apply(tf.zerosLike(x.tensor)); // builds the layer
  // Swap the first two blocks: ours r, z, g → theirs z, r, g.
  theirs.setWeights(cell.getWeights().map((w) => permuteBlocks(w, [1, 0, 2])));
  const expected = theirs.apply(x.tensor) as tf.Tensor;
  expect(relativeError(ours.dataSync(), expected.dataSync())).toBeLessThan(1e-5);
});
