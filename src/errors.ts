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

/**
 * How a message shows a training command to run next (e.g. the resume after a full disk): the library as the
 * `trainLanguageModel` call, the CLI as a shell-quoted `rnnlm train` line that can be pasted back.
 */
export type TrainCommandNamer = (options: TrainCommandOptions) => string;

/** The options of a training call as `trainLanguageModel` takes them (hyper-parameters under `hyper`). */
export type TrainCommandOptions = Record<string, unknown> & { hyper?: Record<string, unknown> };

export const API_TRAIN_COMMAND: TrainCommandNamer = (options) => `trainLanguageModel(${JSON.stringify(options)})`;

export type ErrorText = string | ((name: OptionNamer, command: TrainCommandNamer) => string);

export class UserError extends Error {
  /** The process exit code a CLI should use. */
  readonly exitCode: number = 1;

  constructor(private readonly text: ErrorText) {
    super(typeof text === 'string' ? text : text(API_NAMES, API_TRAIN_COMMAND));
    this.name = new.target.name;
  }

  /** The message with each option named by `name` (e.g. as a command-line flag) and commands shown by `command`. */
  describe(name: OptionNamer, command: TrainCommandNamer = API_TRAIN_COMMAND): string {
    return typeof this.text === 'string' ? this.text : this.text(name, command);
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

/** A run directory that another process is writing (its lock is held). */
export class RunLockedError extends UserError {}

/**
 * The disk (or the user's quota) filled up during a save. Whatever was being replaced is still whole; the
 * message says how many bytes the save needed.
 */
export class DiskFullError extends UserError {
  constructor(text: ErrorText, readonly bytesNeeded: number) {
    super(text);
  }
}

/** A NaN/Inf loss or gradient: training stops before the bad update touches the weights. */
export class DivergenceError extends UserError {
  override readonly exitCode = 3;
}
