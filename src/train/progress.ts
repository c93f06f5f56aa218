import { formatDuration } from './report';
import { BatchProgress } from './trainer';

/** Where progress goes: a terminal gets a live bar, anything else (a log file, CI) plain lines. */
export interface ProgressOutput {
  write(text: string): void;
  isTTY: boolean;
}

const BAR_WIDTH = 20;
/** Non-terminal output gets about this many lines per epoch. */
const LINES_PER_EPOCH = 10;

/**
 * A `train` onBatch hook that shows batch k/n, loss, ppl, words/s and the ETA of the epoch, and of the run when
 * epochs remain after this one: on a terminal as one line redrawn in place (and erased at the end of the epoch),
 * otherwise as a line every ~10% of the epoch. The ETAs are measured from the first batch this process saw in
 * the epoch, so they are right after a resume too. The run's ETA counts each epoch still to come at the time the
 * last whole epoch this process saw took (validation included), or before one has, at this epoch's time per batch.
 */
export function progressPrinter(
  output: ProgressOutput = { write: (text) => process.stderr.write(text), isTTY: Boolean(process.stderr.isTTY) },
  now: () => number = Date.now,
): (progress: BatchProgress) => void {
  let epoch = -1;
  let startedAt = 0;
  let startBatch = 0;
  let wholeEpochSeconds: number | null = null;
  return (p) => {
    if (p.epoch !== epoch) {
      // From the first batch of one epoch to the first of the next: one whole epoch, its validation included.
      if (p.epoch === epoch + 1 && startBatch === 1 && p.batch === 1) wholeEpochSeconds = (now() - startedAt) / 1000;
      epoch = p.epoch;
      startedAt = now();
      startBatch = p.batch;
    }
    const done = p.batch - startBatch;
    let eta = 'ETA —';
    if (done > 0) {
      const secondsPerBatch = (now() - startedAt) / 1000 / done;
      const epochLeft = secondsPerBatch * (p.batches - p.batch);
      const later = p.epochs - p.epoch;
      eta = `ETA ${formatDuration(epochLeft)}`;
      if (later > 0) eta += ` (run ${formatDuration(epochLeft + later * (wholeEpochSeconds ?? secondsPerBatch * p.batches))})`;
    }
    const line = `epoch ${p.epoch} batch ${p.batch}/${p.batches} loss ${p.loss.toFixed(3)} ppl ${Math.exp(p.loss).toFixed(2)} ` +
      `${Math.round(p.wordsPerSecond)} words/s ${eta}`;
    if (output.isTTY) {
      const filled = Math.round((p.batch / p.batches) * BAR_WIDTH);
      output.write(`\r[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${line}\x1b[K`);
      if (p.batch === p.batches) output.write('\r\x1b[K'); // the epoch's table row replaces the bar
    } else if (p.batch === p.batches || p.batch % Math.max(1, Math.round(p.batches / LINES_PER_EPOCH)) === 0) {
      output.write(`${line}\n`);
    }
  };
}
