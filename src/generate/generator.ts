// `crosswatch generate`: realistic raw-format sample data with planted attacks and
// look-alikes, plus truth.json computed by the reference implementation from the
// facts of the records actually written. Deterministic (seeded PRNG, fixed base
// date), streamed to disk with backpressure, bounded memory for any record count.
//
// Output layout: the raw exports under outDir/logs/ (what `hunt` reads), the truth
// beside them so that hunting the logs folder never reads it:
//   logs/entra/insights-logs-signinlogs.json                   NDJSON, SignInLogs
//   logs/entra/insights-logs-noninteractiveusersigninlogs.json NDJSON, NonInteractiveUserSignInLogs
//   logs/entra/records-serviceprincipal-NNNN.json              {"records":[...]}, ServicePrincipal + ManagedIdentity
//   logs/graph/signIns-page-NNNN.json                          Graph {"value":[...],"@odata.nextLink":...}
//   logs/m365/Audit.Exchange-NNNN.json, Audit.AzureActiveDirectory-NNNN.json, Audit.SharePoint-NNNN.json
//                                                         Management Activity API content blobs (JSON arrays)
//   logs/purview/AuditLog_2026-03-02_2026-03-05.csv             Purview audit search export (BOM, CRLF)
//   logs/suricata/fw-edge-01/eve.json, suricata/ids-dmz-02/eve.json  EVE NDJSON (+0000 and +0100)
//   truth.json
//
// With mix 'ndjson' every file is NDJSON, one record a line (the same records, ids
// and facts, so the same truth; see emitter.ts):
//   logs/entra/insights-logs-{signinlogs,noninteractiveusersigninlogs,serviceprincipalsigninlogs,managedidentitysigninlogs}.json
//                                                         diagnostic records; Graph-routed sign-ins in signinlogs
//   logs/m365/Audit.Exchange.ndjson, Audit.AzureActiveDirectory.ndjson, Audit.SharePoint.ndjson
//                                                         API records, the Purview-only ones included; no CSV
//   logs/suricata/...                                     as above
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Emitter } from './emitter.js';
import type { Sinks } from './emitter.js';
import { RESERVED_PREFIXES, plant } from './plant.js';
import type { PlantedCase } from './plant.js';
import { referencePairs } from './reference.js';
import type { Pair } from './reference.js';
import { Rng } from './rng.js';
import { BlobSink, CsvSink, GraphPageSink, NdjsonSink, OutDir } from './sinks.js';
import type { Sink } from './sinks.js';
import { ERRORS, POLICY_SIGNATURES, PURVIEW_HEADER, SIGNATURES } from './vendors.js';
import type { Sensor } from './vendors.js';
import type { GenIp, GenUser } from './world.js';
import { APPS, SERVICES, buildWorld } from './world.js';

/** How records are framed: the vendors' mixed export formats, or NDJSON only. */
export type Mix = 'mixed' | 'ndjson';

export interface GenerateOptions {
  outDir: string;
  events: number;
  seed: number;
  /** Default 'mixed'. 'ndjson' writes the same records, one per line, in NDJSON files only. */
  mix?: Mix;
  /** Correlation window the truth is computed for (default 8 h). */
  windowMs?: number;
  /** Shared-infrastructure cap the truth is computed for (default 20). */
  maxUsersPerIp?: number;
}

export interface GenerateResult {
  files: Array<{ path: string; format: string; records: number }>;
  /** The folder of raw exports to hunt (outDir/logs). */
  logsDir: string;
  /** outDir/truth.json, outside logsDir. */
  truthPath: string;
  pairs: Array<{ rule: string; ip: string }>;
  records: number;
}

export interface Truth {
  seed: number;
  events: number;
  windowMs: number;
  maxUsersPerIp: number;
  records: number;
  pairs: Pair[];
  /** The planted cases: address, what must (or must not) fire, and why (naming the mixed layout's files). */
  cases: PlantedCase[];
  /** Present for the NDJSON mix only (the mixed truth.json stays as it was). */
  mix?: 'ndjson';
}

/** Data starts here (a Monday) whatever the machine clock says. */
export const BASE_TIME_MS = Date.UTC(2026, 2, 2, 0, 0, 0);
/** Background records are spread over this span. */
export const SPAN_MS = 3 * 86_400_000;
const DEFAULT_WINDOW_MS = 8 * 3_600_000;
/** A Purview audit search exports at most 50,000 rows. */
const PURVIEW_MAX_ROWS = 50_000;

const SENSORS: Sensor[] = [
  { name: 'fw-edge-01', iface: 'eth1', offsetMin: 0, offsetText: '+0000' },
  { name: 'ids-dmz-02', iface: 'ens192', offsetMin: 60, offsetText: '+0100' },
];

export async function generate(opts: GenerateOptions): Promise<GenerateResult> {
  const events = Math.max(0, Math.floor(opts.events));
  const seed = Math.trunc(opts.seed);
  const windowMs = opts.windowMs ?? DEFAULT_WINDOW_MS;
  const maxUsersPerIp = opts.maxUsersPerIp ?? 20;
  const logsDir = join(opts.outDir, 'logs');
  await mkdir(logsDir, { recursive: true });
  await removeStale(logsDir);

  const world = buildWorld(seed, events, RESERVED_PREFIXES);
  const dir = new OutDir(logsDir);
  const mix = opts.mix ?? 'mixed';
  const sinks = mix === 'ndjson' ? ndjsonSinks(dir) : mixedSinks(dir);
  const em = new Emitter(new Rng(seed, 2), sinks, SENSORS, {
    v4: '195.145.42.25',
    nat: '10.1.2.25',
    v6: '2a00:1398:0004:2c00:0000:0000:0000:0025',
  });

  // Planted cases first (bounded), merged into the time-ordered background below.
  const { cases, items } = plant({
    world, rng: new Rng(seed, 3), em, t0: BASE_TIME_MS, windowMs, maxUsersPerIp, events,
  });
  const plantedRecords = estimatePlanted(items.length);
  const background = Math.max(0, events - plantedRecords);

  const rng = new Rng(seed, 4);
  const bg = new Background(rng, em, world);
  const step = background > 0 ? (2 * SPAN_MS) / background : 0;
  let clock = BASE_TIME_MS;
  let next = 0;
  // Stop when the records written plus the planted items still to come reach N
  // (counted as the mixed layout writes them: the NDJSON mix makes the same calls).
  for (let i = 0; em.mixedRecords + (items.length - next) < events; i++) {
    clock += rng.next() * step;
    const ms = Math.floor(clock);
    while (next < items.length && items[next]!.ms <= ms) items[next++]!.run();
    bg.one(ms);
    if ((i & 63) === 0 && dir.blocked) await dir.drain();
  }
  while (next < items.length) {
    items[next++]!.run();
    if (dir.blocked) await dir.drain();
  }

  // (A set: in the mixed layout service principals and managed identities share one sink.)
  const containers = new Set<Sink | null>([sinks.servicePrincipal, sinks.managedIdentity, sinks.graph, sinks.exchange, sinks.aad, sinks.sharepoint]);
  for (const s of containers) await s?.finish();
  await dir.closeAll();

  const pairs = referencePairs(em.facts, { windowMs, maxUsersPerIp });
  const truth: Truth = { seed, events, windowMs, maxUsersPerIp, records: em.records, pairs, cases };
  if (mix === 'ndjson') truth.mix = 'ndjson';
  const truthPath = join(opts.outDir, 'truth.json');
  await writeFile(truthPath, JSON.stringify(truth, null, 2) + '\n');
  return { files: dir.files(), logsDir, truthPath, pairs, records: em.records };
}

const pad = (n: number): string => String(n).padStart(4, '0');

/** The vendors' own export formats (the layout at the top of this file). */
function mixedSinks(dir: OutDir): Sinks {
  const spRecords = new BlobSink(dir, (n) => `entra/records-serviceprincipal-${pad(n)}.json`, 'entra-records', 5000, '{"records":[\n', ',\n', '\n]}\n');
  return {
    signin: new NdjsonSink(dir, 'entra/insights-logs-signinlogs.json', 'entra-ndjson'),
    nonInteractive: new NdjsonSink(dir, 'entra/insights-logs-noninteractiveusersigninlogs.json', 'entra-ndjson'),
    servicePrincipal: spRecords,
    managedIdentity: spRecords,
    graph: new GraphPageSink(dir, 500, 'a1b2c3d4e5f60718293a4b5c6d7e8f90'),
    exchange: new BlobSink(dir, (n) => `m365/Audit.Exchange-${pad(n)}.json`, 'm365-json-array', 10000, '[', ',', ']'),
    aad: new BlobSink(dir, (n) => `m365/Audit.AzureActiveDirectory-${pad(n)}.json`, 'm365-json-array', 10000, '[', ',', ']'),
    sharepoint: new BlobSink(dir, (n) => `m365/Audit.SharePoint-${pad(n)}.json`, 'm365-json-array', 10000, '[', ',', ']'),
    purview: new CsvSink(dir, 'purview/AuditLog_2026-03-02_2026-03-05.csv', PURVIEW_HEADER),
    eve: SENSORS.map((s) => new NdjsonSink(dir, `suricata/${s.name}/eve.json`, 'suricata-eve')),
  };
}

/** NDJSON only: one file per diagnostic category (as Azure Monitor names them) and per M365 workload. */
function ndjsonSinks(dir: OutDir): Sinks {
  const entra = (category: string): NdjsonSink => new NdjsonSink(dir, `entra/insights-logs-${category}.json`, 'entra-ndjson');
  const m365 = (workload: string): NdjsonSink => new NdjsonSink(dir, `m365/Audit.${workload}.ndjson`, 'm365-ndjson');
  return {
    signin: entra('signinlogs'),
    nonInteractive: entra('noninteractiveusersigninlogs'),
    servicePrincipal: entra('serviceprincipalsigninlogs'),
    managedIdentity: entra('managedidentitysigninlogs'),
    graph: null,
    exchange: m365('Exchange'),
    aad: m365('AzureActiveDirectory'),
    sharepoint: m365('SharePoint'),
    purview: null,
    eve: SENSORS.map((s) => new NdjsonSink(dir, `suricata/${s.name}/eve.json`, 'suricata-eve')),
  };
}

/**
 * Deletes files an earlier run left that this run might not overwrite (a bigger N
 * writes more blobs). Only names this generator writes are touched.
 */
async function removeStale(outDir: string): Promise<void> {
  const ours: Array<[string, RegExp]> = [
    ['entra', /^(insights-logs-[a-z]+|records-serviceprincipal-\d{4})\.json$/],
    ['graph', /^signIns-page-\d{4}\.json$/],
    ['m365', /^Audit\.[A-Za-z]+(-\d{4}\.json|\.ndjson)$/],
    ['purview', /^AuditLog_[\d-]+_[\d-]+\.csv$/],
    ['suricata/fw-edge-01', /^eve\.json$/],
    ['suricata/ids-dmz-02', /^eve\.json$/],
  ];
  for (const [sub, re] of ours) {
    const names = await readdir(join(outDir, sub)).catch(() => [] as string[]);
    for (const name of names) if (re.test(name)) await rm(join(outDir, sub, name), { force: true });
  }
}

/** Planted items write about one record each (a few write two or three). */
function estimatePlanted(items: number): number {
  return Math.round(items * 1.1);
}

/** Background traffic: one call, one record (occasionally two: MFA step-up, retries). */
class Background {
  private readonly users: GenUser[];
  private readonly n: number;

  constructor(private readonly rng: Rng, private readonly em: Emitter, private readonly world: ReturnType<typeof buildWorld>) {
    this.users = world.users;
    this.n = world.users.length;
  }

  /** Activity is skewed: a few users produce much of it. */
  private user(): GenUser {
    const r = this.rng.next();
    return this.users[Math.floor(r * r * this.n)]!;
  }

  private ipOf(u: GenUser): GenIp {
    const r = this.rng.next();
    if (r < 0.5) return u.office.egress;
    if (r < 0.55) return u.office.egress6;
    if (r < 0.85) return u.home;
    return u.mobile;
  }

  /** Most M365 records come from the API; some only from a Purview export, a few from both (same Id). */
  private via(): 'api' | 'csv' | 'both' {
    const r = this.rng.next();
    if (this.em.csvRows >= PURVIEW_MAX_ROWS) return 'api';
    return r < 0.04 ? 'csv' : r < 0.045 ? 'both' : 'api';
  }

  one(ms: number): void {
    const rng = this.rng;
    const em = this.em;
    const r = rng.next();
    if (r < 0.45) {
      const u = this.user();
      em.mail({ ms, user: u, ip: this.ipOf(u), via: this.via() });
    } else if (r < 0.5) {
      const u = this.user();
      const k = rng.next();
      em.exchangeOp({ ms, user: u, ip: this.ipOf(u), op: k < 0.5 ? 'Send' : k < 0.75 ? 'MoveToDeletedItems' : k < 0.95 ? 'SoftDelete' : k < 0.997 ? 'Update' : 'New-InboxRule', via: this.via() });
    } else if (r < 0.53) {
      const u = this.user();
      em.sharePoint({ ms, user: u, ip: this.ipOf(u), via: this.via() });
    } else if (r < 0.565) {
      const u = this.user();
      em.aadLogin({ ms, user: u, ip: this.ipOf(u), via: this.via() });
    } else if (r < 0.57) {
      const u = this.user();
      const fromScanner = rng.chance(0.3);
      em.aadLogin({ ms, user: u, ip: fromScanner ? rng.pick(this.world.scanners) : this.ipOf(u), failed: true, via: this.via() });
    } else if (r < 0.65) {
      this.interactive(ms);
    } else if (r < 0.78) {
      const u = this.user();
      const k = rng.next();
      const error = k < 0.97 ? null : k < 0.98 ? ERRORS.refreshExpired : k < 0.99 ? ERRORS.freshAuth : ERRORS.sessionExpired;
      em.signin({ ms, user: u, ip: this.ipOf(u), interactive: false, error, app: rng.pick(APPS), copies: rng.chance(0.003) ? 2 : 1 });
    } else if (r < 0.81) {
      const sps = this.world.sps;
      const sp = r < 0.8 ? sps[rng.int(8)]! : sps[8 + rng.int(sps.length - 8)]!;
      const k = rng.next();
      em.spSignin({ ms, sp, error: sp.managed || k < 0.98 ? null : k < 0.99 ? ERRORS.badSecret : ERRORS.expiredSecret });
    } else {
      this.ids(ms);
    }
  }

  private interactive(ms: number): void {
    const rng = this.rng;
    const em = this.em;
    const u = this.user();
    const k = rng.next();
    if (k < 0.02) {
      // Opportunistic password guessing from a scanner: always fails.
      em.signin({ ms, user: u, ip: rng.pick(this.world.scanners), error: rng.chance(0.8) ? ERRORS.badPassword : ERRORS.noUser, device: u.device, app: APPS[1] });
      return;
    }
    const ip = this.ipOf(u);
    const app = rng.pick(APPS);
    const via = rng.chance(0.1) ? 'graph' : rng.chance(0.005) ? 'both' : 'diag';
    if (k < 0.05) {
      const e = rng.pick([ERRORS.badPassword, ERRORS.badPassword, ERRORS.kmsi, ERRORS.caBlocked, ERRORS.locked, ERRORS.mfaRequiredLocation]);
      em.signin({ ms, user: u, ip, app, error: e, via });
      return;
    }
    if (k < 0.2) {
      // MFA step-up: Entra writes a 50074 record, then the success with the same correlation id.
      const correlationId = rng.guid();
      em.signin({ ms, user: u, ip, app, error: ERRORS.mfaRequired, correlationId, via });
      em.signin({ ms: ms + 4000 + rng.int(20000), user: u, ip, app, correlationId, via });
      return;
    }
    em.signin({ ms, user: u, ip, app, via, copies: rng.chance(0.003) ? 2 : 1 });
  }

  private ids(ms: number): void {
    const rng = this.rng;
    const em = this.em;
    const sensor = rng.chance(0.75) ? 0 : 1;
    const k = rng.next();
    if (k < 0.04) {
      const a = rng.next();
      if (a < 0.85) {
        em.alert({ ms, ip: rng.pick(this.world.scanners), sig: rng.pick(SIGNATURES), sensor });
      } else if (a < 0.95 && this.world.flagged.length > 0) {
        em.alert({ ms, ip: rng.pick(this.world.flagged).home, sig: SIGNATURES[rng.chance(0.5) ? 5 : 7]!, sensor });
      } else {
        const src = this.world.registry.get(rng.pick(this.world.internal), { city: '', state: '', country: '', lat: 0, lon: 0, asn: 0 });
        const s = rng.pick(POLICY_SIGNATURES);
        em.alert({ ms, ip: src, sig: s, sensor, dest: rng.pick(SERVICES).ip });
      }
      return;
    }
    const svc = rng.pick(SERVICES);
    const kind = k < 0.38 ? 'flow' : k < 0.68 ? 'dns' : k < 0.87 ? 'tls' : 'http';
    em.traffic({
      ms, sensor, src: rng.pick(this.world.internal), dest: svc.ip, host: svc.host, issuer: svc.issuer,
      kind, resolver: sensor === 0 ? '10.1.0.53' : '10.1.0.54',
    });
  }
}
