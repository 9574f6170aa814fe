// `crosswatch status`: what a running service is doing, at a glance — the same
// counters as /metrics, read from its /api/v1/status.
import { readFileSync } from 'node:fs';
import { ConfigError } from '../detect/config.js';
import type { Io } from './io.js';

export interface StatusFlags {
  url?: string;
  token?: string;
  tokenFile?: string;
  json?: boolean;
}

interface Status {
  uptime_s: number;
  watermark: string | null;
  watermark_lag_s: number | null;
  records: { total: number; rejected: number; by_role: Record<string, number> };
  rejects: Record<string, number>;
  sources: Record<string, { records: number; rejected: number }>;
  state_events: number;
  quarantine?: { events: number; earliest: string | null; latest: string | null; arrived: number; released: number };
  dropped?: Record<string, number>;
  alerts: Array<{ rule: string; status: string; n: number }>;
  outbox: Array<{ sink: string; n: number }>;
}

export async function statusCommand(flags: StatusFlags, io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const url = (flags.url ?? env.CROSSWATCH_URL ?? 'http://127.0.0.1:8470').replace(/\/+$/, '');
  let token = flags.token ?? env.CROSSWATCH_TOKEN;
  if (!token && flags.tokenFile) token = readFileSync(flags.tokenFile, 'utf8').trim();
  if (!token) throw new ConfigError('token', 'set --token, --token-file or CROSSWATCH_TOKEN');
  let res: Response;
  try {
    res = await fetch(`${url}/api/v1/status`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    io.stderr.write(`crosswatch status: cannot reach ${url}: ${(err as Error).message}\n`);
    return 2;
  }
  if (res.status !== 200) {
    io.stderr.write(`crosswatch status: ${url} answered HTTP ${res.status}\n`);
    return 2;
  }
  const s = (await res.json()) as Status;
  if (flags.json) {
    io.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
    return 0;
  }
  const lines = [
    `crosswatch at ${url}: up ${s.uptime_s}s`,
    `watermark: ${s.watermark ?? 'no events yet'}${s.watermark_lag_s !== null ? ` (${s.watermark_lag_s}s behind the clock)` : ''}`,
    `records: ${s.records.total} (${s.records.rejected} rejected); network alerts ${s.records.by_role.network_alert ?? 0}, sign-ins ${s.records.by_role.signin ?? 0}, mail accesses ${s.records.by_role.mail_access ?? 0}, other ${s.records.by_role.other ?? 0}`,
    ...Object.entries(s.rejects).map(([k, n]) => `  rejected ${k}: ${n}`),
    `state: ${s.state_events} correlatable events held`,
    ...(s.quarantine && (s.quarantine.events > 0 || s.quarantine.arrived > 0)
      ? [`quarantine: ${s.quarantine.events} events dated ahead of the service's clock held${s.quarantine.earliest ? ` (${s.quarantine.earliest} to ${s.quarantine.latest})` : ''}; ${s.quarantine.arrived} arrived since start, ${s.quarantine.released} released`]
      : []),
    ...Object.entries(s.dropped ?? {}).map(([k, n]) => `  dropped ${k}: ${n}`),
    `alerts: ${s.alerts.reduce((n, a) => n + a.n, 0)}`,
    ...s.alerts.map((a) => `  ${a.rule} ${a.status}: ${a.n}`),
    `sinks: ${s.outbox.length === 0 ? 'nothing pending' : s.outbox.map((o) => `${o.sink} ${o.n} pending`).join(', ')}`,
  ];
  io.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
