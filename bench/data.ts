import * as fs from 'fs';
import * as path from 'path';
import { loadCorpus } from '../src/data/corpus';
import { PACKAGE_ROOT } from '../src/package';

/** Penn Treebank beside the repository (never shipped: its licence does not allow it). */
export const PTB_DIR = path.resolve(PACKAGE_ROOT, '..', 'shared', 'data', 'ptb');
const SYNTHETIC_VOCAB = 10_000;

export interface BenchData {
  name: string;
  /** The directory, for peers that read the corpus themselves (null for synthetic data). */
  dir: string | null;
  vocabSize: number;
  train: Int32Array;
  valid: Int32Array;
}

/** The corpus at `dataDir`, else PTB when present, else a synthetic 10k-vocabulary stream (Zipf-distributed ids). */
export function loadBenchData(dataDir: string | undefined): BenchData {
  const dir = dataDir ?? (fs.existsSync(PTB_DIR) ? PTB_DIR : null);
  if (dir) {
    const corpus = loadCorpus(dir);
    return { name: path.basename(dir), dir, vocabSize: corpus.vocab.size, train: corpus.train, valid: corpus.valid };
  }
  // Rank r with probability ∝ 1/r, from a fixed LCG: reproducible, no data file needed.
  let state = 12345;
  const uniform = (): number => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
  const harmonic = Math.log(SYNTHETIC_VOCAB) + 0.5772;
  const stream = (length: number): Int32Array =>
    Int32Array.from({ length }, () => Math.min(SYNTHETIC_VOCAB - 1, Math.floor(Math.exp(uniform() * harmonic)) - 1));
  return { name: 'synthetic', dir: null, vocabSize: SYNTHETIC_VOCAB, train: stream(300_000), valid: stream(60_000) };
}
