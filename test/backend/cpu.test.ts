import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cpuDescription, cpuinfoField } from '../../src/backend/cpu';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlm-cpu-test-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

const vcpus = `${os.cpus().length} vCPU${os.cpus().length === 1 ? '' : 's'}`;
const CPUINFO = 'processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 207\nmodel name\t: Intel(R) Xeon(R) Processor\n' +
  'flags\t\t: fpu avx512_bf16\n\nprocessor\t: 1\ncpu family\t: 6\nmodel\t\t: 143\nmodel name\t: Another\n';

test('names the CPU by its brand, family and model from /proc/cpuinfo, and the vCPU count', () => {
  const file = path.join(scratch, 'cpuinfo');
  fs.writeFileSync(file, CPUINFO);
  expect(cpuDescription(file)).toBe(`Intel(R) Xeon(R) Processor (family 6 model 207), ${vcpus}`);
});

test('"model" is not read from "model name", and the first processor is the one described', () => {
  expect(cpuinfoField(CPUINFO, 'model')).toBe('207');
  expect(cpuinfoField(CPUINFO, 'model name')).toBe('Intel(R) Xeon(R) Processor');
  expect(cpuinfoField(CPUINFO, 'microcode')).toBeNull();
});

test('a field name is matched as text, not as a pattern', () => {
  const arm = 'CPU implementer\t: 0x41\nCPU part\t: 0xd0c\nBogoMIPS\t: 50.00\n';
  expect(cpuinfoField(arm, 'CPU part')).toBe('0xd0c');
  expect(cpuinfoField(arm, 'CPU.part')).toBeNull();
  expect(cpuinfoField(arm, 'BogoMIPS\\s*')).toBeNull();
});

test('without /proc/cpuinfo it falls back to the brand string Node reports, with no family and model', () => {
  const brand = os.cpus()[0]?.model.trim() || 'unknown CPU';
  expect(cpuDescription(path.join(scratch, 'missing'))).toBe(`${brand}, ${vcpus}`);
});
