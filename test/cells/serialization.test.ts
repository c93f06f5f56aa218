import * as tf from '@tensorflow/tfjs';
import { CELL_KINDS, Recurrent, createCell } from '../../src';
import { randomSequences } from './fixtures';
import { rng } from '../helpers';

/** Saves a LayersModel that uses the cell (topology + weights), loads it back and compares outputs. */
describe.each(CELL_KINDS)('%s serialization', (kind) => {
  test('save → load gives the same outputs and the same config', async () => {
    const cell = createCell(kind, { units: 5, init: 'uniform', initScale: 0.3, seed: 9, forgetBias: 0.5 });
    const model = tf.sequential({
      layers: [new Recurrent({ cell, name: 'rec', inputShape: [4, 6] }), tf.layers.dense({ units: 3 })],
    });
    const x = randomSequences(rng(5), 2, 4, 6).tensor;
    const before = model.predict(x) as tf.Tensor;

    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
    const after = loaded.predict(x) as tf.Tensor;
    expect(Array.from(after.dataSync())).toEqual(Array.from(before.dataSync()));

    const loadedCell = (loaded.getLayer('rec') as Recurrent).cell;
    expect(loadedCell.getClassName()).toBe(cell.getClassName());
    expect(loadedCell.getConfig()).toEqual(cell.getConfig());
  });
});
