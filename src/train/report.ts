import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { writeFileAtomically } from '../model/io';
import { PACKAGE_VERSION } from '../package';
import { EpochMetrics } from './trainer';

/** What a run writes next to its model: the configuration, per-epoch metrics and the outcome. */
export interface RunReport {
  status: 'running' | 'finished' | 'stopped';
  command: string;
  preset: string | null;
  corpus: { dir: string; level: string; vocabSize: number; tokens: { train: number; valid: number; test: number } };
  modelConfig: unknown;
  trainConfig: unknown;
  parameters: number;
  backend: string;
  versions: { tfjsRnnlm: string; tfjs: string; tensorflow: string | null; node: string };
  epochs: EpochMetrics[];
  bestValidPpl: number | null;
  bestEpoch: number | null;
  testPpl: number | null;
  wallSeconds: number;
}

export function versions(tensorflow: string | null): RunReport['versions'] {
  return { tfjsRnnlm: PACKAGE_VERSION, tfjs: tf.version.tfjs, tensorflow, node: process.version };
}

const fixed = (value: number | null, digits: number): string => (value === null ? '—' : value.toFixed(digits));

/** The per-epoch table, as printed by `train` and `report` and written into report.md. */
export function epochTable(epochs: EpochMetrics[]): string {
  const lines = ['| epoch | lr | train ppl | valid ppl | words/s | elapsed | backend |', '|---:|---:|---:|---:|---:|---:|---|'];
  for (const m of epochs) {
    lines.push(`| ${m.epoch} | ${+m.lr.toPrecision(4)} | ${fixed(m.trainPpl, 2)} | ${fixed(m.validPpl, 2)} | ` +
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

export function reportMarkdown(report: RunReport): string {
  return [
    `# Training report (${report.status})`,
    '',
    `- command: \`${report.command}\``,
    `- preset: ${report.preset ?? 'none'}`,
    `- corpus: ${report.corpus.dir} (${report.corpus.level} level, vocabulary ${report.corpus.vocabSize}, ` +
      `train/valid/test tokens ${report.corpus.tokens.train}/${report.corpus.tokens.valid}/${report.corpus.tokens.test})`,
    `- parameters: ${report.parameters.toLocaleString('en-US')}`,
    `- backend: ${report.backend}; tfjs-rnnlm ${report.versions.tfjsRnnlm}, tfjs ${report.versions.tfjs}` +
      `${report.versions.tensorflow ? `, TensorFlow ${report.versions.tensorflow}` : ''}, node ${report.versions.node}`,
    `- best valid ppl: ${fixed(report.bestValidPpl, 2)} (epoch ${report.bestEpoch ?? '—'}); test ppl: ${fixed(report.testPpl, 2)}`,
    `- wall time: ${formatDuration(report.wallSeconds)}`,
    '',
    epochTable(report.epochs),
    '',
    '## Configuration',
    '',
    '```json',
    JSON.stringify({ model: report.modelConfig, train: report.trainConfig }, null, 2),
    '```',
    '',
  ].join('\n');
}

export function writeReport(dir: string, report: RunReport): void {
  writeFileAtomically(path.join(dir, 'report.json'), JSON.stringify(report, null, 2));
  writeFileAtomically(path.join(dir, 'report.md'), reportMarkdown(report));
}
