import { RecurrentCell } from '../cells/cell';
import { GRUCell } from '../cells/gru';
import { LSTMCell } from '../cells/lstm';
import { PeepholeLSTMCell } from '../cells/peephole';
import { SimpleRNNCell } from '../cells/rnn';
import { explicitWindow } from './explicit-window';
import { fusedWindow, prefersFused } from './fused';
import { hybridLstmWindow } from './fused/lstm';
import { KernelSettings } from './kernel-choice';
import { OnednnCell } from './onednn/addon';
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
 * oneDNN's primitive for `cell`, or null where it cannot compute our equations: no addon, or recurrent
 * dropout masks (the primitives have no per-step hook on h).
 */
export function onednnWindow(cell: RecurrentCell, { onednn, precision }: KernelSettings, masked: boolean): WindowKernel | null {
  const kind = onednnCell(cell);
  if (!onednn || masked || !kind) return null;
  return onednnCellWindow(onednn, kind, cell.units, precision === 'bf16');
}

/**
 * The window implementation for `cell` under the kernel settings: `explicit`; `fused` or `onednn` where
 * that kernel computes the same thing, else explicit; `auto` the fastest measured: oneDNN's primitive where it
 * applies — it beat the other kernels for every cell at 200 and 650 units in both precisions (one window,
 * batch 20, 35 steps, forward and backward: e.g. LSTM 650 bf16 73 against 125 ms, GRU 200 fp32 13 against
 * 48; README, Performance) — else TensorFlow's fused cells or the hybrid (`prefersFused`).
 */
export function chooseWindow(cell: RecurrentCell, settings: KernelSettings, masked: boolean): WindowKernel {
  const { kernel, precision } = settings;
  if (kernel === 'explicit') return explicitWindow(cell);
  if (kernel === 'onednn' || kernel === 'auto') {
    const native = onednnWindow(cell, settings, masked);
    if (native || kernel === 'onednn') return native ?? explicitWindow(cell);
  }
  const fused = fusedWindow(cell);
  if (!fused) return explicitWindow(cell);
  if (kernel === 'fused' || prefersFused(cell, precision, masked)) return fused;
  return cell instanceof LSTMCell ? hybridLstmWindow(cell) : explicitWindow(cell);
}
