import * as tf from '@tensorflow/tfjs';
import { InitKind } from '../config/names';

/**
 * How a cell initialises its weights.
 * - `uniform`: every weight ~ U(−scale, scale), biases too (Zaremba et al. 2014 use 0.1/0.05/0.04).
 * - `default`: Glorot-uniform input kernel, orthogonal recurrent kernel, zero bias (Keras' defaults).
 * - `torch`: PyTorch's nn.LSTM/GRU/RNN: every weight ~ U(±1/√units), and two bias vectors b_ih + b_hh, each
 *   U(±1/√units), where we have one b: so b is drawn as their sum (`torchBias`).
 * The LSTM forget-gate bias (Jozefowicz et al. 2015: start at 1) is written over its slice under `uniform` and
 * `default`, and added to it under `torch`, so that 0 leaves PyTorch's draw as it is.
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

const roleSeed = (spec: InitSpec, role: Role): number | undefined => (spec.seed === null ? undefined : spec.seed * 7919 + ROLE_SEED_OFFSET[role]);

/** PyTorch's half-width for a recurrent layer of `units`: 1/√units (torch.nn.RNNBase.reset_parameters). */
const torchScale = (units: number): number => 1 / Math.sqrt(units);

export function initializerFor(spec: InitSpec, role: Role, units: number): Initializer {
  const seed = roleSeed(spec, role);
  if (spec.init === 'torch' && role === 'bias') return tf.initializers.zeros(); // the cell writes `torchBias` over it
  if (spec.init === 'uniform' || spec.init === 'torch') {
    const scale = spec.init === 'uniform' ? spec.initScale : torchScale(units);
    return tf.initializers.randomUniform({ minval: -scale, maxval: scale, seed });
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

/** The `torch` bias of `width` entries: b_ih + b_hh, each U(±1/√units), as PyTorch's cells add them. */
export function torchBias(spec: InitSpec, width: number, units: number): tf.Tensor1D {
  const scale = torchScale(units);
  const seed = roleSeed(spec, 'bias');
  return tf.tidy(() => tf.add(
    tf.randomUniform([width], -scale, scale, 'float32', seed),
    tf.randomUniform([width], -scale, scale, 'float32', seed === undefined ? undefined : seed + 4),
  ));
}
