// The YAML config file (`--config FILE`): detection settings, validated key by
// key so a mistake names the key and the file. Command-line flags override it.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError, type CorrelatorSettings } from '../detect/config.js';

const KEYS: Record<string, keyof CorrelatorSettings> = {
  window: 'window',
  maxUsersPerIp: 'maxUsersPerIp',
  'max-users-per-ip': 'maxUsersPerIp',
  max_users_per_ip: 'maxUsersPerIp',
  maxEventsPerIp: 'maxEventsPerIp',
  'max-events-per-ip': 'maxEventsPerIp',
  max_events_per_ip: 'maxEventsPerIp',
  allow: 'allow',
  allowlist: 'allow',
};

/** Decoding settings from the file: the device zone and a generic alert-feed mapping. */
export interface DecodeSettings {
  deviceTimezone?: string;
  /** A --map spec string, or a mapping object {ip, time, name, …}. */
  map?: string | Record<string, string>;
}

const DECODE_KEYS: Record<string, keyof DecodeSettings> = {
  deviceTimezone: 'deviceTimezone',
  'device-timezone': 'deviceTimezone',
  device_timezone: 'deviceTimezone',
  map: 'map',
};

export interface FileSettings {
  settings: CorrelatorSettings;
  decode: DecodeSettings;
  /** `rules:` (a path or a list; relative to the config file's folder, `builtin` as is) and `pipeline:`. */
  rules?: string[];
  pipeline?: string;
  /** Which file key each setting came from, for error messages. */
  keys: Partial<Record<keyof CorrelatorSettings, string>>;
}

export function readConfigFile(path: string): FileSettings {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(path, `cannot read the config file: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError(path, `not valid YAML: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) return { settings: {}, decode: {}, keys: {} };
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError(path, 'expected a mapping of settings');
  // Settings may sit at the top level or under `detection:`.
  const root = doc as Record<string, unknown>;
  const section = typeof root.detection === 'object' && root.detection !== null ? (root.detection as Record<string, unknown>) : root;
  const prefix = section === root ? '' : 'detection.';
  const settings: CorrelatorSettings = {};
  const decode: DecodeSettings = {};
  const keys: FileSettings['keys'] = {};
  let rules: string[] | undefined;
  let pipeline: string | undefined;
  for (const [k, v] of Object.entries(section)) {
    if (k === 'rules') {
      const list = typeof v === 'string' ? [v] : v;
      if (!Array.isArray(list) || list.length === 0 || !list.every((x) => typeof x === 'string' && x.trim() !== '')) {
        throw new ConfigError(`${path}: ${prefix}${k}`, 'expected a rule file or folder, or a list of them ("builtin" names the built-in rules)');
      }
      rules = (list as string[]).map((x) => (x === 'builtin' || isAbsolute(x) ? x : resolve(dirname(path), x)));
      continue;
    }
    if (k === 'pipeline') {
      if (typeof v !== 'string') throw new ConfigError(`${path}: ${prefix}${k}`, 'expected a pipeline name such as crosswatch-microsoft');
      pipeline = v;
      continue;
    }
    const decodeKey = DECODE_KEYS[k];
    if (decodeKey === 'deviceTimezone') {
      if (typeof v !== 'string') throw new ConfigError(`${path}: ${prefix}${k}`, 'expected a zone such as +09:30 or America/Chicago');
      decode.deviceTimezone = v;
      continue;
    }
    if (decodeKey === 'map') {
      const okObject = typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
      if (typeof v !== 'string' && !okObject) {
        throw new ConfigError(`${path}: ${prefix}${k}`, 'expected a mapping such as {ip: src.address, time: detected_at, name: threat.name}');
      }
      decode.map = v as string | Record<string, string>;
      continue;
    }
    const target = KEYS[k];
    if (!target) {
      if (section === root && k === 'detection') continue;
      // Keys of other sections (serve, sinks) are not the detection's business.
      if (section === root && typeof v === 'object' && v !== null && !Array.isArray(v)) continue;
      throw new ConfigError(`${path}: ${prefix}${k}`, `unknown setting (known: window, maxUsersPerIp, maxEventsPerIp, allow, deviceTimezone, map, rules, pipeline)`);
    }
    const where = `${path}: ${prefix}${k}`;
    if (target === 'allow') {
      if (typeof v !== 'string' && !(Array.isArray(v) && v.every((x) => typeof x === 'string'))) {
        throw new ConfigError(where, 'expected a CIDR list (a list of strings, or one comma-separated string)');
      }
    } else if (v !== null && typeof v !== 'string' && typeof v !== 'number') {
      throw new ConfigError(where, `expected a ${target === 'window' ? 'duration such as 8h' : 'whole number'}`);
    }
    (settings as Record<string, unknown>)[target] = v;
    keys[target] = where;
  }
  return { settings, decode, keys, ...(rules ? { rules } : {}), ...(pipeline !== undefined ? { pipeline } : {}) };
}
