import * as fs from 'fs';
import * as path from 'path';

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
