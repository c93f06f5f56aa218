/**
 * Tokens and lines: what a text is made of, for the corpus reader, the sampler and the browser bundle alike
 * (no Node-only imports here).
 */

/** Word level: whitespace-separated words. Character level: every character (code point) of a line. */
export type TokenLevel = 'word' | 'char';

/** Ends every line (PTB / PyTorch word_language_model convention). */
export const EOS = '<eos>';
/** Stands for every word outside the vocabulary, when the vocabulary has it. */
export const UNK = '<unk>';

const BOM = '\uFEFF';
const WHITESPACE_RUN = /\s+/;

/**
 * Lines of a text: split on LF with an optional CR before it, a leading BOM dropped, and a final newline ending
 * the last line rather than starting an empty one (as Python's `for line in file` does).
 */
export function splitLines(text: string): string[] {
  const body = text.startsWith(BOM) ? text.slice(BOM.length) : text;
  if (body.length === 0) return [];
  const lines = body.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
}

/** The tokens of one line, without its `<eos>`. */
export function lineTokens(line: string, level: TokenLevel): string[] {
  return level === 'word' ? line.split(WHITESPACE_RUN).filter((word) => word.length > 0) : [...line];
}

/**
 * Tokens of a text, each line followed by `<eos>`. Word level: the line's whitespace-separated words. Char level:
 * each character (code point) of the line, spaces included as the token " ". As in PyTorch's word_language_model
 * (`line.split() + ['<eos>']`), an empty line still yields its `<eos>`, so blank lines mark paragraph breaks.
 */
export function tokenize(text: string, level: TokenLevel): string[] {
  return splitLines(text).flatMap((line) => [...lineTokens(line, level), EOS]);
}

/** The tokens of a prime: a text to continue, so its last line does not end with `<eos>`. */
export function primeTokens(prime: string, level: TokenLevel): string[] {
  return tokenize(prime, level).slice(0, -1);
}

/**
 * Joins tokens back into text as they come: `<eos>` becomes a line break, words are separated by a space
 * (characters by nothing). `add` returns the piece that the token appends, for streaming.
 */
export class TextJoiner {
  text = '';

  constructor(private readonly level: TokenLevel) {}

  add(token: string): string {
    const atLineStart = this.text === '' || this.text.endsWith('\n');
    const piece = token === EOS ? '\n' : `${atLineStart || this.level === 'char' ? '' : ' '}${token}`;
    this.text += piece;
    return piece;
  }
}
