import { Command, InvalidArgumentError, Option } from 'commander';
import { quote } from 'shell-quote';
import { HYPER_OPTIONS, OptionNamer, OptionSpec, OptionTable, TrainCommandNamer, withDefaults } from '../src';

/** The flag of an option key: `batchSize` → `--batch-size`. */
export const flagName: OptionNamer = (key) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** A command line as one shell-quoted string that can be pasted back (paths with spaces, quotes, non-ASCII). */
export const shellLine = (words: string[]): string => quote(words);

/** An `rnnlm train` command line for a training call's options (hyper-parameters flattened into flags). */
export const cliTrainCommand: TrainCommandNamer = ({ hyper, ...options }) => {
  const words = ['rnnlm', 'train'];
  for (const [key, value] of Object.entries({ ...options, ...hyper })) {
    const negatable = (HYPER_OPTIONS as Record<string, OptionSpec<unknown>>)[key]?.negatable;
    if (value === undefined || value === null || (value === false && !negatable)) continue;
    if (value === true) words.push(flagName(key));
    else if (value === false) words.push(`--no-${flagName(key).slice(2)}`);
    else words.push(flagName(key), Array.isArray(value) ? value.join(',') : String(value));
  }
  return shellLine(words);
};

/** Help text of an option: its description and its default, e.g. "steps per window (default 35)". */
function helpText(spec: OptionSpec<unknown>): string {
  const shown = spec.required ? null : spec.defaultText ? spec.defaultText(flagName) : spec.default === false ? null : String(spec.default);
  return `${spec.description}${shown === null ? '' : ` (default ${shown})`}${spec.resumable ? '; may change on --resume' : ''}`;
}

/**
 * The commander options of a table of the library's options: flag, placeholder, parser, choices and help all
 * come from the OptionSpec. No commander default is set, so an option the user did not give stays
 * undefined and the library's default (or a preset) applies.
 */
function optionsOf<T>(table: OptionTable<T>): Option[] {
  const options: Option[] = [];
  for (const [key, spec] of Object.entries(table) as [string, OptionSpec<unknown>][]) {
    const flag = flagName(key);
    const { type } = spec;
    const option = new Option(type.placeholder ? `${flag} ${type.placeholder}` : flag, helpText(spec));
    if (type.placeholder) {
      if (type.choices) option.choices(type.choices);
      else {
        option.argParser((text: string) => {
          try {
            return type.parse(text);
          } catch (error) {
            throw new InvalidArgumentError(`${flag} ${(error as Error).message}`);
          }
        });
      }
    }
    if (spec.required) option.makeOptionMandatory();
    options.push(option);
    if (spec.negatable) options.push(new Option(`--no-${flag.slice(2)}`, `turn ${flag} off (e.g. against a preset)`));
  }
  return options;
}

/** Adds the flags of the library's option tables to a command (see `optionsOf`). */
export function addOptions(command: Command, ...tables: OptionTable<object>[]): Command {
  for (const table of tables) for (const option of optionsOf(table)) command.addOption(option);
  return command;
}

/** The values of a table's options that the user gave on the command line. */
export function givenOptions<T>(table: OptionTable<T>, parsed: Record<string, unknown>): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(table)) if (parsed[key] !== undefined) out[key] = parsed[key];
  return out as Partial<T>;
}

/** Every option of a table: what the user gave, else the library's default. */
export function optionValues<T>(table: OptionTable<T>, parsed: Record<string, unknown>): T {
  return withDefaults(table, givenOptions(table, parsed));
}
