import * as tf from '@tensorflow/tfjs';
import { InitKind } from '../config/names';

/**
 * How a cell initialises its weights.
 * - `uniform`: every weight ~ U(−scale, scale), biases too (Zaremba et al. 2014 use 0.1/0.05/0.04).
 * - `default`: Glorot-uniform input kernel, orthogonal recurrent kernel, zero bias (Keras' defaults).
 * The LSTM forget-gate bias is set on top of either (Jozefowicz et al. 2015: start at 1).
 */
export interface InitSpec {
  init: InitKind;
  /** Half-width of the uniform range for `init: 'uniform'`. */
  initScale: number;
  /** Seed for reproducible weights; `null` draws from the global RNG. */
  seed: number | null;
}

export const DEFAULT_INIT: InitSpec = { init: 'default', initScale: 0.1, seed: null };

type Role = 'kernel' | 'recurrent' | 'bias' | 'peephole';

/** Each weight gets its own seed so that two weights of one cell are never identical. */
const ROLE_SEED_OFFSET: Record<Role, number> = { kernel: 0, recurrent: 1, bias: 2, peephole: 3 };

export type Initializer = ReturnType<typeof tf.initializers.zeros>;

export function initializerFor(spec: InitSpec, role: Role): Initializer {
  const seed = spec.seed === null ? undefined : spec.seed * 7919 + ROLE_SEED_OFFSET[role];
  if (spec.init === 'uniform') {
    return tf.initializers.randomUniform({ minval: -spec.initScale, maxval: spec.initScale, seed });
  }
  switch (role) {
    case 'kernel':
      return tf.initializers.glorotUniform({ seed });
    case 'recurrent':
      return tf.initializers.orthogonal({ gain: 1, seed });
    case 'bias':
    case 'peephole':
      return tf.initializers.zeros();
  }
}
