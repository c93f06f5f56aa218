import * as fs from 'fs';
import * as path from 'path';

/**
 * Writes `files` (name → contents) as directory `target`, atomically: everything goes into `target.tmp-*`
 * (each file fsynced), the old directory is renamed aside, the new one renamed into place, the old removed.
 * If the process dies between the two renames, `resolveDirectory` finds the set-aside copy.
 */
export function writeDirectoryAtomically(target: string, files: Record<string, string | Buffer>): void {
  const parent = path.dirname(target);
  fs.mkdirSync(parent, { recursive: true });
  const stamp = `${process.pid}-${Date.now()}`;
  const temporary = `${target}.tmp-${stamp}`;
  fs.mkdirSync(temporary);
  for (const [name, contents] of Object.entries(files)) {
    const fd = fs.openSync(path.join(temporary, name), 'w');
    fs.writeSync(fd, typeof contents === 'string' ? Buffer.from(contents) : contents);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
  }
  const aside = `${target}.old-${stamp}`;
  if (fs.existsSync(target)) fs.renameSync(target, aside);
  fs.renameSync(temporary, target);
  fs.rmSync(aside, { recursive: true, force: true });
  for (const entry of fs.readdirSync(parent)) {
    // Leftovers of writes that were killed half-way.
    if (entry.startsWith(`${path.basename(target)}.tmp-`)) fs.rmSync(path.join(parent, entry), { recursive: true, force: true });
  }
}

/** Writes one file through a temporary sibling and a rename: readers see the old or the new file, never half. */
export function writeFileAtomically(file: string, contents: string | Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.tmp-${process.pid}`;
  const fd = fs.openSync(temporary, 'w');
  fs.writeSync(fd, typeof contents === 'string' ? Buffer.from(contents) : contents);
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  fs.renameSync(temporary, file);
}

/** `dir`, or the copy set aside by a write that died between its two renames. */
export function resolveDirectory(dir: string): string | null {
  if (fs.existsSync(dir)) return dir;
  const parent = path.dirname(dir);
  if (!fs.existsSync(parent)) return null;
  const aside = fs.readdirSync(parent).filter((e) => e.startsWith(`${path.basename(dir)}.old-`)).sort();
  return aside.length > 0 ? path.join(parent, aside[aside.length - 1]) : null;
}
