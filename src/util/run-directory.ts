import * as path from 'path';

/**
 * The layout of a run directory (`train --save DIR`):
 *   model/               the best-valid model so far (a model directory, see src/model/io.ts)
 *   checkpoint/          everything to resume: current weights, optimizer slots, carried hidden state, progress
 *   report.json, report.md, learning-curve.svg   configuration, per-epoch metrics, outcome, picture
 *   run.lock             held by the process training in it (src/util/run-lock.ts)
 */
export const LEARNING_CURVE_FILE = 'learning-curve.svg';

export interface RunPaths {
  model: string;
  checkpoint: string;
  report: { json: string; markdown: string; curve: string };
  lock: string;
}

export function runPaths(runDir: string): RunPaths {
  return {
    model: path.join(runDir, 'model'),
    checkpoint: path.join(runDir, 'checkpoint'),
    report: {
      json: path.join(runDir, 'report.json'),
      markdown: path.join(runDir, 'report.md'),
      curve: path.join(runDir, LEARNING_CURVE_FILE),
    },
    lock: path.join(runDir, 'run.lock'),
  };
}

/** Everything a run writes into its directory (besides its lock): what --force replaces and start-up cleans. */
export function runOutputs(paths: RunPaths): string[] {
  return [paths.model, paths.checkpoint, paths.report.json, paths.report.markdown, paths.report.curve];
}
