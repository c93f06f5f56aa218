/**
 * The user errors of tfjs-rnnlm: mistakes in options, data or files that a person can fix. Each is one line
 * that says what is wrong and what to do next, so a front end prints it without a stack trace.
 *
 * A message that names an option is built by a function of an `OptionNamer`: the library shows the option as
 * the API spells it (`batchSize`), the CLI as the flag the user typed (`--batch-size`). Anything that is not
 * a UserError is a bug.
 */
export type OptionNamer = (option: string) => string;

/** How the library's own messages name an option: its key in the options object. */
export const API_NAMES: OptionNamer = (option) => option;

export type ErrorText = string | ((name: OptionNamer) => string);

export class UserError extends Error {
  /** The process exit code a CLI should use. */
  readonly exitCode: number = 1;

  constructor(private readonly text: ErrorText) {
    super(typeof text === 'string' ? text : text(API_NAMES));
    this.name = new.target.name;
  }

  /** The message with each option named by `name` (e.g. as a command-line flag). */
  describe(name: OptionNamer): string {
    return typeof this.text === 'string' ? this.text : this.text(name);
  }
}

/** An option or setting out of range, or a combination that cannot work. */
export class ConfigError extends UserError {}

/** A corpus that cannot be used as given. */
export class DataError extends UserError {}

/** A missing, corrupted or mismatched model or checkpoint directory. */
export class ModelFileError extends UserError {}

/** A run directory without a readable report, or a picture that cannot be written. */
export class ReportError extends UserError {}

/** A NaN/Inf loss or gradient: training stops before the bad update touches the weights. */
export class DivergenceError extends UserError {
  override readonly exitCode = 3;
}
