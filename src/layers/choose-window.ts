import { RecurrentCell } from '../cells/cell';
import { LSTMCell } from '../cells/lstm';
import { PeepholeLSTMCell } from '../cells/peephole';
import { explicitWindow } from './explicit-window';
import { fusedWindow, prefersFused } from './fused';
import { hybridLstmWindow } from './fused/lstm';
import { KernelSettings } from './kernel-choice';
import { onednnLstmWindow } from './onednn/lstm';
import { WindowKernel } from './window';

/**
 * oneDNN's primitive for `cell`, or null where it cannot compute our equations: no addon, a cell other than
 * the plain LSTM, or recurrent dropout masks (the primitive has no per-step hook on h).
 */
export function onednnWindow(cell: RecurrentCell, { onednn, precision }: KernelSettings, masked: boolean): WindowKernel | null {
  if (!onednn || masked || !(cell instanceof LSTMCell) || cell instanceof PeepholeLSTMCell) return null;
  return onednnLstmWindow(onednn, cell.units, precision === 'bf16');
}

/**
 * The window implementation for `cell` under the kernel settings: `explicit`; `fused` or `onednn` where
 * that kernel computes the same thing, else explicit; `auto` the fastest measured (README, Performance):
 * oneDNN's primitive where it applies, else TensorFlow's fused cells or the hybrid (`prefersFused`).
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
