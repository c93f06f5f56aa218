import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';

/** The directory of tfjs-rnnlm's package.json: code runs from src/ (ts-jest) and from dist/src/ (compiled). */
function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && packageJson(manifest)?.name === 'tfjs-rnnlm') return dir;
    if (path.dirname(dir) === dir) throw new Error(`cannot find the tfjs-rnnlm package.json above ${start}`);
  }
}

function packageJson(manifest: string): { name?: string; version?: string } | undefined {
  try {
    return JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
  } catch {
    return undefined; // an unreadable package.json belongs to some other package
  }
}

export const PACKAGE_ROOT = findPackageRoot(__dirname);
export const PACKAGE_VERSION = packageJson(path.join(PACKAGE_ROOT, 'package.json'))?.version ?? 'unknown';

/** What a report or `rnnlm info` records about the software that ran. */
export interface RuntimeVersions {
  tfjsRnnlm: string;
  tfjs: string;
  /** TensorFlow's C library, when the native backend is loaded. */
  tensorflow: string | null;
  node: string;
}

export function runtimeVersions(tensorflow: string | null): RuntimeVersions {
  return { tfjsRnnlm: PACKAGE_VERSION, tfjs: tf.version.tfjs, tensorflow, node: process.version };
}
