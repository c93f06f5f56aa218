import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import type { Browser } from 'playwright-core';
import { loadModelFromDirectory } from '../../src/eval/evaluate';
import { generateText } from '../../src/model/generate';
import { LoadedModel } from '../../src/model/io';
import { TINY_MODEL, RunningCli, rnnlm, startRnnlm, tempDir, tinyCorpus, waitFor } from '../cli/run-cli';

/**
 * The exported page in a real headless Chromium (Debian's `chromium`; playwright-core drives the given
 * executable and downloads nothing): it loads the model with @tensorflow/tfjs, computes the same next-token
 * probabilities as Node's rnnlm, and samples the same text for the same seed when a person uses the form.
 */
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const hasChromium = fs.existsSync(CHROMIUM);
if (!hasChromium) console.warn(`browser test skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM=/path/to/chromium)`);
const browserTest = hasChromium ? test : test.skip;

const PRIME = 'the cat sat on';
const SAMPLE = { prime: PRIME, temperature: 0.8, length: 25, seed: 7 };

let browser: Browser;
let server: RunningCli;
let url: string;
let loaded: LoadedModel;

beforeAll(async () => {
  if (!hasChromium) return;
  const run = path.join(tempDir('rnnlm-web-'), 'run');
  expect(rnnlm(['train', '--data', tinyCorpus(), ...TINY_MODEL, '--layers', '2', '--tied', '--epochs', '1', '--max-batches', '20', '--save', run]).status).toBe(0);
  const site = path.join(tempDir('rnnlm-web-'), 'site');
  const exported = rnnlm(['export', '--model', run, '--out', site]);
  expect(exported.status).toBe(0);
  loaded = loadModelFromDirectory(run);
  server = startRnnlm(['serve', site, '--port', '0']);
  url = await waitFor(() => server.stdout().match(/at (http:\/\/127\.0\.0\.1:\d+\/)/)?.[1], 'rnnlm serve to print its URL');
  const { chromium } = await import('playwright-core');
  // launch() gives every run a fresh temporary profile (a fresh user-data-dir).
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
});

afterAll(async () => {
  await browser?.close();
  if (server) {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  loaded?.model.dispose();
});

/** Node's next-token probabilities after the prime, from the saved model. */
function nodeProbabilities(): number[] {
  return tf.tidy(() => {
    const ids = PRIME.split(' ').map((w) => loaded.vocab.id(w));
    const { logits } = loaded.model.forward(tf.tensor2d([ids], [1, ids.length], 'int32'), null, null);
    return Array.from(tf.softmax(logits).slice([ids.length - 1, 0], [1, -1]).dataSync());
  });
}

const maxAbsDiff = (a: number[], b: number[]): number => a.reduce((d, v, k) => Math.max(d, Math.abs(v - b[k])), a.length === b.length ? 0 : Infinity);

describe.each(['cpu', 'wasm', 'default'])('the exported page on the %s backend', (backend) => {
  browserTest('loads the model, computes Node\'s probabilities to 1e-4 and samples Node\'s text from a typed prime', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()); });
    page.on('requestfailed', (request) => errors.push(`request failed: ${request.url()}`));
    await page.goto(`${url}${backend === 'default' ? '' : `?backend=${backend}`}`);
    await page.evaluate(() => (globalThis as unknown as { lmReady: Promise<unknown> }).lmReady);
    await page.waitForSelector('#sample:not([disabled])');
    const used = backend === 'default' ? '\\w+' : backend;
    expect(await page.textContent('#status')).toMatch(new RegExp(`^Model loaded: \\d+ words, tfjs 4\\.22\\.0 on ${used}\\.$`));

    const inPage = await page.evaluate(async (prime) => {
      const lm = (globalThis as unknown as { lm: { nextTokenProbabilities(p: string, oneByOne?: boolean): Promise<number[]> } }).lm;
      return { together: await lm.nextTokenProbabilities(prime), oneByOne: await lm.nextTokenProbabilities(prime, true) };
    }, PRIME);
    const expected = nodeProbabilities();
    expect(maxAbsDiff(inPage.together, expected)).toBeLessThan(1e-4);
    expect(maxAbsDiff(inPage.oneByOne, expected)).toBeLessThan(1e-4);

    // What a person does: type a prime and a temperature, press Generate, read the text.
    await page.fill('#prime', SAMPLE.prime);
    await page.fill('#temperature', String(SAMPLE.temperature));
    await page.fill('#length', String(SAMPLE.length));
    await page.fill('#seed', String(SAMPLE.seed));
    await page.click('#sample');
    await page.waitForSelector('#output[data-done]');
    const text = await page.textContent('#output');
    expect(text).toBe(generateText(loaded.model, loaded.vocab, SAMPLE));
    expect(text!.length).toBeGreaterThan(PRIME.length + 10);
    expect(errors).toEqual([]);
    await page.close();
  });
});
