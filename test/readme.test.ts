import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** The README's library example, run as a user would run it (against the compiled package). */
test('the README library script trains, evaluates, saves, loads and generates', () => {
  const readme = fs.readFileSync(path.resolve(__dirname, '../README.md'), 'utf8');
  const script = readme.split('## Library')[1].split('```js\n')[1].split('```')[0];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlm-readme-'));
  const entry = path.resolve(__dirname, '../dist/src/index.js');
  fs.writeFileSync(path.join(dir, 'example.js'), script.replace("require('tfjs-rnnlm')", `require(${JSON.stringify(entry)})`));
  const result = spawnSync(process.execPath, ['example.js'], { cwd: dir, encoding: 'utf8' });
  expect(result.stderr).not.toMatch(/Error/);
  expect(result.status).toBe(0);
  const lines = result.stdout.trim().split('\n');
  expect(lines[0]).toMatch(/^epoch 1: valid ppl \d+\.\d$/);
  expect(lines[1]).toMatch(/^test ppl \d+\.\d$/);
  expect(lines.slice(2).join(' ').split(/\s+/).length).toBeGreaterThanOrEqual(10);
  expect(fs.existsSync(path.join(dir, 'my-model', 'weights.bin'))).toBe(true);
});
