export * from './cells';
export { Recurrent, stopGradient } from './layers/recurrent';
export type { RecurrentArgs, RunOptions, RunResult } from './layers/recurrent';
export { BACKEND_NAMES, availableBackends, currentBackend, describeBackend, selectBackend } from './backend';
export type { BackendChoice, BackendName, BackendReport } from './backend';
