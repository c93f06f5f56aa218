import { ConfigError, OptionNamer } from '../errors';

/**
 * Option values: how each kind is read from text (a command-line flag) and checked wherever it comes from
 * (a flag, a preset file, an API call). Every option of the library is an `OptionSpec` in one of the tables
 * of src/config/; the CLI derives its flags and help from those tables.
 */
export interface ValueType<T> {
  /** What a valid value is, for messages: "--bptt must be a positive integer, got 0". */
  readonly expected: string;
  /** Help placeholder, e.g. "<n>"; absent for on/off switches. */
  readonly placeholder?: string;
  /** The allowed names, for choice options. */
  readonly choices?: readonly string[];
  /** Text → value; throws an Error saying what was expected ("needs a number, got "fast""). */
  parse(text: string): T;
  accepts(value: unknown): value is T;
}

export interface OptionSpec<T> {
  type: ValueType<T>;
  description: string;
  /** The value used when the option is not given. */
  default: T;
  /** How help shows the default when the value alone would not say it (e.g. "--dropout"). */
  defaultText?: (name: OptionNamer) => string;
  /** A run continued with --resume may change it. */
  resumable?: boolean;
  /** Must be given (no default applies). */
  required?: boolean;
  /** An on/off switch that can also be turned off explicitly (`--no-tied` against a preset's `tied`). */
  negatable?: boolean;
}

/** A table of options, keyed as the API spells them. */
export type OptionTable<T> = { [K in keyof T]-?: OptionSpec<T[K]> };

function parseWhole(text: string): number {
  const n = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(n)) throw new Error(`needs a whole number, got "${text}"`);
  return n;
}

function parseNumber(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n)) throw new Error(`needs a number, got "${text}"`);
  return n;
}

/** Whole numbers from `min` up. */
export function integerType(min: number, expected: string): ValueType<number> {
  return {
    expected, placeholder: '<n>', parse: parseWhole,
    accepts: (v): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= min,
  };
}

function numberType(test: (v: number) => boolean, expected: string): ValueType<number> {
  return {
    expected, placeholder: '<x>', parse: parseNumber,
    accepts: (v): v is number => typeof v === 'number' && Number.isFinite(v) && test(v),
  };
}

export const positiveInteger = integerType(1, 'a positive integer');
export const wholeNumber = integerType(0, 'a whole number ≥ 0');
export const integer = integerType(Number.MIN_SAFE_INTEGER, 'an integer');
export const positiveNumber = numberType((v) => v > 0, 'a positive number');
export const nonNegativeNumber = numberType((v) => v >= 0, 'a number ≥ 0');
export const anyNumber = numberType(() => true, 'a number');
/** A dropout rate. */
export const rate = numberType((v) => v >= 0 && v < 1, 'in [0, 1)');
/** A multiplicative decay. */
export const factor = numberType((v) => v > 0 && v <= 1, 'in (0, 1]');

export const onOff: ValueType<boolean> = {
  expected: 'true or false',
  parse: () => true,
  accepts: (v): v is boolean => typeof v === 'boolean',
};

export const text: ValueType<string> = {
  expected: 'a non-empty string', placeholder: '<text>',
  parse: (t) => t,
  accepts: (v): v is string => typeof v === 'string' && v.length > 0,
};

export function pathType(placeholder: string): ValueType<string> {
  return { ...text, expected: 'a path', placeholder };
}

export function choice<T extends string>(names: readonly T[], placeholder = '<name>'): ValueType<T> {
  return {
    expected: `one of ${names.join(', ')}`, placeholder, choices: names,
    parse: (t) => t as T, // commander checks the choices and lists them
    accepts: (v): v is T => typeof v === 'string' && (names as readonly string[]).includes(v),
  };
}

export function nullable<T>(type: ValueType<T>): ValueType<T | null> {
  return { ...type, accepts: (v): v is T | null => v === null || type.accepts(v) };
}

/** One size for every layer or one per layer: "200" or "650,650". */
export const layerSizes: ValueType<number | number[]> = {
  expected: 'a positive integer or a list of them',
  placeholder: '<n[,n...]>',
  parse(t) {
    const parts = t.split(',').map(parseWhole);
    return parts.length === 1 ? parts[0] : parts;
  },
  accepts: (v): v is number | number[] =>
    Array.isArray(v) ? v.length > 0 && v.every((n) => positiveInteger.accepts(n)) : positiveInteger.accepts(v),
};

const show = (value: unknown): string => (typeof value === 'string' ? `"${value}"` : Array.isArray(value) ? value.join(',') : String(value));

/** Throws a ConfigError naming `key` unless `value` is acceptable for its spec. */
export function checkValue<T>(key: string, type: ValueType<T>, value: unknown): asserts value is T {
  if (!type.accepts(value)) throw new ConfigError((name) => `${name(key)} must be ${type.expected}, got ${show(value)}`);
}

/** Checks every given option of `values` against `table`; unknown keys are refused with the known ones. */
export function checkOptions<T>(table: OptionTable<T>, values: Partial<T>, what = 'option'): void {
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) continue;
    const spec = (table as Record<string, OptionSpec<unknown>>)[key];
    if (!spec) throw new ConfigError(unknownKeyMessage(key, Object.keys(table), what));
    checkValue(key, spec.type, value);
  }
}

/** The entries of `values` that `table` defines (e.g. the corpus options among all of a call's options). */
export function pickOptions<T>(table: OptionTable<T>, values: object): Partial<T> {
  const given = values as Record<string, unknown>;
  return Object.fromEntries(Object.keys(table).filter((key) => given[key] !== undefined).map((key) => [key, given[key]])) as Partial<T>;
}

/** The table's defaults overridden by the given values (undefined counts as not given). */
export function withDefaults<T>(table: OptionTable<T>, values: Partial<T>): T {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(table) as [string, OptionSpec<unknown>][]) {
    const given = (values as Record<string, unknown>)[key];
    out[key] = given === undefined ? spec.default : given;
  }
  return out as T;
}

/** `"dropot" is not a hyper-parameter (did you mean "dropout"?)`, naming the closest known key. */
export function unknownKeyMessage(key: string, known: string[], what: string): string {
  const closest = known
    .map((k) => ({ k, d: editDistance(k.toLowerCase(), key.toLowerCase()) }))
    .sort((a, b) => a.d - b.d)[0];
  const hint = closest && closest.d <= Math.max(2, Math.floor(key.length / 3)) ? ` (did you mean "${closest.k}"?)` : '';
  return `"${key}" is not a known ${what}${hint}; known: ${known.join(', ')}`;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row.push(Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    previous = row;
  }
  return previous[b.length];
}
