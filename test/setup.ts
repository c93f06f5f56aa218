import { BackendChoice, isBackendChoice, selectBackend } from '../src/backend';

/** Every test file runs on the backend named by RNNLM_BACKEND (default: auto = the best available). */
const choice = process.env.RNNLM_BACKEND ?? 'auto';
if (!isBackendChoice(choice)) throw new Error(`RNNLM_BACKEND must be auto, tensorflow, wasm or cpu, got "${choice}"`);

beforeAll(async () => {
  await selectBackend(choice as BackendChoice);
});
