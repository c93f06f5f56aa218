import * as fs from 'fs';
import * as os from 'os';

/** The text of /proc/cpuinfo, or null where there is none (not Linux) or it cannot be read. */
export function readCpuinfo(file = '/proc/cpuinfo'): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** The first processor's value of a /proc/cpuinfo field ("model name", "cpu family", "flags"), or null. */
export function cpuinfoField(text: string, name: string): string | null {
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon >= 0 && line.slice(0, colon).trim() === name) return line.slice(colon + 1).trim();
  }
  return null;
}

/**
 * The CPU this process runs on, as reports and benchmarks name it beside their figures: "Intel(R) Xeon(R)
 * Processor (family 6 model 207), 2 vCPUs". The brand string alone does not tell a virtual machine's CPU
 * generations apart (a cloud machine kind's CPU can change from one boot to the next), so the family and
 * model numbers follow it where /proc/cpuinfo lists them.
 */
export function cpuDescription(cpuinfo = '/proc/cpuinfo'): string {
  const text = readCpuinfo(cpuinfo);
  const field = (name: string): string | null => (text === null ? null : cpuinfoField(text, name));
  const brand = field('model name') || os.cpus()[0]?.model.trim() || 'unknown CPU';
  const family = field('cpu family');
  const model = field('model');
  const count = os.cpus().length;
  return `${brand}${family !== null && model !== null ? ` (family ${family} model ${model})` : ''}, ${count} vCPU${count === 1 ? '' : 's'}`;
}
