import { KernelChoice, Precision } from '../config/names';

/**
 * The recurrent-kernel choice and matmul precision in force, set by `selectBackend` (src/backend.ts). Kept
 * apart from the backend module, which loads Node-only code, so that the layers also run in a browser.
 */
let current: { kernel: KernelChoice; precision: Precision } = { kernel: 'auto', precision: 'fp32' };

export function setKernelChoice(kernel: KernelChoice, precision: Precision): void {
  current = { kernel, precision };
}

export function kernelChoice(): { kernel: KernelChoice; precision: Precision } {
  return current;
}
