/**
 * The browser bundle (dist/web/rnnlm-web.js, global `rnnlm`), built by `npm run build` with esbuild: our cells,
 * recurrent layer and tied embedding registered with tfjs (so `tf.loadLayersModel` can rebuild an export),
 * and the sampler. `@tensorflow/tfjs` is the page's own tf.min.js (global `tf`).
 */
import * as tf from '@tensorflow/tfjs';
import { GRUCell, LSTMCell, PeepholeLSTMCell, SimpleRNNCell } from '../cells';
import { Recurrent } from '../layers/recurrent';
import { WebLanguageModel, WebVocabulary } from './language-model';
import { TiedEmbedding } from './tied-embedding';

/** The classes an export's model.json names; listed so that no bundler drops their registration. */
export const LAYER_CLASSES = [LSTMCell, PeepholeLSTMCell, GRUCell, SimpleRNNCell, Recurrent, TiedEmbedding];

/** Loads an export from a URL directory (e.g. '.'): model.json with its weights, and vocab.json. */
export async function loadWebModel(base = '.'): Promise<WebLanguageModel> {
  const dir = base.endsWith('/') ? base : `${base}/`;
  const [model, vocab] = await Promise.all([
    tf.loadLayersModel(`${dir}model.json`),
    fetch(`${dir}vocab.json`).then(async (response) => {
      if (!response.ok) throw new Error(`${dir}vocab.json: HTTP ${response.status}`);
      return (await response.json()) as WebVocabulary;
    }),
  ]);
  return new WebLanguageModel(model, vocab);
}

export { WebLanguageModel };
