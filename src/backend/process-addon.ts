import * as fs from 'fs';
import * as path from 'path';
import { PACKAGE_ROOT } from '../package';

/** Where scripts/provision-process.js builds the process addon (native/process/process.cc) at install. */
export const PROCESS_ADDON_PATH = path.join(PACKAGE_ROOT, 'native', 'build', 'rnnlm_process.node');

/**
 * Settings of the whole process that the native backend needs whatever kernels run, and the dropout masks' loop
 * (native/process/process.cc).
 */
export interface ProcessAddon {
  /**
   * Blocks the asynchronous signals on the calling thread for good, and on the threads it starts later: oneDNN's
   * JIT sgemm, in TensorFlow and in our oneDNN addon, runs with its stack pointer in the heap, where a signal frame
   * would overwrite memory. Node's helper threads take the signals instead. False if the mask could not be set.
   */
  holdAsyncSignals(): boolean;
  /** Freed blocks of up to 32 MB stay in the process's heap (glibc's mallopt); false where the C library is not glibc. */
  keepFreedMemory(): boolean;
  /** Points fd 2 at /dev/null; returns a descriptor holding what it was (for `restoreStderr`), or −1 if it could not. */
  stderrToNull(): number;
  /** Points fd 2 back at what `stderrToNull` saved, and closes `saved`; false if it could not. */
  restoreStderr(saved: number): boolean;
  /**
   * Fills `values` with the dropout mask drawn from alea's state (c, s0, s1, s2): `kept` where the draw exceeds
   * `threshold` in float32, else 0, as src/layers/dropout.ts's loop does. False for a state that is not alea's.
   */
  fillDropoutMask(values: Float32Array, c: number, s0: number, s1: number, s2: number, threshold: number, kept: number): boolean;
}

let loaded: ProcessAddon | string | undefined; // undefined = not tried yet

/** The process addon, or why it cannot be used here. Loaded once per process. */
export function loadProcessAddon(): ProcessAddon | string {
  if (loaded !== undefined) return loaded;
  if (process.env.RNNLM_NO_NATIVE === '1') loaded = 'disabled by RNNLM_NO_NATIVE=1';
  else if (!fs.existsSync(PROCESS_ADDON_PATH)) {
    loaded = `not built (no ${path.relative(process.cwd(), PROCESS_ADDON_PATH)}): run \`node ${path.relative(process.cwd(), path.join(PACKAGE_ROOT, 'scripts', 'provision-process.js'))}\``;
  } else {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      loaded = require(PROCESS_ADDON_PATH) as ProcessAddon;
    } catch (error) {
      loaded = `failed to load: ${(error as Error).message.split('\n')[0]}`;
    }
  }
  return loaded;
}
