// Settings shared by the commands: the config file first, flags over it, each
// error naming its key or flag. Produces the correlator's config and the
// decoders' context; loadDetections gives the rules (hunt and serve only:
// normalize runs no detection).
import { loadRuleSet, type RuleSource, RuleLoadError, type RuleDefinition } from '../detect/rules.js';
import type { GeneralRules } from '../detect/general.js';
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
  /** --rules (repeatable): Sigma rule files and folders, `builtin` for the built-ins; they replace the built-ins. */
  rules?: string | string[];
  /** --pipeline: a processing pipeline applied to the rules (crosswatch-microsoft: SigmaHQ's Microsoft field names). */
  pipeline?: string;
}

export interface Settings {
  config: CorrelatorConfig;
  decode: DecodeContext;
  /** The config file's `rules:` and `pipeline:` (flags win). */
  rules?: string[];
  pipeline?: string;
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
  return { config, decode, ...(file.rules ? { rules: file.rules } : {}), ...(file.pipeline !== undefined ? { pipeline: file.pipeline } : {}) };
}

/** The rule paths of --rules (repeatable, each may be comma-separated); none: the built-ins. */
export function rulePaths(rules: string | string[] | undefined): string[] {
  const list = rules === undefined ? [] : Array.isArray(rules) ? rules : [rules];
  return list.flatMap((r) => r.split(',')).map((r) => r.trim()).filter(Boolean);
}

/**
 * The detections: the Sigma rules of --rules (default: the built-ins). A rule
 * with a problem is named on `warn` and left out, the others run; none left is
 * an error. The built-ins' timespan is the window setting, and the settings'
 * window becomes the longest of the loaded rules' (how long state is kept).
 */
export function loadDetections(flags: SettingsFlags, settings: Settings, warn: (line: string) => void): Detections {
  const pipeline = flags.pipeline ?? settings.pipeline;
  const loaded = loadRuleSet({
    paths: flags.rules !== undefined ? rulePaths(flags.rules) : settings.rules ?? [], builtinWindowMs: settings.config.windowMs, ...(pipeline !== undefined ? { pipeline } : {}),
  });
  if (loaded.rules.length === 0 && !loaded.general) throw new RuleLoadError(loaded.problems.length > 0 ? loaded.problems : ['no rules that raise alerts']);
  for (const p of loaded.problems) warn(`rule not loaded: ${p}`);
  // (With general rules alone, the window setting stays: it bounds nothing they keep.)
  if (loaded.rules.length > 0) settings.config.windowMs = loaded.rules.reduce((m, r) => Math.max(m, r.correlation.windowMs), 0);
  return { rules: loaded.rules, general: loaded.general, sources: loaded.sources, ...(pipeline !== undefined ? { pipeline } : {}) };
}

/** The loaded detections: the correlator's rules, and the general Sigma path's. */
export interface Detections {
  rules: RuleDefinition[];
  general: GeneralRules | null;
  /** The rule texts read, and the pipeline applied: serve's ingest workers load the same rules from them. */
  sources: RuleSource[];
  pipeline?: string;
}
