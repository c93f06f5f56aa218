import * as fs from 'fs';
import * as path from 'path';
import { DropoutConfig, HyperParameters, ModelConfig, Preset, combineHyper, toModelConfig } from '../config';
import { Corpus, findSplitFile, loadSplit } from '../data/corpus';
import { tokenize } from '../data/tokens';
import { UNK, Vocabulary, quote } from '../data/vocabulary';
import { ConfigError, DataError } from '../errors';
import { loadModelFromDirectory } from '../eval/evaluate';
import { LoadedModel } from '../model/io';
import { LanguageModel } from '../model/lm';
import { SPLIT_NAMES, SplitName } from '../config/names';
import { describeLayers } from './report';

/** Settings that shape or initialise a model: a fine-tuned model has its starting model's. */
const ARCHITECTURE_KEYS = ['cell', 'layers', 'hidden', 'embedding', 'tied', 'init', 'initScale', 'forgetBias'] as const;

/**
 * Refuses options that a fine-tuning run cannot honour: they would be silently ignored otherwise. A preset may be
 * given for its training settings; its architecture must be the model's (`startFineTuning` checks it).
 */
export function checkFineTuneOptions(
  options: { char?: boolean; maxVocab?: number | null; resume?: boolean; hyper?: Partial<HyperParameters> },
): void {
  const given = Object.keys(options.hyper ?? {}).filter((key) => (ARCHITECTURE_KEYS as readonly string[]).includes(key));
  if (options.maxVocab != null) given.unshift('maxVocab');
  if (options.char !== undefined) given.unshift('char');
  if (options.resume) given.unshift('resume');
  if (given.length > 0) {
    throw new ConfigError((option) =>
      `${option('initFrom')} takes the architecture and vocabulary of the model it starts from, so ${given.map(option).join(', ')} ` +
        `cannot be given with it (training settings such as ${option('lr')}, ${option('epochs')} and ${option('dropout')} can)`);
  }
}

/** The words of a split that a vocabulary without `<unk>` cannot encode; a DataError that says what to do. */
function checkKnownWords(file: string, split: SplitName, vocab: Vocabulary, source: string): void {
  const unknown = new Set(tokenize(fs.readFileSync(file, 'utf8'), vocab.level).filter((token) => !vocab.has(token)));
  if (unknown.size === 0) return;
  const examples = [...unknown].slice(0, 5).map(quote).join(', ');
  throw new DataError((option) =>
    `the ${split} split ${file} has ${unknown.size.toLocaleString('en-US')} ${vocab.level === 'word' ? 'word type' : 'character'}${unknown.size === 1 ? '' : 's'} (e.g. ${examples}) outside the vocabulary of the model ` +
      `in ${option('initFrom')} ${source}, which has no ${UNK} to map them to: fine-tune on text in its vocabulary, or train a new model`);
}

/**
 * A corpus directory encoded with a fixed vocabulary (the starting model's): words outside it map to `<unk>`,
 * or are an error when it has none.
 */
export function loadCorpusWithVocabulary(dir: string, vocab: Vocabulary, source: string): Corpus {
  const root = path.resolve(dir);
  const files = Object.fromEntries(SPLIT_NAMES.map((split) => [split, findSplitFile(root, split)])) as Record<SplitName, string>;
  if (vocab.unkId === null) for (const split of SPLIT_NAMES) checkKnownWords(files[split], split, vocab, source);
  const [train, valid, test] = SPLIT_NAMES.map((split) => loadSplit(root, split, vocab));
  return { dir: root, level: vocab.level, vocab, train, valid, test, files };
}

/**
 * A fine-tuning run's dropout: each rate the run sets (`--dropout` the input, between-layer and output ones, as
 * when training), and the starting model's for the rest, so that setting one rate keeps, say, its weight drop.
 */
export function fineTuneDropout(start: DropoutConfig, explicit: Partial<HyperParameters>): DropoutConfig {
  return {
    input: explicit.dropoutInput ?? explicit.dropout ?? start.input,
    hidden: explicit.dropoutHidden ?? explicit.dropout ?? start.hidden,
    output: explicit.dropoutOutput ?? explicit.dropout ?? start.output,
    recurrent: explicit.dropoutRecurrent ?? start.recurrent,
    embedding: explicit.dropoutEmbedding ?? start.embedding,
    weight: explicit.weightDrop ?? start.weight,
    kind: explicit.dropoutKind ?? start.kind,
  };
}

/** The model to fine-tune: the starting model's architecture and weights, with the run's dropout (`fineTuneDropout`). */
function fineTuneModel(start: LoadedModel, explicit: Partial<HyperParameters>): LanguageModel {
  const held = start.model.config.dropout;
  const dropout = fineTuneDropout(held, explicit);
  if ((Object.keys(dropout) as (keyof DropoutConfig)[]).every((key) => dropout[key] === held[key])) return start.model;
  const model = new LanguageModel({ ...start.model.config, dropout });
  const weights = start.model.variables();
  model.variables().forEach((variable, k) => variable.assign(weights[k]));
  start.model.dispose();
  return model;
}

/** The layers a configuration describes, for comparing a preset with a model: sizes, cell, tying, embedding width. */
const layersOf = (config: ModelConfig): string => `${describeLayers(config)}, ${config.embeddingSize}-d embedding`;

/**
 * What a fine-tuning run starts from (on the current backend): the model in `initFrom` and corpus directory
 * `dataDir` encoded with its vocabulary. `explicit` are the hyper-parameters the run was given; a `preset`'s
 * count as given too (AWD-LSTM's fine-tuning stage is its training run's settings again), and its architecture
 * must be the model's.
 */
export function startFineTuning(
  initFrom: string, dataDir: string, preset: Preset | null, explicit: Partial<HyperParameters>,
): { model: LanguageModel; corpus: Corpus } {
  const presetHyper = preset?.hyper ?? {};
  const start = loadModelFromDirectory(initFrom);
  try {
    if (preset) {
      const [wanted, held] = [layersOf(toModelConfig(combineHyper(presetHyper, {}), start.vocab.size)), layersOf(start.model.config)];
      if (wanted !== held) {
        throw new ConfigError((option) => `${option('preset')} ${preset.name} describes a ${wanted}, and the model in ${option('initFrom')} ` +
          `${initFrom} is a ${held}: give its training settings as options instead`);
      }
    }
    const corpus = loadCorpusWithVocabulary(dataDir, start.vocab, initFrom);
    return { model: fineTuneModel(start, { ...presetHyper, ...explicit }), corpus };
  } catch (error) {
    start.model.dispose();
    throw error;
  }
}
