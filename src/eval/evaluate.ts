import * as fs from 'fs';
import * as path from 'path';
import { SplitName } from '../config/names';
import { loadSplit, splitFileNames, trainingVocabulary } from '../data/corpus';
import { Vocabulary } from '../data/vocabulary';
import { DataError, ModelFileError } from '../errors';
import { LoadedModel, loadModel } from '../model/io';
import { LanguageModel } from '../model/lm';
import { runPaths } from '../util/run-directory';
import { PerplexityResult, evaluatePerplexity } from './perplexity';

/** A run directory (its best model in model/) or a model directory itself. */
export function loadModelFromDirectory(dir: string): LoadedModel {
  if (!fs.existsSync(dir)) throw new ModelFileError(`no model at ${dir}: the directory does not exist`);
  const inRun = runPaths(dir).model;
  return loadModel(fs.existsSync(path.join(dir, 'model.json')) ? dir : inRun);
}

/**
 * Perplexity of a saved model on one split of a corpus directory. The split is encoded with the model's own
 * vocabulary; when the directory has a training split whose vocabulary (rebuilt with the model's size limit,
 * as --max-vocab would) differs from the model's, that is an error rather than a silent re-mapping of ids; so
 * is a NaN or infinite perplexity.
 */
export function evaluateModelOnCorpus(
  model: LanguageModel, vocab: Vocabulary, dataDir: string, split: SplitName, batchSize: number, bptt: number,
): PerplexityResult {
  if (splitFileNames('train').some((name) => fs.existsSync(path.join(dataDir, name)))) {
    const corpusVocab = trainingVocabulary(dataDir, { char: vocab.level === 'char', maxVocab: Math.max(vocab.size, 2) });
    if (corpusVocab.fingerprint !== vocab.fingerprint) {
      throw new DataError(
        `the model was trained on another vocabulary: its ${vocab.size} types are not those the training split of ${dataDir} gives, ` +
          'so its ids would mean other words; evaluate it on the corpus it was trained on');
    }
  }
  const result = evaluatePerplexity(model, loadSplit(dataDir, split, vocab), batchSize, bptt);
  if (!Number.isFinite(result.perplexity)) {
    throw new ModelFileError(`the perplexity on the ${split} split is ${result.perplexity}: the model's weights are not usable numbers ` +
      '(a corrupted file or a diverged run); evaluate a model directory from a run that finished');
  }
  return result;
}
