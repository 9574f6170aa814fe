// Detection parameters (DESIGN.md §1) with their defaults, and their validation.
import { CidrSet } from '../model/ip.js';
import { parseDuration } from '../model/time.js';

export interface CorrelatorConfig {
  /** tA <= tE <= tA + windowMs, inclusive at both ends. */
  windowMs: number;
  /** More distinct successful users than this from one IP in [tA, tA + window]: shared infrastructure, dropped. */
  maxUsersPerIp: number;
  /** Elastic-compatibility cap on raw qualifying events per IP in the window; null = off (the default). */
  maxEventsPerIp: number | null;
  /** User allowlist: corporate egress, VPN, proxies. */
  allow: CidrSet;
}

export const DEFAULT_WINDOW_MS = 8 * 3_600_000;
export const DEFAULT_MAX_USERS_PER_IP = 20;

export function defaultConfig(): CorrelatorConfig {
  return {
    windowMs: DEFAULT_WINDOW_MS,
    maxUsersPerIp: DEFAULT_MAX_USERS_PER_IP,
    maxEventsPerIp: null,
    allow: new CidrSet([]),
  };
}

/** A configuration problem, naming the key (or flag) and what is wrong. */
export class ConfigError extends Error {
  constructor(readonly key: string, problem: string) {
    super(`${key}: ${problem}`);
    this.name = 'ConfigError';
  }
}

export interface CorrelatorSettings {
  window?: string | number;
  maxUsersPerIp?: number | string;
  maxEventsPerIp?: number | string | null;
  allow?: string | string[];
}

function positiveInt(key: string, v: number | string): number {
  const n = typeof v === 'number' ? v : Number(String(v).trim());
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(key, `expected a whole number of at least 1, got ${JSON.stringify(v)}`);
  return n;
}

/** Builds a validated config from loosely typed settings (config file or flags). */
export function buildConfig(s: CorrelatorSettings, keys: Partial<Record<keyof CorrelatorSettings, string>> = {}): CorrelatorConfig {
  const cfg = defaultConfig();
  if (s.window !== undefined) {
    const ms = typeof s.window === 'number' ? s.window : parseDuration(s.window);
    if (ms === null || !Number.isFinite(ms) || ms <= 0) {
      throw new ConfigError(keys.window ?? 'window', `expected a duration such as 8h, 30m or 1h30m, got ${JSON.stringify(s.window)}`);
    }
    cfg.windowMs = ms;
  }
  if (s.maxUsersPerIp !== undefined) cfg.maxUsersPerIp = positiveInt(keys.maxUsersPerIp ?? 'maxUsersPerIp', s.maxUsersPerIp);
  if (s.maxEventsPerIp !== undefined && s.maxEventsPerIp !== null) {
    cfg.maxEventsPerIp = positiveInt(keys.maxEventsPerIp ?? 'maxEventsPerIp', s.maxEventsPerIp);
  }
  if (s.allow !== undefined) {
    const list = (Array.isArray(s.allow) ? s.allow : s.allow.split(',')).map((c) => String(c).trim()).filter((c) => c !== '');
    try {
      cfg.allow = new CidrSet(list);
    } catch (err) {
      throw new ConfigError(keys.allow ?? 'allow', (err as Error).message);
    }
  }
  return cfg;
}
