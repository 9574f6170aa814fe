// `crosswatch serve`: the detection running continuously. Settings come from the
// YAML config (`serve:` section, detection keys at the top level) with flags
// over it; any error names its key and exits 1 before anything starts.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parse as parseYaml } from 'yaml';
import { loadRules } from '../alerts/rules.js';
import { ConfigError } from '../correlate/config.js';
import { parseDuration } from '../events/time.js';
import { DEFAULT_ALLOWED_LATENESS_MS, DEFAULT_RETENTION_MS, StreamPipeline } from '../pipeline/stream.js';
import { buildApp } from '../server/app.js';
import { IngestPool } from '../server/ingest-pool.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { FolderTailer } from '../sources/tail.js';
import { DEFAULT_SYSLOG_ALLOW, SyslogServer } from '../sources/syslog-server.js';
import { CidrSet } from '../events/ip.js';
import { NdjsonFileSink, OutboxDispatcher, StdoutSink, WebhookSink, type Sink } from '../sinks/outbox.js';
import { loadSettings, type SettingsFlags } from './options.js';
import type { Io } from './main.js';

export interface ServeFlags extends SettingsFlags {
  dataDir?: string;
  host?: string;
  port?: string;
  token?: string;
  tokenFile?: string;
  allowedLateness?: string;
  retention?: string;
  bodyLimit?: string;
  tail?: string;
  tailMatch?: string;
  syslogUdp?: string;
  syslogTcp?: string;
  /** --syslog-allow: comma-separated sender networks. */
  syslogAllow?: string;
  webhook?: string;
  webhookSecret?: string;
  alertsFile?: string;
  alertsStdout?: boolean;
  /** --ingest-threads, or serve.ingestThreads in the config file. */
  ingestThreads?: string;
  /** --synchronous, or serve.synchronous in the config file. */
  synchronous?: string;
}

export interface ServeSettings {
  dataDir: string;
  host: string;
  port: number;
  token: string;
  allowedLatenessMs: number;
  retentionMs: number;
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

/** One ingest worker per core, at most 4: the main thread stores and correlates beside them. */
/** Shortest API token serve starts with (`crosswatch token new` makes 43 characters: 32 random bytes). */
export const MIN_TOKEN_CHARS = 32;

export function defaultIngestThreads(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

/** "*.log" → /^[^/]*\.log$/: the glob forms people write for file names. */
export function globToRegExp(glob: string): RegExp {
  const body = glob.split('').map((c) => (c === '*' ? '[^/]*' : c === '?' ? '[^/]' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`);
}

const SERVE_KEYS = ['dataDir', 'host', 'port', 'token', 'tokenFile', 'allowedLateness', 'retention', 'bodyLimit', 'ingestThreads', 'synchronous', 'tail', 'tailMatch', 'syslogUdp', 'syslogTcp', 'syslogAllow', 'sinks'] as const;

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
  if (!token) {
    throw new ConfigError('token', 'set an API token with --token, --token-file or CROSSWATCH_TOKEN (alerts name users and addresses; make one with `crosswatch token new`)');
  }
  // Anyone who reaches the port may guess: a token must be long and random.
  if (token.length < MIN_TOKEN_CHARS) {
    throw new ConfigError(tokenFrom, `the API token must be at least ${MIN_TOKEN_CHARS} characters of random (make one with \`crosswatch token new\`)`);
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
    dataDir, host, port, token, allowedLatenessMs, retentionMs, bodyLimit, ingestThreads, synchronous, sinks, syslogAllow,
    ...(tail ? { tail } : {}),
    ...(syslogUdp !== undefined ? { syslogUdp } : {}),
    ...(syslogTcp !== undefined ? { syslogTcp } : {}),
  };
}

export async function serveCommand(flags: ServeFlags, io: Io): Promise<number> {
  const settings = loadSettings(flags);
  const s = serveSettings(flags);
  const rules = loadRules();
  const store = new SqliteStore(s.dataDir, { synchronous: s.synchronous, checkpointThread: true });
  const pipeline = new StreamPipeline(store, {
    config: settings.config,
    rules,
    decode: settings.decode,
    allowedLatenessMs: s.allowedLatenessMs,
    retentionMs: s.retentionMs,
  });
  // Logs go to stderr as JSON lines: stdout may carry alerts (--alerts-stdout).
  const pool = s.ingestThreads > 0 ? new IngestPool(s.ingestThreads) : null;
  const app = buildApp({
    rules, store, pipeline, pool, token: s.token, bodyLimit: s.bodyLimit, logger: { level: 'info', stream: process.stderr },
    // (Read when /metrics is scraped, by then the listeners below exist.)
    syslogRefused: () => syslog?.refused ?? 0,
  });
  const logError = (err: Error): void => app.log.error({ err }, 'input error');
  const tailer = s.tail
    ? new FolderTailer({ dir: s.tail.dir, ...(s.tail.pattern ? { pattern: s.tail.pattern } : {}), offsets: store, ingest: (items) => pipeline.ingest(items), onError: logError })
    : null;
  const syslog = s.syslogUdp !== undefined || s.syslogTcp !== undefined
    ? new SyslogServer({
      host: s.host, udpPort: s.syslogUdp, tcpPort: s.syslogTcp, allow: s.syslogAllow, ingest: (items) => pipeline.ingest(items), onError: logError,
      // A sender's broken framing is bad input (counted as rejected too), not a service error.
      onSenderProblem: (message) => app.log.warn(message),
    })
    : null;
  const dispatcher = new OutboxDispatcher(store, s.sinks.map((k): Sink =>
    k.type === 'webhook' ? new WebhookSink(k) : k.type === 'file' ? new NdjsonFileSink(k.path) : new StdoutSink(),
  ), { onError: (sink, err, attempts) => app.log.warn({ sink, attempts, err: err.message }, 'sink delivery failed; will retry') });
  dispatcher.start();
  await syslog?.start();
  const address = await app.listen({ host: s.host, port: s.port });
  tailer?.start();
  const extras = [
    syslog?.udpAddress ? `syslog udp ${syslog.udpAddress.port}` : '',
    syslog?.tcpAddress ? `syslog tcp ${syslog.tcpAddress.port}` : '',
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
  }, 10_000);
  evictTimer.unref();
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      io.stderr.write(`crosswatch serve: ${signal}, draining\n`);
      clearInterval(evictTimer);
      // close() stops accepting and waits for in-flight requests to finish.
      Promise.all([app.close(), tailer?.stop(), syslog?.stop()]).then(() => dispatcher.stop()).then(async () => {
        await pool?.close();
        await pipeline.drain();
        store.close();
        resolve();
      }, () => resolve());
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}
