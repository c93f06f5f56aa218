import { RecurrentCell } from '../cells/cell';
import { GRUCell } from '../cells/gru';
import { LSTMCell } from '../cells/lstm';
import { PeepholeLSTMCell } from '../cells/peephole';
import { SimpleRNNCell } from '../cells/rnn';
import { explicitWindow } from './explicit-window';
import { fusedWindow, prefersFused } from './fused';
import { hybridLstmWindow } from './fused/lstm';
import { KernelSettings } from './kernel-choice';
import { OnednnAddon, OnednnCell } from './onednn/addon';
import { hasAvx512Kernels, onednnLstmWindow } from './onednn/lstm-window';
import { onednnWindow as onednnCellWindow } from './onednn/window';
import { WindowKernel } from './window';

/** oneDNN's name for each of our cells (its equations are ours: native/onednn/rnn.cc), or null. */
function onednnCell(cell: RecurrentCell): OnednnCell | null {
  if (cell instanceof PeepholeLSTMCell) return 'peephole';
  if (cell instanceof LSTMCell) return 'lstm';
  if (cell instanceof GRUCell) return 'gru';
  return cell instanceof SimpleRNNCell ? 'rnn' : null;
}

/**
 * Up to this many units an unmasked LSTM trains faster on oneDNN's LSTM primitive than on its matmuls (lstm.cc),
 * where oneDNN has AVX-512 kernels. One window (batch 20, 35 steps) forward and backward, AMD EPYC with
 * AVX512-BF16 (2026-12-03): bf16 26 against 25 ms at 400 units, 61–77 against 92–116 at 650, 134–175 against
 * 258–280 at 1,000; float32 43 against 35 ms at 400 (the primitive faster), ~104 against ~101–144 at 650. Intel
 * Xeon family 6 model 207 with AVX512-BF16 and no AMX (2026-12-03, medians of 30 alternated windows): float32 at
 * 650 103–112 against 114–119 ms, bf16 at 650 147 against 166.
 */
const PRIMITIVE_LSTM_MAX_UNITS_AVX512 = 400;

/**
 * Without AVX-512 (oneDNN's AVX2 kernels) the matmul LSTM was the faster at every size measured: AMD EPYC
 * family 25 model 1, float32, one thread, medians of 10 windows (2026-12-04): 7.9 against 15.3 ms at 100 units,
 * 24.2 against 33.8 at 200, 59.2 against 61.7 at 300, 83.2 against 119.4 at 400, 147.8 against 155.1 at 500,
 * and at 400 units over 70 steps 175.9 against 274.6.
 */
function primitiveLstmMaxUnits(onednn: OnednnAddon): number {
  return hasAvx512Kernels(onednn) ? PRIMITIVE_LSTM_MAX_UNITS_AVX512 : 0;
}

/**
 * oneDNN's kernel for `cell`, or null where none computes our equations (no addon; recurrent dropout masks on
 * a cell other than the plain LSTM: the primitives have no per-step hook on h). The plain LSTM runs on oneDNN's
 * matmuls with our per-step code when it has masks (2.2–3× the TensorFlow kernels that took them) or where
 * that was measured faster (`primitiveLstmMaxUnits`), else on oneDNN's LSTM primitive.
 */
export function onednnWindow(cell: RecurrentCell, { onednn, precision }: KernelSettings, masked: boolean): WindowKernel | null {
  const kind = onednnCell(cell);
  if (!onednn || !kind) return null;
  const bf16 = precision === 'bf16';
  if (kind === 'lstm' && (masked || cell.units > primitiveLstmMaxUnits(onednn))) return onednnLstmWindow(onednn, cell.units, bf16);
  return masked ? null : onednnCellWindow(onednn, kind, cell.units, bf16);
}

/**
 * Above this many units the tanh RNN's window ran faster on our explicit equations than on oneDNN's primitive
 * where oneDNN has only AVX2 kernels: AMD EPYC family 25 model 1, float32, one thread, medians of 13 windows
 * (batch 20, 35 steps, forward and backward; 2026-12-04): 44.8 against 67.7 ms at 300 units, 55.8 against 83.7
 * at 400 (the primitive faster), 118.8 against 105.8–106.4 at 500 and 174.4 against 144.9–157.8 at 650 (the
 * same explicit window timed twice in each round). The other cells' primitives were level with TensorFlow's
 * fused cells (GRU) or faster (peephole LSTM) there at 200 and 650 units.
 */
const AVX2_PRIMITIVE_RNN_MAX_UNITS = 400;

/** Whether `auto` passes over oneDNN's kernel for `cell` because another was measured faster on this CPU. */
function onednnSlowerHere(cell: RecurrentCell, onednn: OnednnAddon): boolean {
  return cell instanceof SimpleRNNCell && cell.units > AVX2_PRIMITIVE_RNN_MAX_UNITS && !hasAvx512Kernels(onednn);
}

/**
 * The window implementation for `cell` under the kernel settings: `explicit`; `fused` or `onednn` where
 * that kernel computes the same thing, else explicit; `auto` the fastest measured: oneDNN's kernels where they
 * apply — they beat the other kernels for every cell at 200 and 650 units in both precisions with AVX-512
 * kernels (one window, batch 20, 35 steps, forward and backward: e.g. LSTM 650 bf16 73 against 125 ms, GRU
 * 200 fp32 13 against 48; README, Backends), and with AVX2 kernels for all but the larger tanh RNN
 * (`onednnSlowerHere`) — else TensorFlow's fused cells or the hybrid (`prefersFused`).
 */
export function chooseWindow(cell: RecurrentCell, settings: KernelSettings, masked: boolean): WindowKernel {
  const { kernel, precision, onednn } = settings;
  if (kernel === 'explicit') return explicitWindow(cell);
  if (kernel === 'onednn') return onednnWindow(cell, settings, masked) ?? explicitWindow(cell);
  if (kernel === 'auto' && onednn && !onednnSlowerHere(cell, onednn)) {
    const native = onednnWindow(cell, settings, masked);
    if (native) return native;
  }
  const fused = fusedWindow(cell);
  if (!fused) return explicitWindow(cell);
  if (kernel === 'fused' || prefersFused(cell, precision, masked)) return fused;
  return cell instanceof LSTMCell ? hybridLstmWindow(cell) : explicitWindow(cell);
}
