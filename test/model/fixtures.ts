import { LanguageModel } from '../../src/model/lm';
import { ModelConfig, NO_DROPOUT } from '../../src/config/model';

export function smallConfig(overrides: Partial<ModelConfig> = {}): ModelConfig {
  return {
    cell: 'lstm', vocabSize: 50, embeddingSize: 16, hiddenSizes: [16, 16], tied: false, dropout: NO_DROPOUT,
    init: 'uniform', initScale: 0.05, forgetBias: 1, seed: 3, ...overrides,
  };
}

export function smallModel(overrides: Partial<ModelConfig> = {}): LanguageModel {
  return new LanguageModel(smallConfig(overrides));
}

/** A repeated pattern over `vocab` ids: trivially predictable once learned. */
export function patternIds(length: number, pattern: number[]): Int32Array {
  return Int32Array.from({ length }, (_, k) => pattern[k % pattern.length]);
}
