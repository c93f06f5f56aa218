import { formatDuration } from '../train/report';
import type { ProgressOutput } from '../train/progress';
import { PassProgress } from './perplexity';

/** A pass shorter than this shows no progress at all. */
const QUIET_MS = 3_000;
/** Non-terminal output (a log file) gets a line about this often during a long pass. */
const LINE_EVERY_MS = 60_000;
/** A terminal's line is redrawn at most this often. */
const REDRAW_EVERY_MS = 500;

/**
 * Progress of long evaluation passes (dynamic evaluation of a 2×650 model at batch 1 takes ~18 minutes over
 * Penn Treebank's valid split, and `--tune` makes 8 such passes; a training run's test pass at batch 1 takes
 * minutes): `<command>: <pass>: window k/n, ETA …` after the first few seconds, on a terminal as one line
 * redrawn in place (erased when the pass ends), otherwise a line a minute and one at the end. The rate is
 * measured from the first window reported.
 */
export function passProgressPrinter(
  output: ProgressOutput = { write: (text) => process.stderr.write(text), isTTY: Boolean(process.stderr.isTTY) },
  now: () => number = Date.now,
  command = 'evaluate',
): PassProgress {
  return (pass) => {
    let first: { at: number; done: number } | null = null;
    let shownAt: number | null = null;
    return (done, total) => {
      const at = now();
      first ??= { at, done };
      const elapsed = at - first.at;
      if (elapsed < QUIET_MS) return;
      const perWindow = elapsed / Math.max(1, done - first.done);
      const ended = done === total;
      const line = ended
        ? `${command}: ${pass}: ${total} windows in ${formatDuration(elapsed / 1000)}`
        : `${command}: ${pass}: window ${done}/${total}, ETA ${formatDuration((perWindow * (total - done)) / 1000)}`;
      if (output.isTTY) {
        if (ended) {
          if (shownAt !== null) output.write('\r\x1b[K');
        } else if (shownAt === null || at - shownAt >= REDRAW_EVERY_MS) {
          output.write(`\r${line}\x1b[K`);
          shownAt = at;
        }
      } else if (ended || shownAt === null || at - shownAt >= LINE_EVERY_MS) {
        output.write(`${line}\n`);
        shownAt = at;
      }
    };
  };
}
