import { TrainConfig } from '../config/hyper';

/**
 * Learning-rate schedules (the names are listed in src/config/names.ts).
 * - `fixed`: multiply by `lrDecay` at the start of every epoch after `decayStart` (Zaremba et al. 2014:
 *   epochs are counted from 1, lr = lr0 · decay^max(epoch − decayStart, 0)).
 * - `plateau`: divide by 4 whenever validation perplexity fails to improve on the best so far (PyTorch
 *   word_language_model; Saito's "Deep Learning from Scratch 2").
 * - `none`: constant.
 */
export type ScheduleConfig = Pick<TrainConfig, 'schedule' | 'lr' | 'lrDecay' | 'decayStart'>;

/** The lr for `epoch` (1-based) under `fixed` and `none`; `plateau` carries its lr from epoch to epoch. */
export function scheduledLearningRate(config: ScheduleConfig, epoch: number, current: number): number {
  if (config.schedule === 'fixed') return config.lr * Math.pow(config.lrDecay, Math.max(epoch - config.decayStart, 0));
  if (config.schedule === 'none') return config.lr;
  return current;
}

/** Plateau step after an epoch's validation: the lr for the next epoch. */
export const PLATEAU_FACTOR = 4;
export function afterValidation(config: ScheduleConfig, current: number, improved: boolean): number {
  return config.schedule === 'plateau' && !improved ? current / PLATEAU_FACTOR : current;
}
