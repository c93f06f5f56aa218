import { RecurrentCell } from '../../cells/cell';
import { GRUCell } from '../../cells/gru';
import { LSTMCell } from '../../cells/lstm';
import { PeepholeLSTMCell } from '../../cells/peephole';
import { Precision } from '../../config/names';
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
 * Which window `auto` runs where oneDNN's primitives do not apply (recurrent masks, or no addon:
 * src/layers/choose-window.ts), from one LSTM or GRU layer over one window (batch 20, 35 steps, forward and
 * backward, medians of three interleaved rounds; README, Backends): TensorFlow's cells win where the
 * per-step work is small — dispatching ~15 tfjs ops per step costs more than the math — which is up to
 * ~256 units (LSTM 200: 45 against 69 ms in float32, 35 against 65 in bf16). At 650 units an LSTM still
 * gains a little in float32 (258 against 285 ms), but in bf16 TensorFlow's cells lose (357 against 253):
 * their per-step products run in float32, ours take the bf16 mode. There `auto` runs our forward with
 * TensorFlow's per-step gate gradients (`hybridLstmWindow`: the medium model trained 6–12% faster than with
 * our explicit backward, two interleaved rounds). A GRU gains only without recurrent dropout: the mask correction around GRUBlockCell
 * costs more than it saves.
 */
export const FUSED_MAX_UNITS = 256;

export function prefersFused(cell: RecurrentCell, precision: Precision, masked: boolean): boolean {
  if (cell instanceof GRUCell) return !masked && cell.units <= FUSED_MAX_UNITS;
  return cell.units <= FUSED_MAX_UNITS || precision === 'fp32';
}
