#!/usr/bin/env node
/**
 * Builds the browser bundle that `rnnlm export` copies next to the page (part of `npm run build`):
 * dist/web/rnnlm-web.js from src/web/entry.ts (cells, layers, sampler; no Node-only code: esbuild stops on
 * any `fs`/`path` import), and the demo page dist/web/index.html. `@tensorflow/tfjs` is not bundled: the
 * page loads tf.min.js first and the bundle uses its global `tf`, so both share one tfjs (and one registry
 * of layer classes).
 */
const fs = require('fs');
const path = require('path');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');
const out = path.join(root, 'dist', 'web');

const tfjsFromPage = {
  name: 'tfjs-from-page',
  setup(build) {
    build.onResolve({ filter: /^@tensorflow\/tfjs$/ }, () => ({ path: 'tf', namespace: 'tfjs-from-page' }));
    build.onLoad({ filter: /.*/, namespace: 'tfjs-from-page' }, () => ({
      contents: 'if (!globalThis.tf) throw new Error("load tf.min.js before rnnlm-web.js"); module.exports = globalThis.tf;',
      loader: 'js',
    }));
  },
};

esbuild.build({
  entryPoints: [path.join(root, 'src', 'web', 'entry.ts')],
  outfile: path.join(out, 'rnnlm-web.js'),
  bundle: true, platform: 'browser', format: 'iife', globalName: 'rnnlm', target: 'es2020', minify: true,
  legalComments: 'none', logLevel: 'warning', plugins: [tfjsFromPage],
}).then(() => {
  fs.copyFileSync(path.join(root, 'src', 'web', 'index.html'), path.join(out, 'index.html'));
}).catch(() => process.exit(1)); // esbuild has printed the errors
