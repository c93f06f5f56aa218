import * as fs from 'fs';
import * as path from 'path';
import { ModelConfig, TrainConfig, trainSettingsInEffect } from '../config';
import { ReportError, TrainCommandOptions } from '../errors';
import { RuntimeVersions } from '../package';
import { writeFileAtomically, writeUserFile } from '../util/atomic-files';
import { lockHolder } from '../util/run-lock';
import { LEARNING_CURVE_FILE, runPaths } from '../util/run-directory';
import { learningCurveSvg } from './curve';
import { CPU_NOT_RECORDED, EpochMetrics } from './trainer';

/** What a run writes next to its model: the configuration, per-epoch metrics and the outcome. */
export interface RunReport {
  /** A run killed outright (SIGKILL, power loss) leaves `running`; `readReport` says `stopped` once its lock is free. */
  status: 'running' | 'finished' | 'stopped' | 'diverged';
  /** The command that started the run. */
  command: string;
  /** The commands that continued it (`--resume`), oldest first; absent in reports of older versions. */
  resumes?: string[];
  /** The settings the run was started with, as `trainLanguageModel` takes them: advice to start it again uses them. */
  start?: TrainCommandOptions;
  preset: string | null;
  corpus: { dir: string; level: string; vocabSize: number; tokens: { train: number; valid: number; test: number } };
  modelConfig: ModelConfig;
  trainConfig: TrainConfig;
  parameters: number;
  backend: string;
  /** The time-loop implementation of each layer (e.g. "fused LSTM", "explicit"); absent in older reports. */
  kernels?: string[];
  /** How the output layer and its softmax ran ("oneDNN (bf16)", "tfjs ops"); absent in older reports. */
  outputKernel?: string;
  versions: RuntimeVersions;
  epochs: EpochMetrics[];
  bestValidPpl: number | null;
  bestEpoch: number | null;
  testPpl: number | null;
  wallSeconds: number;
}

const fixed = (value: number | null, digits: number): string => (value === null || !Number.isFinite(value) ? '—' : value.toFixed(digits));

/** The per-epoch table, as printed by `train` and `report` and written into report.md. */
export function epochTable(epochs: EpochMetrics[]): string {
  const lines = ['| epoch | lr | train ppl | valid ppl | words/s | elapsed | backend |', '|---:|---:|---:|---:|---:|---:|---|'];
  for (const m of epochs) {
    const valid = `${fixed(m.validPpl, 2)}${m.averaged ? ' (averaged)' : ''}`; // NT-ASGD's averaged weights
    lines.push(`| ${m.epoch} | ${+m.lr.toPrecision(4)} | ${fixed(m.trainPpl, 2)} | ${valid} | ` +
      `${Math.round(m.wordsPerSecond)} | ${formatDuration(m.elapsedSeconds)} | ${m.backend} |`);
  }
  return lines.join('\n');
}

export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(s % 60).padStart(2, '0')}s`;
}

/** "2x200 lstm tied" (layers of different sizes: "650/200 gru"). */
export function describeLayers(config: ModelConfig): string {
  const sizes = config.hiddenSizes;
  const shape = sizes.every((size) => size === sizes[0]) ? `${sizes.length}x${sizes[0]}` : sizes.join('/');
  return `${shape} ${config.cell}${config.tied ? ' tied' : ''}`;
}

/** "2x200 lstm tied, 4,651,000 parameters". */
export function describeModel(config: ModelConfig, parameters: number): string {
  return `${describeLayers(config)}, ${parameters.toLocaleString('en-US')} parameters`;
}

/** Consecutive items with the same key, grouped in order. */
function consecutiveRuns<T>(items: T[], key: (item: T) => string): { key: string; items: T[] }[] {
  const runs: { key: string; items: T[] }[] = [];
  for (const item of items) {
    const last = runs[runs.length - 1];
    if (last?.key === key(item)) last.items.push(item);
    else runs.push({ key: key(item), items: [item] });
  }
  return runs;
}

/**
 * Which CPU trained which epochs, oldest first: "Intel(R) Xeon(R) Processor (family 6 model 207), 2 vCPUs
 * (epochs 1–25); AMD EPYC … (epochs 26–40)". A run continued with --resume may change machines.
 */
export function cpusByEpoch(epochs: EpochMetrics[]): string {
  return consecutiveRuns(epochs, (m) => m.cpu ?? CPU_NOT_RECORDED).map(({ key, items }) => {
    const first = items[0].epoch;
    const last = items[items.length - 1].epoch;
    return `${key} (${first === last ? `epoch ${first}` : `epochs ${first}–${last}`})`;
  }).join('; ');
}

/**
 * For a run still running or stopped before its last epoch: how far it is and, at the time its last epoch took
 * (validation included; the elapsed times leave out the gaps between a stop and its resume), how long is left.
 */
function timeToGo({ status, epochs, trainConfig }: RunReport): string {
  const last = epochs.at(-1);
  if ((status !== 'running' && status !== 'stopped') || !last || !(trainConfig.epochs > last.epoch)) return '';
  const done = last.epoch;
  const lastEpoch = last.elapsedSeconds - (epochs.at(-2)?.elapsedSeconds ?? 0);
  return ` (epoch ${done} of ${trainConfig.epochs} done; about ${formatDuration(lastEpoch * (trainConfig.epochs - done))} ` +
    `of training to go at the ${formatDuration(lastEpoch)} its last epoch took)`;
}

/** The facts of a run as "- key: value" lines (report.md and `rnnlm report`). */
export function reportSummary(report: RunReport): string {
  return [
    `- status: ${report.status}${timeToGo(report)}`,
    `- command: \`${report.command}\``,
    // A long run resumed session after session repeats one command: each stretch of them is listed once.
    ...consecutiveRuns(report.resumes ?? [], (resume) => resume).map(({ key, items }) =>
      `- resumed with: \`${key}\`${items.length > 1 ? ` (${items.length} times in a row)` : ''}`),
    `- preset: ${report.preset ?? 'none'}`,
    `- corpus: ${report.corpus.dir} (${report.corpus.level} level, vocabulary ${report.corpus.vocabSize}, ` +
      `train/valid/test tokens ${report.corpus.tokens.train}/${report.corpus.tokens.valid}/${report.corpus.tokens.test})`,
    `- model: ${describeModel(report.modelConfig, report.parameters)}`,
    `- backend: ${report.backend}${report.kernels ? `; recurrent kernels: ${report.kernels.join(', ')}` : ''}${report.outputKernel ? `; output layer: ${report.outputKernel}` : ''}; tfjs-rnnlm ${report.versions.tfjsRnnlm}, tfjs ${report.versions.tfjs}` +
      `${report.versions.tensorflow ? `, TensorFlow ${report.versions.tensorflow}` : ''}, node ${report.versions.node}`,
    ...(report.epochs.length > 0 ? [`- CPU: ${cpusByEpoch(report.epochs)}`] : []),
    `- best valid ppl: ${fixed(report.bestValidPpl, 2)} (epoch ${report.bestEpoch ?? '—'}); test ppl: ${fixed(report.testPpl, 2)}`,
    `- wall time: ${formatDuration(report.wallSeconds)}`,
  ].join('\n');
}

export function reportMarkdown(report: RunReport): string {
  return [
    '# Training report',
    '',
    reportSummary(report),
    '',
    epochTable(report.epochs),
    '',
    `![learning curve](${LEARNING_CURVE_FILE})`,
    '',
    '## Configuration',
    '',
    '```json',
    JSON.stringify({ model: report.modelConfig, train: trainSettingsInEffect(report.trainConfig) }, null, 2),
    '```',
    '',
  ].join('\n');
}

/** The learning-curve SVG of a run: titled with its preset and corpus, subtitled with the model and the outcome. */
export function reportCurveSvg(report: RunReport): string {
  const outcome = [`best valid ${fixed(report.bestValidPpl, 2)}${report.bestEpoch ? ` (epoch ${report.bestEpoch})` : ''}`];
  if (report.testPpl !== null) outcome.push(`test ${fixed(report.testPpl, 2)}`);
  if (report.status !== 'finished') outcome.push(report.status);
  return learningCurveSvg(report.epochs, {
    title: `${report.preset ?? 'rnnlm train'} on ${path.basename(report.corpus.dir)}`,
    subtitle: `${describeModel(report.modelConfig, report.parameters)} · ${outcome.join(' · ')}`,
  });
}

/** Writes report.json, report.md and learning-curve.svg into a run directory, each atomically. */
export function writeReport(dir: string, report: RunReport): void {
  const files = runPaths(dir).report;
  writeFileAtomically(files.json, JSON.stringify(report, null, 2));
  writeFileAtomically(files.markdown, reportMarkdown(report));
  writeFileAtomically(files.curve, reportCurveSvg(report));
}

/** The first thing that makes `json` unusable as a RunReport, or null. */
function reportProblem(json: unknown): string | null {
  if (typeof json !== 'object' || json === null) return 'it is not a JSON object';
  const r = json as Record<string, unknown>;
  if (!Array.isArray(r.epochs)) return 'it has no "epochs" list';
  const numberOrNull = (v: unknown): boolean => v === null || typeof v === 'number';
  const badEpoch = r.epochs.findIndex((e: unknown) => typeof e !== 'object' || e === null ||
    typeof (e as EpochMetrics).epoch !== 'number' || !numberOrNull((e as EpochMetrics).trainPpl) || !numberOrNull((e as EpochMetrics).validPpl));
  if (badEpoch >= 0) return `epoch entry ${badEpoch + 1} lacks epoch/trainPpl/validPpl numbers`;
  const corpus = r.corpus as RunReport['corpus'] | undefined;
  if (typeof corpus?.dir !== 'string' || typeof corpus.tokens !== 'object') return 'it has no "corpus" description';
  const model = r.modelConfig as ModelConfig | undefined;
  if (!Array.isArray(model?.hiddenSizes) || typeof r.parameters !== 'number') return 'it has no "modelConfig"/"parameters"';
  if (typeof r.versions !== 'object' || r.versions === null) return 'it has no "versions"';
  return null;
}

/** Reads DIR/report.json of a run; a missing, unreadable or malformed file is a one-line ReportError. */
export function readReport(dir: string): RunReport {
  const file = runPaths(dir).report.json;
  if (!fs.existsSync(dir)) throw new ReportError((option) => `${dir} does not exist: give the run directory that train ${option('save')} wrote`);
  if (!fs.existsSync(file)) {
    throw new ReportError((option) =>
      `${dir} has no report.json: give a run directory written by train ${option('save')} (it appears after the first epoch)`);
  }
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ReportError(`${file} cannot be read as JSON (${(error as Error).message.split('\n')[0]}): the run directory is damaged`);
  }
  const problem = reportProblem(json);
  if (problem) throw new ReportError(`${file} is not a tfjs-rnnlm training report: ${problem}`);
  const report = json as RunReport;
  // No live process holds the run: it was killed before it could say so.
  return report.status === 'running' && lockHolder(dir) === null ? { ...report, status: 'stopped' } : report;
}

/**
 * Writes the learning curve of `report` to `file` (a regular file atomically; a symlink's target, a device or a
 * pipe in place); an unwritable place is a one-line ReportError.
 */
export function writeLearningCurve(file: string, report: RunReport): void {
  try {
    writeUserFile(file, reportCurveSvg(report));
  } catch (error) {
    throw new ReportError((option) =>
      `cannot write ${file} (${(error as Error).message.split('\n')[0]}): pass ${option('out')} FILE to write the picture elsewhere`);
  }
}
