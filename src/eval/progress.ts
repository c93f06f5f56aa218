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
 * redrawn in place (erased when the last pass under way ends), otherwise a line a minute and one at the end. The
 * rate is measured from the first window reported. Passes that run at once (`--tune-jobs`) share the terminal's
 * line: it names how many there are and the one that will end last.
 */
export function passProgressPrinter(
  output: ProgressOutput = { write: (text) => process.stderr.write(text), isTTY: Boolean(process.stderr.isTTY) },
  now: () => number = Date.now,
  command = 'evaluate',
): PassProgress {
  /** The terminal line's passes under way (past their quiet start), by when each will end. */
  const shown = new Map<symbol, { line: string; etaMs: number; done: number; total: number }>();
  let drawnAt: number | null = null;
  const redraw = (at: number): void => {
    if (drawnAt !== null && at - drawnAt < REDRAW_EVERY_MS) return;
    const passes = [...shown.values()];
    const last = passes.reduce((a, b) => (b.etaMs > a.etaMs ? b : a));
    const line = passes.length === 1 ? last.line
      : `${command}: ${passes.length} passes at once; the last to end at window ${last.done}/${last.total}, ETA ${formatDuration(last.etaMs / 1000)}`;
    output.write(`\r${line}\x1b[K`);
    drawnAt = at;
  };
  return (pass) => {
    const id = Symbol(pass);
    let first: { at: number; done: number } | null = null;
    let shownAt: number | null = null;
    return (done, total) => {
      const at = now();
      first ??= { at, done };
      const elapsed = at - first.at;
      if (elapsed < QUIET_MS) return;
      const perWindow = elapsed / Math.max(1, done - first.done);
      const ended = done === total;
      const etaMs = perWindow * (total - done);
      const line = ended
        ? `${command}: ${pass}: ${total} windows in ${formatDuration(elapsed / 1000)}`
        : `${command}: ${pass}: window ${done}/${total}, ETA ${formatDuration(etaMs / 1000)}`;
      if (output.isTTY) {
        if (!ended) {
          shown.set(id, { line, etaMs, done, total });
          redraw(at);
        } else if (shown.delete(id) && shown.size === 0) {
          output.write('\r\x1b[K');
          drawnAt = null;
        }
      } else if (ended || shownAt === null || at - shownAt >= LINE_EVERY_MS) {
        output.write(`${line}\n`);
        shownAt = at;
      }
    };
  };
}
