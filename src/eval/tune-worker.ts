/**
 * A tuning worker (`workerScorer`, tune-workers.ts): a child process that rebuilds the parent's model and scores
 * the settings it is sent, one at a time, with the same code as the parent's own scorer (`adaptationScorer`),
 * handed the parent's gradient statistics instead of a training split. It exits when the parent disconnects or
 * dies, and after a failure, which it reports first.
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../backend';
import { assignWeights } from '../model/io';
import { LanguageModel } from '../model/lm';
import { AdaptationScorer, adaptationScorer } from './tune';
import { FromWorker, PROGRESS_EVERY_MS, ToWorker, WorkerSetup } from './tune-workers';

const reply = (message: FromWorker): void => {
  process.send?.(message);
};

async function prepare(setup: WorkerSetup): Promise<AdaptationScorer> {
  await selectBackend(setup.backend);
  const model = new LanguageModel(setup.config);
  assignWeights(model, Object.fromEntries(setup.weights.map(({ name, shape, values }) => [name, tf.tensor(values, shape)])), 'the tuning parent');
  const statistics = setup.statistics;
  const noTrainingSplit = (): Int32Array => {
    throw new Error('a tuning worker is given the gradient statistics and never reads the training split');
  };
  return adaptationScorer(model, setup.batchSize, setup.bptt, noTrainingSplit, undefined, statistics && {
    statistics: () => statistics.map(({ shape, values }) => tf.tensor(values, shape)),
    saveStatistics: () => undefined, // they are the parent's, already kept where it keeps them
  });
}

/** The parent that started this worker: when it is gone, the worker's ppid is another process's. */
const PARENT = process.ppid;

/**
 * The window progress of one pass, passed on at most every PROGRESS_EVERY_MS and at its last window. Each window
 * also checks that the parent is alive: a pass runs without returning to the event loop, so the parent's exit
 * (even a SIGKILL, which closes the channel without a word) would otherwise leave it running to the pass's end.
 */
function progress(): (done: number, total: number) => void {
  let sentAt = 0;
  return (done, total) => {
    if (process.ppid !== PARENT) process.exit(1);
    const now = Date.now();
    if (done < total && now - sentAt < PROGRESS_EVERY_MS) return;
    sentAt = now;
    reply({ kind: 'window', done, total });
  };
}

let scorer: Promise<AdaptationScorer> | null = null;

process.on('message', (message: ToWorker) => {
  const fail = (error: unknown): void => {
    reply({ kind: 'failed', message: (error as Error).message ?? String(error) });
    process.disconnect();
  };
  if (message.kind === 'setup') {
    scorer = prepare(message.setup);
    scorer.then(() => reply({ kind: 'ready' }), fail);
    return;
  }
  if (!scorer) return fail(new Error('asked to score before its setup'));
  scorer.then((ready) => reply({ kind: 'scored', result: ready.score(message.ids, message.setting, progress()) })).catch(fail);
});
// Cut off from the parent (it finished, failed or was killed): nothing is left to score for.
process.on('disconnect', () => process.exit(0));
