import * as tf from '@tensorflow/tfjs';
import { ChildProcess, fork } from 'child_process';
import * as os from 'os';
import * as path from 'path';
import type { BackendOptions } from '../config/commands';
import type { ModelConfig } from '../config/model';
import { currentBackend } from '../backend';
import { LanguageModel } from '../model/lm';
import { PACKAGE_ROOT } from '../package';
import { PerplexityResult, WindowProgress } from './perplexity';
import type { AdaptationScorer, SettingScorer, TunableAdaptation } from './tune';

/**
 * The worker's entry, compiled: the tests run src/ through ts-jest, and a child process runs JavaScript, so it
 * is always the built one (`npm test` builds first).
 */
export const WORKER_SCRIPT = path.join(PACKAGE_ROOT, 'dist', 'src', 'eval', 'tune-worker.js');

/** A worker's window progress reaches the parent at most this often (and at a pass's last window). */
export const PROGRESS_EVERY_MS = 250;

/** What a worker needs to score settings as this process would: the backend, the model, the shared statistics. */
export interface WorkerSetup {
  backend: Pick<BackendOptions, 'backend' | 'precision' | 'threads' | 'kernel'>;
  config: ModelConfig;
  weights: { name: string; shape: number[]; values: Float32Array }[];
  /** Dynamic evaluation's gradient RMS, one array per weight in `model.variables()`'s order; null for the cache. */
  statistics: { shape: number[]; values: Float32Array }[] | null;
  batchSize: number;
  bptt: number;
}

export type ToWorker =
  | { kind: 'setup'; setup: WorkerSetup }
  | { kind: 'score'; ids: Int32Array; setting: TunableAdaptation };

export type FromWorker =
  | { kind: 'ready' }
  | { kind: 'window'; done: number; total: number }
  | { kind: 'scored'; result: PerplexityResult }
  | { kind: 'failed'; message: string };

/** One child process and the score it is working on. */
interface Worker {
  child: ChildProcess;
  ready: Promise<void>;
  /** The score in progress: where its progress and result go. */
  job: { resolve: (result: PerplexityResult) => void; reject: (error: Error) => void; onWindow?: WindowProgress } | null;
  /** Why it can no longer score (it failed to start, or exited), once it cannot. */
  lost: Error | null;
}

/**
 * Scores `jobs` settings at once, each in a process of its own (`tune-worker.ts`) that holds a copy of the model
 * and of the statistics: a batch-1 pass of dynamic evaluation is one thread's memory-bound work, which more
 * threads hardly speed up, so tuning spreads the grid's settings instead (two processes on the two hyper-threads
 * of one core scored 1.69× the windows of one on an Intel Xeon family 6 model 207: README, Test-time methods).
 * The processes use the backend this one selected, with its threads divided between them, and start on the first
 * score, after `local` has gathered or read back dynamic evaluation's statistics (so that pass is taken once, in
 * this process).
 */
export function workerScorer(model: LanguageModel, local: AdaptationScorer, batchSize: number, jobs: number): SettingScorer {
  let workers: Worker[] | null = null;
  const idle: Worker[] = [];
  const start = (setting: TunableAdaptation): Worker[] => {
    const setup = workerSetup(model, setting.method === 'dynamic' ? local.statistics(setting) : null, batchSize, local.bptt, jobs);
    return Array.from({ length: jobs }, (_, k) => {
      const worker = launch(setup, k + 1);
      idle.push(worker);
      return worker;
    });
  };
  return {
    bptt: local.bptt,
    jobs,
    async score(ids, setting, onWindow) {
      workers ??= start(setting);
      const worker = idle.shift();
      if (!worker) throw new Error('workerScorer: more scores at once than its jobs');
      try {
        await worker.ready;
        if (worker.lost) throw worker.lost;
        return await new Promise<PerplexityResult>((resolve, reject) => {
          worker.job = { resolve, reject, onWindow };
          worker.child.send({ kind: 'score', ids, setting } satisfies ToWorker);
        });
      } finally {
        worker.job = null;
        idle.push(worker);
      }
    },
    dispose() {
      // Killed rather than disconnected: a worker in the middle of a pass would only see that at its end.
      for (const worker of workers ?? []) worker.child.kill();
      workers = null;
      idle.length = 0;
    },
  };
}

/** The setup every worker gets: this process's backend (its threads shared out), the model's weights, the statistics. */
function workerSetup(model: LanguageModel, statistics: tf.Tensor[] | null, batchSize: number, bptt: number, jobs: number): WorkerSetup {
  const backend = currentBackend();
  if (!backend) throw new Error('tuning in worker processes needs a backend selected first (selectBackend)');
  const cores = backend.threads ?? os.cpus().length;
  return {
    backend: {
      backend: backend.name, precision: backend.precision, kernel: backend.kernel,
      threads: backend.name === 'tensorflow' ? Math.max(1, Math.floor(cores / jobs)) : null,
    },
    config: model.config,
    weights: model.namedWeights().map(({ name, variable }) => ({ name, shape: variable.shape, values: variable.dataSync() as Float32Array })),
    statistics: statistics?.map((r) => ({ shape: r.shape, values: r.dataSync() as Float32Array })) ?? null,
    batchSize, bptt,
  };
}

function launch(setup: WorkerSetup, number: number): Worker {
  // 'advanced' serialization sends the typed arrays as they are, not as JSON lists of numbers. Whatever a worker
  // prints goes to stderr: stdout is the command's result (`--json`).
  const child = fork(WORKER_SCRIPT, [], { serialization: 'advanced', stdio: ['ignore', 2, 'inherit', 'ipc'] });
  let started: { resolve: () => void; reject: (error: Error) => void } | null = null;
  const worker: Worker = {
    child,
    ready: new Promise<void>((resolve, reject) => (started = { resolve, reject })),
    job: null,
    lost: null,
  };
  const fail = (error: Error): void => {
    worker.lost ??= error;
    started?.reject(worker.lost);
    started = null;
    worker.job?.reject(worker.lost);
  };
  child.on('message', (message: FromWorker) => {
    switch (message.kind) {
      case 'ready':
        started?.resolve();
        started = null;
        return;
      case 'window':
        worker.job?.onWindow?.(message.done, message.total);
        return;
      case 'scored':
        worker.job?.resolve(message.result);
        return;
      case 'failed':
        fail(new Error(`tuning worker ${number}: ${message.message}`));
    }
  });
  child.on('error', (error) => fail(new Error(`tuning worker ${number} could not run: ${error.message}`)));
  child.on('exit', (code, signal) => fail(new Error(`tuning worker ${number} exited (${signal ?? `code ${code}`}) before it finished`)));
  child.send({ kind: 'setup', setup } satisfies ToWorker);
  // A failed start is reported by the score that waits for it; this keeps it from counting as unhandled before then.
  worker.ready.catch(() => undefined);
  return worker;
}
