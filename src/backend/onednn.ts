import * as fs from 'fs';
import * as path from 'path';
import { OnednnAddon } from '../layers/onednn/addon';
import { PACKAGE_ROOT } from '../package';

/** Where scripts/provision-onednn.js builds the addon (native/onednn/rnn.cc) at install. */
export const ONEDNN_ADDON_PATH = path.join(PACKAGE_ROOT, 'native', 'build', 'rnnlm_onednn.node');

let loaded: OnednnAddon | string | undefined; // undefined = not tried yet

/** The oneDNN addon, or why it cannot be used here. Loaded once per process. */
export function loadOnednn(): OnednnAddon | string {
  if (loaded !== undefined) return loaded;
  const disabled = ['RNNLM_NO_ONEDNN', 'RNNLM_NO_NATIVE'].find((name) => process.env[name] === '1');
  if (disabled) loaded = `disabled by ${disabled}=1`;
  else if (!fs.existsSync(ONEDNN_ADDON_PATH)) {
    loaded = `not built (no ${path.relative(process.cwd(), ONEDNN_ADDON_PATH)}): run \`node ${path.relative(process.cwd(), path.join(PACKAGE_ROOT, 'scripts', 'provision-onednn.js'))}\``;
  } else {
    // libgomp, whose threads run the primitives, reads this as it loads. After a parallel region its threads
    // spin 300,000 PAUSEs by default before sleeping, ~10–20 ms of a vCPU where PAUSE takes ~140 cycles
    // (Skylake-SP and later), which the TensorFlow ops that follow need (README, Backends).
    process.env.GOMP_SPINCOUNT ??= '3000';
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      loaded = require(ONEDNN_ADDON_PATH) as OnednnAddon;
    } catch (error) {
      loaded = `failed to load: ${(error as Error).message.split('\n')[0]}`;
    }
  }
  return loaded;
}
