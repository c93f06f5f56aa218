import * as tf from '@tensorflow/tfjs';
import { CELL_KINDS } from '../../src/config/names';
import { Vocabulary } from '../../src/data/vocabulary';
import { generateText } from '../../src/model/generate';
import { LanguageModel } from '../../src/model/lm';
import { WebLanguageModel } from '../../src/web/language-model';
import { toLayersModel } from '../../src/web/layers-model';
import '../../src/web/tied-embedding';
import { relativeError } from '../helpers';
import { smallModel } from '../model/fixtures';

const WORDS = ['<eos>', '<unk>', 'the', 'cat', 'sat', 'on', 'mat', 'a', 'dog', 'ran'];
const vocab = new Vocabulary(WORDS, 'word');

/** Saves a LayersModel to memory and loads it back as tf.loadLayersModel does, by class name. */
async function roundTrip(model: tf.LayersModel): Promise<tf.LayersModel> {
  let artifacts: tf.io.ModelArtifacts | null = null;
  await model.save(tf.io.withSaveHandler(async (a) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return tf.loadLayersModel(tf.io.fromMemory(artifacts!));
}

describe.each(CELL_KINDS.flatMap((cell) => [false, true].map((tied) => ({ cell, tied }))))('%o', ({ cell, tied }) => {
  let model: LanguageModel;
  let web: WebLanguageModel;

  beforeAll(async () => {
    model = smallModel({ cell, tied, vocabSize: WORDS.length, initScale: 0.5 });
    const exported = toLayersModel(model);
    web = new WebLanguageModel(await roundTrip(exported), vocab.toJSON());
    exported.dispose();
  });
  afterAll(() => {
    model.dispose();
    web.model.dispose();
  });

  test('the saved and reloaded LayersModel gives the LanguageModel\'s probabilities, with the state carried by the caller', async () => {
    const prime = 'the cat sat on the';
    const expected = tf.tidy(() => {
      const ids = prime.split(' ').map((w) => vocab.id(w));
      const { logits } = model.forward(tf.tensor2d([ids], [1, ids.length], 'int32'), null, null);
      return Array.from(tf.softmax(logits).slice([ids.length - 1, 0], [1, -1]).dataSync());
    });
    expect(relativeError(await web.nextTokenProbabilities(prime), expected)).toBeLessThan(1e-5);
    expect(relativeError(await web.nextTokenProbabilities(prime, true), expected)).toBeLessThan(1e-5);
  });

  test('it samples the same text as generateText for the same options and seed', async () => {
    const options = { prime: 'a dog', length: 20, temperature: 0.9, topK: 6, seed: 11 };
    const pieces: string[] = [];
    const text = await web.generate(options, { onToken: (_t, piece) => pieces.push(piece) });
    expect(text).toBe(generateText(model, vocab, options));
    expect(`a dog${pieces.join('')}`).toBe(text);
    // onToken returning false stops it there, as in generateText.
    const three: string[] = [];
    expect(await web.generate(options, { onToken: (_t, piece) => three.push(piece) < 3 })).toBe(`a dog${pieces.slice(0, 3).join('')}`);
  });
});

test('a character-level model samples the same text in the page code as in Node, spaces in the prime included', async () => {
  const chars = new Vocabulary(['<eos>', ' ', 'a', 'b', 'c', 'd'], 'char');
  const model = smallModel({ vocabSize: chars.size, initScale: 0.7 });
  const exported = toLayersModel(model);
  const web = new WebLanguageModel(await roundTrip(exported), chars.toJSON());
  const options = { prime: 'ab c ', length: 30, temperature: 1.2, seed: 3 };
  const text = await web.generate(options); // no hooks: the text is still built
  expect(text.startsWith('ab c ')).toBe(true);
  expect(text).toBe(generateText(model, chars, options));
  [exported, web.model].forEach((m) => m.dispose());
  model.dispose();
});
