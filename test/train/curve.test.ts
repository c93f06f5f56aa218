import { CurvePoint, epochTicks, formatTick, learningCurveSvg, logTicks } from '../../src/train/curve';
import { SvgElement, parseSvg, polylinePoints } from './svg';

const curve = (count: number, train: (epoch: number) => number, valid: (epoch: number) => number): CurvePoint[] =>
  Array.from({ length: count }, (_, k) => ({ epoch: k + 1, trainPpl: train(k + 1), validPpl: valid(k + 1) }));

/** The labelled y ticks as value → y coordinate, read back from the picture. */
function yTicks(elements: SvgElement[]): Map<number, number> {
  const labels = elements.filter((e) => e.name === 'text' && e.attributes['text-anchor'] === 'end');
  return new Map(labels.map((e) => [Number(e.text.replace(/k$/, '000')), Number(e.attributes.y)]));
}
const xTickLabels = (elements: SvgElement[]): string[] =>
  elements.filter((e) => e.name === 'text' && e.attributes['text-anchor'] === 'middle' && /^\d+$/.test(e.text)).map((e) => e.text);
const series = (elements: SvgElement[], name: 'train' | 'valid'): [number, number][] =>
  polylinePoints(elements.find((e) => e.name === 'polyline' && e.attributes.class === name) as SvgElement);

test('one epoch: a well-formed picture with both points marked, the epoch labelled and a title, subtitle and legend', () => {
  const svg = learningCurveSvg(curve(1, () => 412.3, () => 250.1), { title: 'zaremba-small on ptb', subtitle: '2x200 lstm · running' });
  const elements = parseSvg(svg);
  expect(svg).not.toMatch(/NaN|Infinity|undefined/);
  expect(elements.filter((e) => e.name === 'polyline')).toHaveLength(2);
  expect(series(elements, 'train')).toHaveLength(1);
  expect(series(elements, 'valid')).toHaveLength(1);
  expect(elements.filter((e) => e.name === 'circle' && e.text.startsWith('epoch 1:')).map((e) => e.text)).toEqual(['epoch 1: 412.30', 'epoch 1: 250.10']);
  expect(xTickLabels(elements)).toEqual(['1']);
  expect(yTicks(elements).size).toBeGreaterThanOrEqual(3);
  const texts = elements.filter((e) => e.name === 'text').map((e) => e.text);
  expect(texts).toEqual(expect.arrayContaining(['zaremba-small on ptb', '2x200 lstm · running', 'train ppl', 'valid ppl', 'epoch', 'perplexity (log scale)']));
  // The single epoch sits in the middle of the plot.
  const [x] = series(elements, 'valid')[0];
  expect(Math.abs(x - (78 + 776) / 2)).toBeLessThan(1);
});

test('40 epochs: one point per epoch, increasing x, round epoch labels', () => {
  const elements = parseSvg(learningCurveSvg(curve(40, (e) => 40 + 900 / e, (e) => 80 + 600 / e), { title: '40 epochs' }));
  const train = series(elements, 'train');
  expect(train).toHaveLength(40);
  expect(series(elements, 'valid')).toHaveLength(40);
  for (let k = 1; k < 40; k++) expect(train[k][0]).toBeGreaterThan(train[k - 1][0]);
  expect(xTickLabels(elements)).toEqual(['1', '5', '10', '15', '20', '25', '30', '35', '40']);
  expect(elements.filter((e) => e.name === 'circle')).toHaveLength(40 + 1); // valid markers, plus the legend's
});

test('perplexity from ~1.5 to ~1000 on a log axis: 1-2-5 labels, equal ratios at equal distances, lines inside the frame', () => {
  const elements = parseSvg(learningCurveSvg(curve(13, (e) => 1.5 + 1000 / e ** 3, (e) => 1.8 + 800 / e ** 3), { title: 'wide' }));
  const ticks = yTicks(elements);
  expect([...ticks.keys()]).toEqual([2, 5, 10, 20, 50, 100, 200, 500, 1000]);
  const y = (value: number): number => ticks.get(value) as number;
  expect(y(1000)).toBeLessThan(y(2)); // larger perplexity higher up
  expect(Math.abs((y(10) - y(100)) - (y(100) - y(1000)))).toBeLessThan(0.2);
  expect(Math.abs((y(2) - y(20)) - (y(5) - y(50)))).toBeLessThan(0.2);
  const frame = elements.find((e) => e.name === 'rect' && e.attributes.fill === 'none') as SvgElement;
  const top = Number(frame.attributes.y);
  const bottom = top + Number(frame.attributes.height);
  for (const [, py] of [...series(elements, 'train'), ...series(elements, 'valid')]) {
    expect(py).toBeGreaterThan(top);
    expect(py).toBeLessThan(bottom);
  }
  // Unlabelled minor lines at 3, 4, 6 … × 10^k show the scale between the labels.
  expect(elements.filter((e) => e.name === 'line' && e.attributes.stroke === '#f2f2f2').length).toBeGreaterThan(10);
});

test('log ticks: decades, 1-2-5 or evenly spaced round values, whatever the range', () => {
  expect(logTicks(1.4, 1100)).toEqual([2, 5, 10, 20, 50, 100, 200, 500, 1000]);
  expect(logTicks(1.2, 2.3)).toEqual([1.2, 1.4, 1.6, 1.8, 2, 2.2]);
  expect(logTicks(75, 125)).toEqual([80, 90, 100, 110, 120]);
  expect(logTicks(3, 30_000)).toEqual([10, 100, 1000, 10_000]);
  expect(formatTick(20_000)).toBe('20k');
  expect(formatTick(0.30000000000000004)).toBe('0.3');
  expect(epochTicks(1, 1)).toEqual([1]);
  expect(epochTicks(1, 6)).toEqual([1, 2, 3, 4, 5, 6]);
  expect(epochTicks(1, 13)).toEqual([1, 2, 4, 6, 8, 10, 12]);
});

test('text is escaped; unusable values are left out; no epoch yet is said in words', () => {
  const svg = learningCurveSvg([{ epoch: 1, trainPpl: 50, validPpl: Infinity }, { epoch: 2, trainPpl: NaN, validPpl: 40 }],
    { title: 'rnnlm train --prime "<a & b>"' });
  const elements = parseSvg(svg);
  expect(svg).toContain('rnnlm train --prime &quot;&lt;a &amp; b&gt;&quot;');
  expect(series(elements, 'train')).toHaveLength(1);
  expect(series(elements, 'valid')).toHaveLength(1);
  expect(parseSvg(learningCurveSvg([], { title: 'empty' })).map((e) => e.text)).toContain('no finished epoch yet');
});

test('the structural check used above rejects malformed markup', () => {
  expect(() => parseSvg('<svg><g></svg>')).toThrow(/closes <g>/);
  expect(() => parseSvg('<svg><text>a & b</text></svg>')).toThrow(/unescaped &/);
  expect(() => parseSvg('<svg><line x1=3/></svg>')).toThrow(/cannot parse/);
  expect(() => parseSvg('<svg></svg><svg></svg>')).toThrow(/one <svg> root/);
});
