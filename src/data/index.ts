export { EOS, UNK, Vocabulary } from './vocabulary';
export type { TokenLevel, VocabularyJSON, VocabularyOptions } from './vocabulary';
export {
  DEFAULT_CORPUS_DESCRIPTION,
  DEFAULT_CORPUS_DIR,
  DEFAULT_VOCAB_LIMITS,
  encodeText,
  findSplitFile,
  loadCorpus,
  loadSplit,
  splitFileNames,
  tokenize,
  trainingVocabulary,
} from './corpus';
export type { Corpus, LoadCorpusOptions } from './corpus';
export * from './batches';
export { TextJoiner, lineTokens, primeTokens, splitLines } from './tokens';
