import * as fs from 'fs';
import * as path from 'path';
import { SplitName, findSplitFile, loadCorpus, loadSplit } from '../data/corpus';
import { DataError, Vocabulary } from '../data/vocabulary';
import { LoadedModel, ModelFileError, loadModel } from '../model/io';
import { LanguageModel } from '../model/lm';
import { runPaths } from '../train/checkpoint';
import { PerplexityResult, evaluatePerplexity } from './perplexity';

/** A run directory (its best model in model/) or a model directory itself. */
export function loadModelFromDirectory(dir: string): LoadedModel {
  if (!fs.existsSync(dir)) throw new ModelFileError(`no model at ${dir}: the directory does not exist`);
  const inRun = runPaths(dir).model;
  return loadModel(fs.existsSync(path.join(dir, 'model.json')) ? dir : inRun);
}

/**
 * Perplexity of a saved model on one split of a corpus directory. The split is encoded with the model's own
 * vocabulary; when the corpus has a training split whose vocabulary differs from the model's, that is an
 * error rather than a silent re-mapping of ids.
 */
export function evaluateModelOnCorpus(
  model: LanguageModel, vocab: Vocabulary, dataDir: string, split: SplitName, batchSize: number, bptt: number,
): PerplexityResult {
  let corpusVocab: Vocabulary | null = null;
  try {
    findSplitFile(dataDir, 'train');
    corpusVocab = loadCorpus(dataDir, { char: vocab.level === 'char' }).vocab;
  } catch (error) {
    if (!(error instanceof DataError)) throw error;
  }
  if (corpusVocab && corpusVocab.fingerprint !== vocab.fingerprint) {
    throw new DataError(
      `the model was trained on another vocabulary (${vocab.size} types) than ${dataDir} builds (${corpusVocab.size} types): ` +
        'evaluate it on the corpus it was trained on');
  }
  return evaluatePerplexity(model, loadSplit(dataDir, split, vocab), batchSize, bptt);
}
