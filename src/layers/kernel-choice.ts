import { KernelChoice, Precision } from '../config/names';
import { OnednnAddon } from './onednn/addon';

/**
 * The recurrent-kernel choice and matmul precision in force, and the oneDNN addon when it loaded, set by
 * `selectBackend` (src/backend.ts). Kept apart from the backend module, which loads Node-only code, so that
 * the layers also run in a browser.
 */
export interface KernelSettings {
  kernel: KernelChoice;
  precision: Precision;
  onednn: OnednnAddon | null;
}

let current: KernelSettings = { kernel: 'auto', precision: 'fp32', onednn: null };

export function setKernelChoice(kernel: KernelChoice, precision: Precision, onednn: OnednnAddon | null = null): void {
  current = { kernel, precision, onednn };
}

export function kernelChoice(): KernelSettings {
  return current;
}

/**
 * The oneDNN addon where its kernels are in force: loaded, and `--kernel auto` or `onednn`. `explicit` and
 * `fused` keep the tfjs compositions (the output layer, dynamic evaluation's step) as well as their windows.
 */
export function onednnInForce(): OnednnAddon | null {
  const { kernel, onednn } = current;
  return onednn && (kernel === 'auto' || kernel === 'onednn') ? onednn : null;
}
