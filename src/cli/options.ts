// Settings shared by the commands: the config file first, flags over it, each
// error naming its key or flag. Produces the correlator's config and the
// decoders' context; loadDetections gives the rules (hunt and serve only:
// normalize runs no detection).
import { loadRules, RULES_DIR, type RuleDefinition } from '../detect/rules.js';
import { buildConfig, ConfigError, type CorrelatorConfig, type CorrelatorSettings } from '../detect/config.js';
import { parseMapSpec } from '../decoders/generic-json.js';
import type { DecodeContext, GenericMapping } from '../decoders/types.js';
import { checkZone } from '../model/time.js';
import { readConfigFile, type FileSettings } from './config-file.js';

export interface SettingsFlags {
  config?: string;
  window?: string;
  maxUsersPerIp?: string;
  maxEventsPerIp?: string;
  allow?: string;
  deviceTimezone?: string;
  map?: string;
  /** --rules: comma-separated folders of more rule files. */
  rules?: string;
}

export interface Settings {
  config: CorrelatorConfig;
  decode: DecodeContext;
}

function mapping(v: string | Record<string, string>, key: string): GenericMapping {
  try {
    if (typeof v === 'string') return parseMapSpec(v);
    return parseMapSpec(Object.entries(v).map(([k, x]) => `${k}=${x}`).join(','));
  } catch (err) {
    throw new ConfigError(key, (err as Error).message);
  }
}

export function loadSettings(flags: SettingsFlags, now: number = Date.now()): Settings {
  const file: FileSettings = flags.config ? readConfigFile(flags.config) : { settings: {}, decode: {}, keys: {} };
  const s: CorrelatorSettings = { ...file.settings };
  const keys = { ...file.keys };
  if (flags.window !== undefined) { s.window = flags.window; keys.window = '--window'; }
  if (flags.maxUsersPerIp !== undefined) { s.maxUsersPerIp = flags.maxUsersPerIp; keys.maxUsersPerIp = '--max-users-per-ip'; }
  if (flags.maxEventsPerIp !== undefined) { s.maxEventsPerIp = flags.maxEventsPerIp; keys.maxEventsPerIp = '--max-events-per-ip'; }
  if (flags.allow !== undefined) {
    // Flags add to the file's allowlist rather than replace it.
    const fromFile = s.allow === undefined ? [] : Array.isArray(s.allow) ? s.allow : s.allow.split(',');
    s.allow = [...fromFile, ...flags.allow.split(',')];
    keys.allow = '--allow';
  }
  const config = buildConfig(s, keys);

  const decode: DecodeContext = { defaultOffsetMinutes: 0, reference: { ms: now, ns: 0 } };
  const zone = flags.deviceTimezone ?? file.decode.deviceTimezone;
  if (zone !== undefined) {
    const problem = checkZone(zone);
    if (problem) throw new ConfigError(flags.deviceTimezone !== undefined ? '--device-timezone' : `${flags.config}: deviceTimezone`, problem);
    decode.zone = zone;
  }
  if (flags.map !== undefined) decode.genericMap = mapping(flags.map, '--map');
  else if (file.decode.map !== undefined) decode.genericMap = mapping(file.decode.map, `${flags.config}: map`);
  return { config, decode };
}

/** The detections: the built-in rules and those of the --rules folders. */
export function loadDetections(flags: SettingsFlags): RuleDefinition[] {
  return loadRules(RULES_DIR, (flags.rules ?? '').split(',').map((d) => d.trim()).filter(Boolean));
}
