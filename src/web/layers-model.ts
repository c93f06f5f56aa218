import * as tf from '@tensorflow/tfjs';
import { createCell } from '../cells';
import { Recurrent } from '../layers/recurrent';
import { LanguageModel } from '../model/lm';
import { TiedEmbedding } from './tied-embedding';

/**
 * The language model as a `tf.LayersModel` that `tf.loadLayersModel` can read back (with our layers
 * registered), for pages that carry the recurrent state themselves:
 *
 *   inputs  [ids [b, t] int32, h0, c0, h1, c1, …]      (GRU and tanh-RNN layers have h only)
 *   outputs [logits [b, t, V], h0', c0', h1', c1', …]
 *
 * A tied model uses one TiedEmbedding layer for the input and the output; an untied one an embedding and a
 * dense layer. The weights are copies of the model's, so both compute the same logits.
 */
export function toLayersModel(model: LanguageModel): tf.LayersModel {
  const { vocabSize, embeddingSize, hiddenSizes, tied } = model.config;
  const ids = tf.input({ batchShape: [null, null], dtype: 'int32', name: 'ids' });
  const tiedLayer = tied ? new TiedEmbedding({ name: 'embedding', vocabSize, embeddingSize }) : null;
  const embedding = tiedLayer ?? tf.layers.embedding({ name: 'embedding', inputDim: vocabSize, outputDim: embeddingSize });
  let x = embedding.apply(ids) as tf.SymbolicTensor;
  const stateInputs: tf.SymbolicTensor[] = [];
  const stateOutputs: tf.SymbolicTensor[] = [];
  const recurrent = hiddenSizes.map((units, k) => {
    // Uniform init is cheap (the default runs an orthogonal init); the weights are overwritten below.
    const cell = createCell(model.config.cell, { name: `cell${k}`, units, forgetBias: model.config.forgetBias, init: 'uniform' });
    const initial = ['h', 'c'].slice(0, cell.stateCount).map((name) => tf.input({ shape: [units], name: `${name}${k}` }));
    const layer = new Recurrent({ name: `rnn${k}`, cell, returnState: true });
    const [outputs, ...final] = layer.apply([x, ...initial]) as tf.SymbolicTensor[];
    stateInputs.push(...initial);
    stateOutputs.push(...final);
    x = outputs;
    return layer;
  });
  const output = tiedLayer ?? tf.layers.dense({ name: 'output', units: vocabSize });
  const logits = output.apply(x) as tf.SymbolicTensor;
  const layersModel = tf.model({ name: 'rnnlm', inputs: [ids, ...stateInputs], outputs: [logits, ...stateOutputs] });

  if (tiedLayer) tiedLayer.setWeights([model.embedding, model.outputBias]);
  else {
    embedding.setWeights([model.embedding]);
    output.setWeights([model.projection as tf.Tensor, model.outputBias]);
  }
  recurrent.forEach((layer, k) => layer.setWeights(model.layers[k].cell.trainableWeights.map((w) => w.read())));
  return layersModel;
}
