import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { DEFAULT_HYPER, howToGetNative } from '../../src';
import { PACKAGE_ROOT } from '../../src/package';
import { CLI, rnnlm } from './run-cli';

test.each(['train', 'evaluate', 'generate', 'score', 'export', 'serve', 'report', 'info'])('rnnlm %s --help shows one example that uses only its own flags', (command) => {
  const help = rnnlm([command, '--help']);
  expect(help.status).toBe(0);
  const example = help.stdout.match(/\nExample:\n {2}(rnnlm .*)\n+$/)?.[1];
  expect(example?.startsWith(`rnnlm ${command}`)).toBe(true);
  for (const flag of example?.match(/--[a-z-]+/g) ?? []) expect(help.stdout).toContain(`  ${flag} `);
});

test('--help shows the defaults: every train hyper-parameter (from the library defaults), evaluate --split, --bptt and the dynamic rates, generate --length', () => {
  const help = rnnlm(['train', '--help']).stdout.replace(/\s+/g, ' ');
  const flags: [string, keyof typeof DEFAULT_HYPER][] = [['--cell', 'cell'], ['--layers', 'layers'], ['--hidden', 'hidden'],
    ['--embedding', 'embedding'], ['--dropout', 'dropout'], ['--batch-size', 'batchSize'], ['--bptt', 'bptt'],
    ['--epochs', 'epochs'], ['--optimizer', 'optimizer'], ['--lr', 'lr'], ['--schedule', 'schedule'], ['--clip', 'clip'],
    ['--seed', 'seed'], ['--init-scale', 'initScale']];
  for (const [flag, key] of flags) expect(help).toMatch(new RegExp(` ${flag} <[^>]+> (?:(?! --).)*?\\(default ${DEFAULT_HYPER[key]}\\)`));
  const evaluate = rnnlm(['evaluate', '--help']).stdout.replace(/\s+/g, ' ');
  expect(evaluate).toContain('which split (default test)');
  // Defaults that depend on other flags say how (src/eval/windows.ts).
  expect(evaluate).toContain('(default 35; 5 with --dynamic, as Krause et al. step)');
  expect(evaluate).toContain('(default 0.0005 × --bptt/35, 0.0000714 at 5 tokens)');
  expect(evaluate).toContain('(default 0.0125 × --bptt/35, 0.00179 at 5 tokens)');
  expect(rnnlm(['generate', '--help']).stdout.replace(/\s+/g, ' ')).toContain('tokens to sample (default 50)');
});

test('the native-backend hint names the provisioning script as it can be typed from here', () => {
  const script = path.join('scripts', 'provision-native.js');
  expect(fs.existsSync(path.join(PACKAGE_ROOT, script))).toBe(true);
  expect(howToGetNative(PACKAGE_ROOT)).toContain(`\`node ${script}\``); // a clone of the repository
  expect(howToGetNative('/home/me/app', '/home/me/app/node_modules/tfjs-rnnlm'))
    .toContain('`node node_modules/tfjs-rnnlm/scripts/provision-native.js`'); // a project that depends on it
  expect(howToGetNative('/home/me/app/src/deep/er', '/usr/lib/node_modules/tfjs-rnnlm'))
    .toContain('`node /usr/lib/node_modules/tfjs-rnnlm/scripts/provision-native.js`'); // a global install, far away
});

test('help into a reader that has gone (`rnnlm train --help | head -1`) ends with the status SIGPIPE gives (141), not a stack trace', async () => {
  const child = spawn(process.execPath, [CLI, 'train', '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy(); // before the CLI has started, so its first write finds the pipe closed
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect({ code, stderr }).toEqual({ code: 141, stderr: '' });
});
