import * as fs from 'fs';
import * as path from 'path';
import { ConfigError } from '../errors';
import { PACKAGE_ROOT } from '../package';
import { HYPER_OPTIONS, HyperParameters, combineHyper } from './hyper';
import { OptionSpec, checkValue, unknownKeyMessage } from './options';

/** A preset: a tiny data file of hyper-parameters with where they come from (models/presets/NAME.json). */
export interface Preset {
  name: string;
  description: string;
  source: string;
  hyper: Partial<HyperParameters>;
}

export const PRESETS_DIR = path.join(PACKAGE_ROOT, 'models', 'presets');

export function presetNames(): string[] {
  return fs.readdirSync(PRESETS_DIR).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
}

const PRESET_FIELDS = ['description', 'source', 'hyper'];

/**
 * Checks a preset's JSON: exactly the fields description, source and hyper; every hyper key a known
 * hyper-parameter with a value of its type. A misspelled key is refused, not ignored.
 */
export function parsePreset(name: string, json: unknown): Preset {
  const where = `preset "${name}"`;
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ConfigError(`${where} is not a JSON object`);
  const fields = json as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (!PRESET_FIELDS.includes(key)) throw new ConfigError(`${where}: ${unknownKeyMessage(key, PRESET_FIELDS, 'preset field')}`);
  }
  for (const key of ['description', 'source']) {
    if (typeof fields[key] !== 'string') throw new ConfigError(`${where}: "${key}" must be a string`);
  }
  const hyper = fields.hyper;
  if (typeof hyper !== 'object' || hyper === null || Array.isArray(hyper)) throw new ConfigError(`${where}: "hyper" must be an object`);
  for (const [key, value] of Object.entries(hyper)) {
    const spec = (HYPER_OPTIONS as Record<string, OptionSpec<unknown>>)[key];
    if (!spec) throw new ConfigError(`${where}: ${unknownKeyMessage(key, Object.keys(HYPER_OPTIONS), 'hyper-parameter')}`);
    try {
      checkValue(key, spec.type, value);
    } catch (error) {
      throw new ConfigError(`${where}: ${(error as Error).message}`);
    }
  }
  return { name, description: fields.description as string, source: fields.source as string, hyper: hyper as Partial<HyperParameters> };
}

/** Loads and checks models/presets/NAME.json; unknown names list the known ones. */
export function loadPreset(name: string): Preset {
  const names = presetNames();
  if (!names.includes(name)) throw new ConfigError(`unknown preset "${name}": use one of ${names.join(', ')}`);
  const file = path.join(PRESETS_DIR, `${name}.json`);
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`preset "${name}" (${file}) is not valid JSON: ${(error as Error).message}`);
  }
  return parsePreset(name, json);
}

/** Defaults, then the named preset (if any), then explicit settings: later wins. */
export function resolveHyper(preset: string | null, explicit: Partial<HyperParameters>): HyperParameters {
  return combineHyper(preset ? loadPreset(preset).hyper : {}, explicit);
}
