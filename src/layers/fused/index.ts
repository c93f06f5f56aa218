import { RecurrentCell } from '../../cells/cell';
import { GRUCell } from '../../cells/gru';
import { LSTMCell } from '../../cells/lstm';
import { PeepholeLSTMCell } from '../../cells/peephole';
import { KernelChoice, Precision } from '../../config/names';
import { explicitWindow } from '../explicit-window';
import { WindowKernel } from '../window';
import { fusedGruWindow } from './gru';
import { fusedLstmWindow } from './lstm';
import { nativeOpsAvailable } from './native-ops';

/** TensorFlow's fused cell for `cell`, or null where there is none (the tanh RNN) or no native backend. */
export function fusedWindow(cell: RecurrentCell): WindowKernel | null {
  if (!nativeOpsAvailable()) return null;
  if (cell instanceof PeepholeLSTMCell) return fusedLstmWindow(cell.units, true);
  if (cell instanceof LSTMCell) return fusedLstmWindow(cell.units, false);
  if (cell instanceof GRUCell) return fusedGruWindow(cell.units);
  return null;
}

/**
 * Which window `auto` runs. Measured with `npm run bench` (README, Performance): the fused cells win where
 * the per-step work is small — dispatching ~15 tfjs ops per step costs more than the math — and at every
 * size in float32; in bf16 at 650 units our explicit loop wins, because its per-step h·W_h and its large
 * weight-gradient products run in bf16 while TensorFlow's cells multiply in float32.
 */
export const FUSED_BF16_MAX_UNITS = 256;

export function prefersFused(units: number, precision: Precision): boolean {
  return precision === 'fp32' || units <= FUSED_BF16_MAX_UNITS;
}

/** The window implementation for `cell` under a kernel choice: explicit, fused where it exists, or the faster. */
export function chooseWindow(cell: RecurrentCell, choice: KernelChoice, precision: Precision): WindowKernel {
  if (choice === 'explicit') return explicitWindow(cell);
  const fused = fusedWindow(cell);
  if (!fused) return explicitWindow(cell);
  return choice === 'fused' || prefersFused(cell.units, precision) ? fused : explicitWindow(cell);
}
