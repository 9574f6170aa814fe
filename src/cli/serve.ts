// `crosswatch serve`: the detection running continuously. Settings come from the
// YAML config (`serve:` section, detection keys at the top level) with flags
// over it; any error names its key and exits 1 before anything starts.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import { parse as parseYaml } from 'yaml';
import { ConfigError, type CorrelatorConfig } from '../detect/config.js';
import { parseDuration } from '../model/time.js';
import { DEFAULT_ALLOWED_LATENESS_MS, DEFAULT_FUTURE_SKEW_MS, DEFAULT_RETENTION_MS, StreamPipeline } from '../stream/stream.js';
import { generalSpec, ServedGeneral } from '../stream/general-stream.js';
import { buildApp } from '../http/app.js';
import { apiToken, MIN_TOKEN_CHARS, SCOPES, type ApiToken, type Scope } from '../http/access.js';
import { DEFAULT_SESSION_IDLE_MS, DEFAULT_SESSION_MAX_MS, SessionStore } from '../http/sessions.js';
import { IngestPool } from '../http/ingest-pool.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { FolderTailer } from '../inputs/tail.js';
import { DEFAULT_SYSLOG_ALLOW, SyslogServer } from '../inputs/syslog-server.js';
import { CidrSet } from '../model/ip.js';
import { NdjsonFileSink, OutboxDispatcher, StdoutSink, WebhookSink, type Sink } from '../outputs/outbox.js';
import { loadDetections, loadSettings, type Detections, type SettingsFlags } from './options.js';
import type { Io } from './io.js';
import { terminalSafe } from './terminal.js';

export interface ServeFlags extends SettingsFlags {
  dataDir?: string;
  host?: string;
  port?: string;
  token?: string;
  tokenFile?: string;
  allowedLateness?: string;
  retention?: string;
  futureSkew?: string;
  bodyLimit?: string;
  tail?: string;
  tailMatch?: string;
  syslogUdp?: string;
  syslogTcp?: string;
  /** --syslog-allow: comma-separated sender networks. */
  syslogAllow?: string;
  /** --syslog-tls PORT with the server's PEM certificate chain and key and the CA bundle client certificates must chain to. */
  syslogTls?: string;
  syslogTlsCert?: string;
  syslogTlsKey?: string;
  syslogTlsCa?: string;
  webhook?: string;
  webhookSecret?: string;
  alertsFile?: string;
  alertsStdout?: boolean;
  /** --ingest-threads, or serve.ingestThreads in the config file. */
  ingestThreads?: string;
  /** --synchronous, or serve.synchronous in the config file. */
  synchronous?: string;
  /** --session-idle / --session-max: browser session lifetimes (durations). */
  sessionIdle?: string;
  sessionMax?: string;
  /** --tls-cert / --tls-key: serve HTTPS (PEM files). */
  tlsCert?: string;
  tlsKey?: string;
}

export interface ServeSettings {
  dataDir: string;
  host: string;
  port: number;
  /** The token given by --token, --token-file, CROSSWATCH_TOKEN or serve.token (every scope), if any. */
  token?: string;
  /** Every API token: that one (named `default`) and the named, scoped ones of serve.tokens. */
  tokens: ApiToken[];
  /** Browser sessions end after this long idle, and this long after sign-in. */
  sessionIdleMs: number;
  sessionMaxMs: number;
  /** HTTPS: PEM certificate chain and key (read at start). */
  tls?: { cert: Buffer; key: Buffer };
  allowedLatenessMs: number;
  retentionMs: number;
  /** How far ahead of this service's clock a record may be dated and still count as now; later ones wait in quarantine. */
  futureSkewMs: number;
  bodyLimit: number;
  /** Worker threads decoding HTTP bodies; 0 decodes them on the main thread. */
  ingestThreads: number;
  /** SQLite synchronous: full (survives power loss) or normal (survives a killed process). */
  synchronous: 'full' | 'normal';
  tail?: { dir: string; pattern?: RegExp };
  syslogUdp?: number;
  syslogTcp?: number;
  /** The networks syslog senders may send from (default loopback only). */
  syslogAllow: CidrSet;
  /** Syslog over TLS: the port, the server's certificate chain and key, and the CA client certificates must chain to (PEM, read at start). */
  syslogTls?: { port: number; cert: Buffer; key: Buffer; ca: Buffer };
  sinks: SinkSetting[];
}

export type SinkSetting =
  | { type: 'webhook'; url: string; secret?: string }
  | { type: 'file'; path: string }
  | { type: 'stdout' };

function sinkSettings(v: unknown, where: string): SinkSetting[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new ConfigError(where, 'expected a list of sinks ({type: webhook, url, secret} | {type: file, path} | {type: stdout})');
  return v.map((x, i) => {
    const k = `${where}[${i}]`;
    if (typeof x !== 'object' || x === null) throw new ConfigError(k, 'expected a mapping');
    const o = x as Record<string, unknown>;
    if (o.type === 'webhook') {
      if (typeof o.url !== 'string' || !/^https?:\/\//.test(o.url)) throw new ConfigError(`${k}.url`, 'expected an http(s) URL');
      if (o.secret !== undefined && typeof o.secret !== 'string') throw new ConfigError(`${k}.secret`, 'expected text');
      return { type: 'webhook', url: o.url, ...(typeof o.secret === 'string' ? { secret: o.secret } : {}) };
    }
    if (o.type === 'file') {
      if (typeof o.path !== 'string') throw new ConfigError(`${k}.path`, 'expected a file path');
      return { type: 'file', path: o.path };
    }
    if (o.type === 'stdout') return { type: 'stdout' };
    throw new ConfigError(`${k}.type`, 'expected webhook, file or stdout');
  });
}

/** Shortest API token serve starts with (`crosswatch token new` makes 43 characters: 32 random bytes). */
export { MIN_TOKEN_CHARS };

/**
 * serve.tokens: named API tokens with scopes (access.ts), so that a sensor's token
 * can send records but not read alerts. Each gives its secret as `token`, `tokenFile`
 * or `sha256` (the hex SHA-256 of the token, so the config file holds no secret).
 */
function tokenSettings(v: unknown, where: string): ApiToken[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new ConfigError(where, 'expected a list of tokens ({name, token | tokenFile | sha256, scopes: [ingest, read, triage, admin]})');
  const names = new Set<string>();
  return v.map((x, i) => {
    const k = `${where}[${i}]`;
    if (typeof x !== 'object' || x === null || Array.isArray(x)) throw new ConfigError(k, 'expected a mapping {name, token | tokenFile | sha256, scopes}');
    const o = x as Record<string, unknown>;
    for (const key of Object.keys(o)) {
      if (!['name', 'token', 'tokenFile', 'sha256', 'scopes'].includes(key)) throw new ConfigError(`${k}.${key}`, 'unknown key (known: name, token, tokenFile, sha256, scopes)');
    }
    if (typeof o.name !== 'string' || !/^[\w.@-]{1,64}$/.test(o.name)) throw new ConfigError(`${k}.name`, 'expected a name of letters, digits, . _ @ - (at most 64)');
    if (names.has(o.name)) throw new ConfigError(`${k}.name`, `the name ${o.name} is given twice`);
    names.add(o.name);
    const given = (['token', 'tokenFile', 'sha256'] as const).filter((s) => o[s] !== undefined);
    if (given.length !== 1) throw new ConfigError(k, 'give exactly one of token, tokenFile or sha256');
    const scopes = o.scopes;
    if (!Array.isArray(scopes) || scopes.length === 0 || !scopes.every((sc) => (SCOPES as readonly unknown[]).includes(sc))) {
      throw new ConfigError(`${k}.scopes`, `expected a list of scopes from ${SCOPES.join(', ')}`);
    }
    if (o.sha256 !== undefined) {
      if (typeof o.sha256 !== 'string' || !/^[0-9a-fA-F]{64}$/.test(o.sha256)) throw new ConfigError(`${k}.sha256`, 'expected the 64 hex digits of the token\'s SHA-256');
      return apiToken(o.name, { sha256: o.sha256 }, scopes as Scope[]);
    }
    let token: string;
    if (o.tokenFile !== undefined) {
      if (typeof o.tokenFile !== 'string') throw new ConfigError(`${k}.tokenFile`, 'expected a file path');
      try {
        token = readFileSync(o.tokenFile, 'utf8').trim();
      } catch (err) {
        throw new ConfigError(`${k}.tokenFile`, `cannot read: ${(err as Error).message}`);
      }
    } else {
      if (typeof o.token !== 'string') throw new ConfigError(`${k}.token`, 'expected text');
      token = o.token;
    }
    if (token.length < MIN_TOKEN_CHARS) {
      throw new ConfigError(`${k}.${o.tokenFile !== undefined ? 'tokenFile' : 'token'}`, `the API token must be at least ${MIN_TOKEN_CHARS} characters of random (make one with \`crosswatch token new\`)`);
    }
    return apiToken(o.name, { token }, scopes as Scope[]);
  });
}

/** One ingest worker per core, at most 4: the main thread stores and correlates beside them. */
export function defaultIngestThreads(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

/** "*.log" → /^[^/]*\.log$/: the glob forms people write for file names. */
export function globToRegExp(glob: string): RegExp {
  const body = glob.split('').map((c) => (c === '*' ? '[^/]*' : c === '?' ? '[^/]' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`);
}

const SERVE_KEYS = ['dataDir', 'host', 'port', 'token', 'tokenFile', 'tokens', 'sessionIdle', 'sessionMax', 'tlsCert', 'tlsKey', 'allowedLateness', 'retention', 'futureSkew', 'bodyLimit', 'ingestThreads', 'synchronous', 'tail', 'tailMatch', 'syslogUdp', 'syslogTcp', 'syslogAllow', 'syslogTls', 'syslogTlsCert', 'syslogTlsKey', 'syslogTlsCa', 'sinks'] as const;

function serveSection(path: string | undefined): Partial<Record<(typeof SERVE_KEYS)[number], unknown>> {
  if (!path) return {};
  const doc = parseYaml(readFileSync(path, 'utf8')) as unknown;
  if (typeof doc !== 'object' || doc === null) return {};
  const s = (doc as Record<string, unknown>).serve;
  if (s === undefined) return {};
  if (typeof s !== 'object' || s === null || Array.isArray(s)) throw new ConfigError(`${path}: serve`, 'expected a mapping');
  for (const k of Object.keys(s)) {
    if (!(SERVE_KEYS as readonly string[]).includes(k)) {
      throw new ConfigError(`${path}: serve.${k}`, `unknown setting (known: ${SERVE_KEYS.join(', ')})`);
    }
  }
  return s as Record<string, unknown>;
}

export function serveSettings(flags: ServeFlags, env: NodeJS.ProcessEnv = process.env): ServeSettings {
  const file = serveSection(flags.config);
  const key = (k: string): string => (flags.config ? `${flags.config}: serve.${k}` : k);
  const text = (v: unknown, k: string): string | undefined => {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string' && typeof v !== 'number') throw new ConfigError(key(k), 'expected text');
    return String(v);
  };
  const dataDir = flags.dataDir ?? text(file.dataDir, 'dataDir') ?? './crosswatch-data';
  const host = flags.host ?? text(file.host, 'host') ?? '127.0.0.1';
  const portText = flags.port ?? text(file.port, 'port') ?? '8470';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(flags.port ? '--port' : key('port'), `expected a port number, got ${JSON.stringify(portText)}`);
  const latText = flags.allowedLateness ?? text(file.allowedLateness, 'allowedLateness');
  const allowedLatenessMs = latText === undefined ? DEFAULT_ALLOWED_LATENESS_MS : parseDuration(latText);
  if (allowedLatenessMs === null || allowedLatenessMs < 0) {
    throw new ConfigError(flags.allowedLateness ? '--allowed-lateness' : key('allowedLateness'), `expected a duration such as 24h, got ${JSON.stringify(latText)}`);
  }
  const retText = flags.retention ?? text(file.retention, 'retention');
  const retentionMs = retText === undefined ? DEFAULT_RETENTION_MS : parseDuration(retText);
  if (retentionMs === null || retentionMs <= 0) {
    throw new ConfigError(flags.retention ? '--retention' : key('retention'), `expected a duration such as 30d, got ${JSON.stringify(retText)}`);
  }
  const skewText = flags.futureSkew ?? text(file.futureSkew, 'futureSkew');
  const futureSkewMs = skewText === undefined ? DEFAULT_FUTURE_SKEW_MS : parseDuration(skewText);
  if (futureSkewMs === null || futureSkewMs < 0) {
    throw new ConfigError(flags.futureSkew ? '--future-skew' : key('futureSkew'), `expected a duration such as 15m, got ${JSON.stringify(skewText)}`);
  }
  const limitText = flags.bodyLimit ?? text(file.bodyLimit, 'bodyLimit') ?? String(32 * 1024 * 1024);
  const bodyLimit = Number(limitText);
  if (!Number.isInteger(bodyLimit) || bodyLimit < 1024) throw new ConfigError(flags.bodyLimit ? '--body-limit' : key('bodyLimit'), 'expected a size in bytes of at least 1024');
  const threadsText = flags.ingestThreads ?? text(file.ingestThreads, 'ingestThreads');
  const ingestThreads = threadsText === undefined ? defaultIngestThreads() : Number(threadsText);
  if (!Number.isInteger(ingestThreads) || ingestThreads < 0 || ingestThreads > 64) {
    throw new ConfigError(flags.ingestThreads ? '--ingest-threads' : key('ingestThreads'), `expected a whole number from 0 to 64, got ${JSON.stringify(threadsText)}`);
  }
  const syncText = (flags.synchronous ?? text(file.synchronous, 'synchronous') ?? 'full').toLowerCase();
  if (syncText !== 'full' && syncText !== 'normal') {
    throw new ConfigError(flags.synchronous ? '--synchronous' : key('synchronous'), `expected full or normal, got ${JSON.stringify(syncText)}`);
  }
  const synchronous: 'full' | 'normal' = syncText;
  let token = flags.token ?? env.CROSSWATCH_TOKEN;
  const tokenFile = flags.tokenFile ?? text(file.tokenFile, 'tokenFile');
  if (token === undefined && tokenFile !== undefined) {
    try {
      token = readFileSync(tokenFile, 'utf8').trim();
    } catch (err) {
      throw new ConfigError(flags.tokenFile ? '--token-file' : key('tokenFile'), `cannot read: ${(err as Error).message}`);
    }
  }
  const tokenFrom = flags.token !== undefined ? '--token' : env.CROSSWATCH_TOKEN !== undefined ? 'CROSSWATCH_TOKEN' : tokenFile !== undefined ? (flags.tokenFile ? '--token-file' : key('tokenFile')) : key('token');
  token ??= text(file.token, 'token');
  const named = tokenSettings(file.tokens, key('tokens'));
  if (!token && named.length === 0) {
    throw new ConfigError('token', 'set an API token with --token, --token-file or CROSSWATCH_TOKEN, or serve.tokens in the config (alerts name users and addresses; make one with `crosswatch token new`)');
  }
  // Anyone who reaches the port may guess: a token must be long and random.
  if (token && token.length < MIN_TOKEN_CHARS) {
    throw new ConfigError(tokenFrom, `the API token must be at least ${MIN_TOKEN_CHARS} characters of random (make one with \`crosswatch token new\`)`);
  }
  if (token && named.some((t) => t.name === 'default')) throw new ConfigError(key('tokens'), 'the name default is taken by the token given with --token, --token-file, CROSSWATCH_TOKEN or serve.token');
  const tokens = [...(token ? [apiToken('default', { token }, SCOPES)] : []), ...named];
  const durationOf = (flag: string | undefined, k: 'sessionIdle' | 'sessionMax', flagName: string, dflt: number): number => {
    const v = flag ?? text(file[k], k);
    if (v === undefined) return dflt;
    const ms = parseDuration(v);
    if (ms === null || ms <= 0) throw new ConfigError(flag !== undefined ? flagName : key(k), `expected a duration such as 30m, got ${JSON.stringify(v)}`);
    return ms;
  };
  const sessionIdleMs = durationOf(flags.sessionIdle, 'sessionIdle', '--session-idle', DEFAULT_SESSION_IDLE_MS);
  const sessionMaxMs = durationOf(flags.sessionMax, 'sessionMax', '--session-max', DEFAULT_SESSION_MAX_MS);
  const tlsCertPath = flags.tlsCert ?? text(file.tlsCert, 'tlsCert');
  const tlsKeyPath = flags.tlsKey ?? text(file.tlsKey, 'tlsKey');
  let tls: { cert: Buffer; key: Buffer } | undefined;
  if (tlsCertPath !== undefined || tlsKeyPath !== undefined) {
    if (tlsCertPath === undefined || tlsKeyPath === undefined) throw new ConfigError(flags.tlsCert ?? flags.tlsKey ? '--tls-cert/--tls-key' : key('tlsCert/tlsKey'), 'HTTPS needs both the certificate and the key');
    const read = (path: string, flag: string): Buffer => {
      try {
        return readFileSync(path);
      } catch (err) {
        throw new ConfigError(flag, `cannot read ${path}: ${(err as Error).message}`);
      }
    };
    tls = { cert: read(tlsCertPath, flags.tlsCert ? '--tls-cert' : key('tlsCert')), key: read(tlsKeyPath, flags.tlsKey ? '--tls-key' : key('tlsKey')) };
  }
  const portOf = (v: string | undefined, flag: string): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError(flag, `expected a port number, got ${JSON.stringify(v)}`);
    return n;
  };
  const syslogUdp = portOf(flags.syslogUdp ?? text(file.syslogUdp, 'syslogUdp'), flags.syslogUdp ? '--syslog-udp' : key('syslogUdp'));
  const syslogTcp = portOf(flags.syslogTcp ?? text(file.syslogTcp, 'syslogTcp'), flags.syslogTcp ? '--syslog-tcp' : key('syslogTcp'));
  // Sender networks: a flag or config value is a comma-separated list; the config may give a YAML list.
  const allowValue = flags.syslogAllow ?? (Array.isArray(file.syslogAllow) ? file.syslogAllow.map(String).join(',') : text(file.syslogAllow, 'syslogAllow'));
  let syslogAllow: CidrSet;
  try {
    syslogAllow = new CidrSet((allowValue ?? DEFAULT_SYSLOG_ALLOW.join(',')).split(',').map((c) => c.trim()).filter(Boolean));
  } catch (err) {
    throw new ConfigError(flags.syslogAllow !== undefined ? '--syslog-allow' : key('syslogAllow'), (err as Error).message);
  }
  const syslogTls = syslogTlsSettings(flags, file, key, text, portOf);
  const tailDir = flags.tail ?? text(file.tail, 'tail');
  const tailMatch = flags.tailMatch ?? text(file.tailMatch, 'tailMatch');
  const tail = tailDir === undefined ? undefined : { dir: tailDir, ...(tailMatch ? { pattern: globToRegExp(tailMatch) } : {}) };
  const sinks = sinkSettings(file.sinks, key('sinks'));
  if (flags.webhook !== undefined) {
    if (!/^https?:\/\//.test(flags.webhook)) throw new ConfigError('--webhook', 'expected an http(s) URL');
    sinks.push({ type: 'webhook', url: flags.webhook, ...(flags.webhookSecret ? { secret: flags.webhookSecret } : {}) });
  }
  if (flags.alertsFile !== undefined) sinks.push({ type: 'file', path: flags.alertsFile });
  if (flags.alertsStdout) sinks.push({ type: 'stdout' });
  return {
    dataDir, host, port, ...(token ? { token } : {}), tokens, sessionIdleMs, sessionMaxMs, ...(tls ? { tls } : {}), allowedLatenessMs, retentionMs, futureSkewMs, bodyLimit, ingestThreads, synchronous, sinks, syslogAllow,
    ...(tail ? { tail } : {}),
    ...(syslogUdp !== undefined ? { syslogUdp } : {}),
    ...(syslogTcp !== undefined ? { syslogTcp } : {}),
    ...(syslogTls ? { syslogTls } : {}),
  };
}

const SYSLOG_TLS_FILES = [
  { k: 'syslogTlsCert', flag: '--syslog-tls-cert' },
  { k: 'syslogTlsKey', flag: '--syslog-tls-key' },
  { k: 'syslogTlsCa', flag: '--syslog-tls-ca' },
] as const;

/**
 * --syslog-tls PORT: it needs the server's certificate and key, and the CA bundle
 * client certificates must chain to. The CA is not optional: without client
 * certificates anyone who reaches the port could feed the detections. The files
 * are read and checked here, so a wrong one stops serve before it starts.
 */
function syslogTlsSettings(
  flags: ServeFlags,
  file: Partial<Record<(typeof SERVE_KEYS)[number], unknown>>,
  key: (k: string) => string,
  text: (v: unknown, k: string) => string | undefined,
  portOf: (v: string | undefined, flag: string) => number | undefined,
): ServeSettings['syslogTls'] {
  const portWhere = flags.syslogTls !== undefined ? '--syslog-tls' : key('syslogTls');
  const port = portOf(flags.syslogTls ?? text(file.syslogTls, 'syslogTls'), portWhere);
  const files = SYSLOG_TLS_FILES.map((f) => {
    const path = flags[f.k] ?? text(file[f.k], f.k);
    return { ...f, path, where: flags[f.k] !== undefined ? f.flag : key(f.k) };
  });
  if (port === undefined) {
    const stray = files.find((f) => f.path !== undefined);
    if (stray) throw new ConfigError(stray.where, `given without --syslog-tls PORT${flags.config ? ' (serve.syslogTls)' : ''}, so nothing would listen with it`);
    return undefined;
  }
  const missing = files.filter((f) => f.path === undefined).map((f) => (flags.config ? `${f.flag} (serve.${f.k})` : f.flag));
  if (missing.length > 0) {
    throw new ConfigError(portWhere, `syslog over TLS needs --syslog-tls-cert and --syslog-tls-key (the server's PEM certificate chain and key) and --syslog-tls-ca (the PEM CA bundle client certificates must chain to; a client certificate is required, or anyone who reaches the port could feed the detections); missing: ${missing.join(', ')}`);
  }
  const read = (f: (typeof files)[number]): { where: string; path: string; pem: Buffer } => {
    try {
      return { where: f.where, path: f.path!, pem: readFileSync(f.path!) };
    } catch (err) {
      throw new ConfigError(f.where, `cannot read ${f.path}: ${(err as Error).message}`);
    }
  };
  const [cert, keyFile, ca] = [read(files[0]!), read(files[1]!), read(files[2]!)];
  try {
    new X509Certificate(cert.pem);
  } catch (err) {
    throw new ConfigError(cert.where, `${cert.path} is not a PEM certificate: ${(err as Error).message}`);
  }
  try {
    createPrivateKey(keyFile.pem);
  } catch (err) {
    throw new ConfigError(keyFile.where, `${keyFile.path} is not a PEM private key: ${(err as Error).message}`);
  }
  try {
    createSecureContext({ cert: cert.pem, key: keyFile.pem });
  } catch (err) {
    throw new ConfigError(keyFile.where, `${keyFile.path} does not go with the certificate ${cert.path}: ${(err as Error).message}`);
  }
  // TLS would take a bundle without a certificate in it and then refuse every client.
  const caCerts = ca.pem.toString('latin1').match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (caCerts.length === 0) throw new ConfigError(ca.where, `no PEM certificate (-----BEGIN CERTIFICATE-----) in ${ca.path}`);
  for (const pem of caCerts) {
    try {
      new X509Certificate(pem);
    } catch (err) {
      throw new ConfigError(ca.where, `a certificate in ${ca.path} cannot be read: ${(err as Error).message}`);
    }
  }
  return { port, cert: cert.pem, key: keyFile.pem, ca: ca.pem };
}

/**
 * The store in the data dir, or null once it has said in one line why it cannot be
 * opened (a read-only file system, a folder this user cannot write, a full disk, a
 * damaged file): the data dir must be writable, the log and index files live beside it.
 */
function openStore(s: ServeSettings, io: Io): SqliteStore | null {
  try {
    return new SqliteStore(s.dataDir, { synchronous: s.synchronous, checkpointThread: true });
  } catch (err) {
    let why = (err as Error).message;
    let dir = resolve(s.dataDir);
    while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
    try {
      accessSync(dir, constants.W_OK);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      why += code === 'EROFS' ? `; ${dir} is on a read-only file system` : `; ${dir} is not writable (${code})`;
    }
    io.stderr.write(`crosswatch serve: cannot open the store in ${terminalSafe(s.dataDir)}: ${terminalSafe(why)}\n`);
    return null;
  }
}

/** How often the general rules' touched IPs are recomputed (their alerts' accept→queryable is about this). */
const GENERAL_SETTLE_MS = 250;

/** The general Sigma rules serve runs (src/stream/general-stream.ts), those it does not named. */
function servedRules(d: Detections, config: CorrelatorConfig, warn: (line: string) => void): ServedGeneral | null {
  if (!d.general) return null;
  const served = new ServedGeneral(d.general, config, generalSpec(d.sources, config, { ...(d.pipeline !== undefined ? { pipeline: d.pipeline } : {}), builtinWindowMs: config.windowMs }));
  for (const n of served.notServed) warn(`rule not run by serve: ${n.id} ${n.name}: ${n.why}`);
  return served;
}

export async function serveCommand(flags: ServeFlags, io: Io): Promise<number> {
  const settings = loadSettings(flags);
  const s = serveSettings(flags);
  const warn = (line: string): void => {
    io.stderr.write(`crosswatch serve: ${terminalSafe(line, false)}\n`);
  };
  const detections = loadDetections(flags, settings, warn);
  const { rules } = detections;
  const served = servedRules(detections, settings.config, warn);
  if (rules.length === 0 && !served?.runs) {
    warn('no rule serve can run');
    return 2;
  }
  const store = openStore(s, io);
  if (!store) return 1;
  const pipeline = new StreamPipeline(store, {
    config: settings.config,
    rules,
    decode: settings.decode,
    allowedLatenessMs: s.allowedLatenessMs,
    retentionMs: s.retentionMs,
    futureSkewMs: s.futureSkewMs,
    general: served,
    // A busy IP's general correlations are recomputed once per timer tick, not once per commit.
    generalSettle: 'deferred',
  });
  // Logs go to stderr as JSON lines: stdout may carry alerts (--alerts-stdout).
  const pool = s.ingestThreads > 0 ? new IngestPool(s.ingestThreads) : null;
  const app = buildApp({
    rules, config: settings.config, store, pipeline, pool, tokens: s.tokens, sessions: new SessionStore(store.db, { idleMs: s.sessionIdleMs, maxMs: s.sessionMaxMs }), ...(s.tls ? { https: s.tls } : {}), bodyLimit: s.bodyLimit, logger: { level: 'info', stream: process.stderr },
    // (Read when /metrics is scraped, by then the listeners below exist.)
    syslogRefused: () => syslog?.refused ?? 0,
    syslogTlsRejected: () => syslog?.tlsRejected ?? 0,
  });
  const logError = (err: Error): void => app.log.error({ err }, 'input error');
  // SIGHUP: the config file and the rules read again. The new rules take the place of the old in the
  // same array the pipeline and the UI hold, from the next commit on; on any problem the rules in use stay.
  const reload = (): void => {
    try {
      const fresh = loadSettings(flags);
      const d = loadDetections(flags, fresh, (line) => warn(`reload: ${line}`));
      const fresher = servedRules(d, fresh.config, (line) => warn(`reload: ${line}`));
      if (d.rules.length === 0 && !fresher?.runs) throw new Error('no rule serve can run');
      rules.splice(0, rules.length, ...d.rules);
      pipeline.setGeneral(fresher);
      settings.config.windowMs = Math.max(settings.config.windowMs, fresh.config.windowMs);
      app.log.info({ rules: rules.map((r) => r.id) }, 'rules reloaded (SIGHUP)');
    } catch (err) {
      app.log.error({ err }, 'rules not reloaded (SIGHUP): the rules in use stay');
      warn(`reload failed, the rules in use stay: ${(err as Error).message}`);
    }
  };
  const tailer = s.tail
    ? new FolderTailer({ dir: s.tail.dir, ...(s.tail.pattern ? { pattern: s.tail.pattern } : {}), offsets: store, ingest: (items) => pipeline.ingest(items), onError: logError })
    : null;
  const syslog = s.syslogUdp !== undefined || s.syslogTcp !== undefined || s.syslogTls !== undefined
    ? new SyslogServer({
      host: s.host, udpPort: s.syslogUdp, tcpPort: s.syslogTcp, ...(s.syslogTls ? { tls: s.syslogTls } : {}), allow: s.syslogAllow, ingest: (items) => pipeline.ingest(items), onError: logError,
      // A sender's broken framing is bad input (counted as rejected too), not a service error.
      onSenderProblem: (message) => app.log.warn(message),
    })
    : null;
  const dispatcher = new OutboxDispatcher(store, s.sinks.map((k): Sink =>
    k.type === 'webhook' ? new WebhookSink(k) : k.type === 'file' ? new NdjsonFileSink(k.path) : new StdoutSink(),
  ), {
    onError: (sink, err, attempts) => app.log.warn({ sink, attempts, err: err.message }, 'sink delivery failed; will retry'),
    onStoreError: (err) => app.log.error({ err: err.message }, 'the alert outbox could not be updated in the store; will retry'),
  });
  dispatcher.start();
  await syslog?.start();
  const address = await app.listen({ host: s.host, port: s.port });
  tailer?.start();
  const extras = [
    syslog?.udpAddress ? `syslog udp ${syslog.udpAddress.port}` : '',
    syslog?.tcpAddress ? `syslog tcp ${syslog.tcpAddress.port}` : '',
    syslog?.tlsAddress ? `syslog tls ${syslog.tlsAddress.port}` : '',
    s.tail ? `tailing ${s.tail.dir}` : '',
  ].filter(Boolean);
  io.stderr.write(`crosswatch serve: listening on ${address}, data in ${s.dataDir}${extras.length ? `; ${extras.join('; ')}` : ''}\n`);
  // Eviction runs in steps between requests (see StreamPipeline.evictSteps).
  // Quarantined events (dated ahead of the clock) are released as their time comes, even when nothing arrives.
  const evictTimer = setInterval(() => {
    try {
      pipeline.releaseDue();
    } catch (err) {
      app.log.error({ err }, 'releasing quarantined events failed');
    }
    pipeline.evictInBackground().catch((err: Error) => app.log.error({ err }, 'eviction failed'));
    // Every 10 s; CROSSWATCH_EVICT_INTERVAL_MS (undocumented) makes it sooner for test/hostile/faults.test.ts.
  }, Number(process.env.CROSSWATCH_EVICT_INTERVAL_MS) || 10_000);
  evictTimer.unref();
  // The general Sigma rules' correlations of the IPs commits touched (and, at start, those a
  // stop left): recomputed a few IPs at a time, yielding to requests in between.
  let settling = false;
  let stopping = false;
  const settleStep = (): void => {
    if (stopping) {
      settling = false;
      return;
    }
    try {
      if (pipeline.settleGeneral(32) > 0) {
        setImmediate(settleStep);
        return;
      }
    } catch (err) {
      app.log.error({ err }, 'recomputing the general Sigma rules failed; the IPs stay marked and are tried again');
    }
    settling = false;
  };
  const settleTimer = setInterval(() => {
    if (settling) return;
    settling = true;
    settleStep();
  }, GENERAL_SETTLE_MS);
  settleTimer.unref();
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      io.stderr.write(`crosswatch serve: ${signal}, draining\n`);
      clearInterval(evictTimer);
      clearInterval(settleTimer);
      stopping = true;
      // close() stops accepting and waits for in-flight requests to finish. Their keep-alive
      // connections, idle once answered, held it for Fastify's keepAliveTimeout (72 s): they
      // are closed as they go idle, and after 10 s whatever is left (a slow upload) is closed.
      const idle = setInterval(() => app.server.closeIdleConnections(), 50);
      const late = setTimeout(() => {
        io.stderr.write('crosswatch serve: still draining after 10 s; closing the connections left\n');
        app.server.closeAllConnections();
      }, 10_000);
      const closed = app.close().finally(() => {
        clearInterval(idle);
        clearTimeout(late);
      });
      Promise.all([closed, tailer?.stop(), syslog?.stop()]).then(() => dispatcher.stop()).then(async () => {
        await pool?.close();
        await pipeline.drain();
        // (What is still marked is recomputed at the next start.)
        store.close();
        resolve();
      }, () => resolve());
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', reload);
  });
  return 0;
}
