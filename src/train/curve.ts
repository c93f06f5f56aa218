/**
 * The learning-curve picture: train and valid perplexity per epoch on a log-scale y axis, as a standalone SVG
 * (no dependencies, opens in any browser or image viewer, renders on GitHub).
 */

export interface CurvePoint {
  epoch: number;
  trainPpl: number;
  validPpl: number;
}

export interface CurveLabels {
  title: string;
  /** A second, smaller line under the title (model, best and test perplexity). */
  subtitle?: string;
}

const WIDTH = 800;
const HEIGHT = 480;
const PLOT = { left: 78, right: WIDTH - 24, top: 86, bottom: HEIGHT - 58 };
const COLORS = { train: '#1f77b4', valid: '#d95f02', grid: '#dddddd', minorGrid: '#f2f2f2', axis: '#444', text: '#222' };
const ALL_MANTISSAS = [1, 2, 3, 4, 5, 6, 7, 8, 9];
/** More labels than this crowd the axis. */
const MAX_TICKS = 10;

/** Escapes text for SVG content and attribute values. */
function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Rounds away float noise (0.30000000000000004 → 0.3) so labels and coordinates stay short. */
const tidy = (value: number): number => +value.toPrecision(12);
const coordinate = (value: number): string => String(Math.round(value * 10) / 10);

/** A tick label: plain digits up to 9999, then thousands as "k" (perplexities of untrained large-vocabulary models). */
export function formatTick(value: number): string {
  if (value >= 10_000) return `${tidy(value / 1000)}k`;
  return String(tidy(value));
}

/** The multiples of `mantissas` × powers of ten that fall in [lo, hi]. */
function logGridTicks(lo: number, hi: number, mantissas: readonly number[]): number[] {
  const ticks: number[] = [];
  for (let exponent = Math.floor(Math.log10(lo)); exponent <= Math.ceil(Math.log10(hi)); exponent++) {
    for (const m of mantissas) {
      const value = tidy(m * 10 ** exponent);
      if (value >= lo && value <= hi) ticks.push(value);
    }
  }
  return ticks;
}

/** A step of 1, 2 or 5 × 10^k that cuts `span` into at most `count` pieces. */
function niceStep(span: number, count: number): number {
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  return tidy(step);
}

/** Round values spaced evenly over [lo, hi]. */
function linearTicks(lo: number, hi: number): number[] {
  const step = niceStep(hi - lo, 6);
  const ticks: number[] = [];
  for (let k = Math.ceil(lo / step); k * step <= hi * (1 + 1e-12); k++) ticks.push(tidy(k * step));
  return ticks;
}

/**
 * Labelled values for a log axis over [lo, hi]: whole decades, 1-2-5 or 1…9 per decade, or (for a range under
 * a decade, e.g. 1.5–2.2 or 80–120) evenly spaced round values; the candidate with the most labels that still
 * fit wins, the coarser one on a tie.
 */
export function logTicks(lo: number, hi: number): number[] {
  const candidates = [logGridTicks(lo, hi, [1]), logGridTicks(lo, hi, [1, 2, 5])];
  if (hi / lo < 10) candidates.push(linearTicks(lo, hi));
  candidates.push(logGridTicks(lo, hi, ALL_MANTISSAS));
  let best = candidates[0];
  for (const ticks of candidates) if (ticks.length <= MAX_TICKS && ticks.length > best.length) best = ticks;
  return best;
}

/** Epochs to label: every epoch up to 10, else multiples of a round step, always with the first. */
export function epochTicks(first: number, last: number): number[] {
  const step = last - first < MAX_TICKS ? 1 : niceStep(last - first, MAX_TICKS);
  const ticks = [first];
  for (let epoch = Math.ceil((first + 1) / step) * step; epoch <= last; epoch += step) ticks.push(epoch);
  return ticks;
}

/** Log-scale y range with some air above and below; a single value gets a ±50% band. */
function yRange(values: number[]): { lo: number; hi: number } {
  const min = Math.min(...values);
  const max = Math.max(...values);
  if (max / min < 1.05) return { lo: min / 1.5, hi: max * 1.5 };
  const pad = (Math.log(max) - Math.log(min)) * 0.08;
  return { lo: Math.exp(Math.log(min) - pad), hi: Math.exp(Math.log(max) + pad) };
}

/** SVG markup of train and valid perplexity per epoch. Non-finite or non-positive values are left out. */
export function learningCurveSvg(points: readonly CurvePoint[], labels: CurveLabels): string {
  const usable = (value: number): boolean => Number.isFinite(value) && value > 0;
  const train = points.filter((p) => usable(p.trainPpl)).map((p) => ({ epoch: p.epoch, ppl: p.trainPpl }));
  const valid = points.filter((p) => usable(p.validPpl)).map((p) => ({ epoch: p.epoch, ppl: p.validPpl }));
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" ` +
      `font-family="Helvetica, Arial, sans-serif" font-size="13" fill="${COLORS.text}">`,
    `<title>${escapeXml(labels.title)}</title>`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${WIDTH / 2}" y="28" text-anchor="middle" font-size="17" font-weight="bold">${escapeXml(labels.title)}</text>`,
  ];
  if (labels.subtitle) out.push(`<text x="${WIDTH / 2}" y="50" text-anchor="middle" fill="#555">${escapeXml(labels.subtitle)}</text>`);
  const all = [...train, ...valid];
  if (all.length === 0) {
    out.push(`<text x="${WIDTH / 2}" y="${HEIGHT / 2}" text-anchor="middle" fill="#777">no finished epoch yet</text>`, '</svg>');
    return `${out.join('\n')}\n`;
  }

  const epochs = all.map((p) => p.epoch);
  const first = Math.min(...epochs);
  const last = Math.max(...epochs);
  // Half an epoch of margin on both sides, so a single epoch sits in the middle and the last point is not on the frame.
  const x = (epoch: number): number => PLOT.left + ((epoch - first + 0.5) / (last - first + 1)) * (PLOT.right - PLOT.left);
  const { lo, hi } = yRange(all.map((p) => p.ppl));
  const y = (ppl: number): number => PLOT.bottom - ((Math.log(ppl) - Math.log(lo)) / (Math.log(hi) - Math.log(lo))) * (PLOT.bottom - PLOT.top);

  out.push('<g class="y-axis">');
  const labelled = logTicks(lo, hi);
  // Unlabelled lines at 1…9 × 10^k make the log scale visible between the labels.
  for (const minor of logGridTicks(lo, hi, ALL_MANTISSAS).filter((v) => !labelled.includes(v))) {
    const my = coordinate(y(minor));
    out.push(`<line x1="${PLOT.left}" x2="${PLOT.right}" y1="${my}" y2="${my}" stroke="${COLORS.minorGrid}"/>`);
  }
  for (const tick of labelled) {
    const ty = coordinate(y(tick));
    out.push(`<line x1="${PLOT.left}" x2="${PLOT.right}" y1="${ty}" y2="${ty}" stroke="${COLORS.grid}"/>`,
      `<text x="${PLOT.left - 8}" y="${ty}" text-anchor="end" dominant-baseline="middle">${formatTick(tick)}</text>`);
  }
  const middle = (PLOT.top + PLOT.bottom) / 2;
  out.push(`<text x="20" y="${middle}" text-anchor="middle" transform="rotate(-90 20 ${middle})">perplexity (log scale)</text>`, '</g>');

  out.push('<g class="x-axis">');
  for (const tick of epochTicks(first, last)) {
    const tx = coordinate(x(tick));
    out.push(`<line x1="${tx}" x2="${tx}" y1="${PLOT.bottom}" y2="${PLOT.bottom + 5}" stroke="${COLORS.axis}"/>`,
      `<text x="${tx}" y="${PLOT.bottom + 20}" text-anchor="middle">${tick}</text>`);
  }
  out.push(`<text x="${(PLOT.left + PLOT.right) / 2}" y="${HEIGHT - 14}" text-anchor="middle">epoch</text>`, '</g>');
  out.push(`<rect x="${PLOT.left}" y="${PLOT.top}" width="${PLOT.right - PLOT.left}" height="${PLOT.bottom - PLOT.top}" ` +
    `fill="none" stroke="${COLORS.axis}"/>`);

  const polyline = (series: { epoch: number; ppl: number }[], color: string, name: string): string =>
    `<polyline class="${name}" fill="none" stroke="${color}" stroke-width="2" stroke-linejoin="round" ` +
    `points="${series.map((p) => `${coordinate(x(p.epoch))},${coordinate(y(p.ppl))}`).join(' ')}"/>`;
  const dots = (series: { epoch: number; ppl: number }[], color: string, radius: number): string[] =>
    series.map((p) => `<circle cx="${coordinate(x(p.epoch))}" cy="${coordinate(y(p.ppl))}" r="${radius}" fill="${color}">` +
      `<title>epoch ${p.epoch}: ${p.ppl.toFixed(2)}</title></circle>`);
  out.push(polyline(train, COLORS.train, 'train'), polyline(valid, COLORS.valid, 'valid'));
  // Valid points always get markers (they are what model selection looks at); train points only when
  // there is no line to see, i.e. a single epoch.
  out.push(...(train.length === 1 ? dots(train, COLORS.train, 3) : []), ...dots(valid, COLORS.valid, 3.5));

  // Above the frame, right-aligned: curves can never run under it.
  const legendY = PLOT.top - 14;
  const legendX = PLOT.right - 210;
  out.push('<g class="legend">',
    `<line x1="${legendX}" x2="${legendX + 28}" y1="${legendY}" y2="${legendY}" stroke="${COLORS.train}" stroke-width="2"/>`,
    `<text x="${legendX + 34}" y="${legendY}" dominant-baseline="middle">train ppl</text>`,
    `<line x1="${legendX + 110}" x2="${legendX + 138}" y1="${legendY}" y2="${legendY}" stroke="${COLORS.valid}" stroke-width="2"/>`,
    `<circle cx="${legendX + 124}" cy="${legendY}" r="3.5" fill="${COLORS.valid}"/>`,
    `<text x="${legendX + 144}" y="${legendY}" dominant-baseline="middle">valid ppl</text>`,
    '</g>', '</svg>');
  return `${out.join('\n')}\n`;
}
