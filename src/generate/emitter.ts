// The generator's single write path: every record (background or planted) is
// built here, written to its vendor file, and — when its address is tracked (has
// or will have a network alert) — recorded as a fact for the reference
// implementation. Facts for untracked addresses cannot produce pairs, so they are
// never kept; memory stays bounded whatever the record count.
//
// The NDJSON mix (Sinks.graph and Sinks.purview null) writes the same records, in
// the same order, with the same random draws and facts: only the framing changes,
// and a record the mixed layout writes in two places (Graph page and diagnostic
// NDJSON, Purview CSV and API blob: same id) is written once.
import { canonicalIp } from '../model/ip.js';
import type { Fact, FactRole } from './reference.js';
import type { Rng } from './rng.js';
import type { CsvSink, Sink } from './sinks.js';
import type { Device, GenIp, GenUser, ServicePrincipal, App } from './world.js';
import { APPS } from './world.js';
import {
  aadLogin, entraSpRecord, entraUserRecord, eveAlert, eveTraffic, exchangeOther, folderPool, graphSignin,
  mailItemsAccessed, purviewRow, sharePointFile,
} from './vendors.js';
import type { ExchangeOther, Sensor, Signature, SigninError } from './vendors.js';

export interface Sinks {
  signin: Sink;
  nonInteractive: Sink;
  /** ServicePrincipalSignInLogs; in the mixed layout the same `{"records":[...]}` blobs as managedIdentity. */
  servicePrincipal: Sink;
  managedIdentity: Sink;
  /** Graph pages; null in the NDJSON mix, where Graph sign-ins are written in the diagnostic shape. */
  graph: Sink | null;
  exchange: Sink;
  aad: Sink;
  sharepoint: Sink;
  /** The Purview CSV; null in the NDJSON mix, where its records go to the API files. */
  purview: CsvSink | null;
  eve: Sink[];
}

export type M365Route = 'api' | 'csv' | 'both';

export interface SigninOpts {
  ms: number;
  ns?: number;
  user: GenUser;
  ip: GenIp;
  /** The address as written (defaults to the canonical form, as Entra writes it). */
  ipText?: string;
  interactive?: boolean;
  error?: SigninError | null;
  app?: App;
  device?: Device;
  risk?: 'none' | 'medium' | 'high';
  /** Where the record goes: diagnostic NDJSON, a Graph page, or both (same id). */
  via?: 'diag' | 'graph' | 'both';
  /** How many times the diagnostic record is written (pipeline retries). */
  copies?: number;
  delayMs?: number;
  correlationId?: string;
}

export interface MailOpts {
  ms: number;
  user: GenUser;
  ip: GenIp;
  ipAddress?: string;
  clientIp?: string | null;
  failed?: boolean;
  via?: M365Route;
  copies?: number;
  clientInfo?: string;
  appId?: string;
  sync?: boolean;
}

export interface AlertOpts {
  ms: number;
  ns?: number;
  /** Source address object (tracked or not) and how EVE spells it. */
  ip: GenIp;
  sig: Signature;
  sensor?: number;
  dest?: string;
}

const PORTS_LOW = 49152;

export class Emitter {
  /** Records written. */
  records = 0;
  /**
   * Records the mixed layout writes for the calls so far (= records there). The
   * generator stops on this count, so that both mixes make the same calls.
   */
  mixedRecords = 0;
  /** Rows the mixed layout writes to the Purview CSV so far (routing caps them, in both mixes). */
  csvRows = 0;
  readonly facts: Fact[] = [];
  private readonly folders: Array<{ json: string; count: number }>;
  private readonly communities: string[] = [];

  constructor(
    private readonly rng: Rng,
    private readonly sinks: Sinks,
    readonly sensors: Sensor[],
    /** Destination addresses for inbound alerts: [v4 public, v4 NATed, v6]. */
    private readonly dmz: { v4: string; nat: string; v6: string },
  ) {
    this.folders = folderPool(rng, 600);
    for (let i = 0; i < 2048; i++) this.communities.push(rng.b64(27));
  }

  private fact(role: FactRole, ip: GenIp, text: string, ms: number, ns: number, user: string | undefined, success: boolean, id: string | undefined): void {
    if (!ip.tracked) return;
    const f: Fact = { role, ip: canonicalIp(text), at: { ms, ns }, success };
    if (user !== undefined) f.user = user;
    if (id !== undefined) f.recordId = id;
    this.facts.push(f);
  }

  private put(sink: Sink, text: string, times = 1): void {
    for (let i = 0; i < times; i++) {
      sink.add(text);
      this.records++;
    }
  }

  private port(): number {
    return PORTS_LOW + this.rng.int(16000);
  }

  /** A user sign-in (SignInLogs / NonInteractiveUserSignInLogs / Graph). Returns its id. */
  signin(o: SigninOpts): string {
    const rng = this.rng;
    const ns = Math.floor((o.ns ?? rng.int(10000) * 100) / 100) * 100;
    const interactive = o.interactive ?? true;
    const id = rng.guid();
    const p = {
      category: interactive ? ('SignInLogs' as const) : ('NonInteractiveUserSignInLogs' as const),
      id,
      correlationId: o.correlationId ?? rng.guid(),
      ms: o.ms,
      ns,
      delayMs: o.delayMs ?? 20000 + rng.int(240000),
      ipText: o.ipText ?? o.ip.canon,
      ip: o.ip,
      user: o.user,
      app: o.app ?? rng.pick(APPS),
      device: o.device ?? o.user.device,
      error: o.error ?? null,
      risk: o.risk ?? 'none',
      uti: rng.b64(22),
    };
    const via = o.via ?? 'diag';
    const copies = o.copies ?? 1;
    const diag = interactive ? this.sinks.signin : this.sinks.nonInteractive;
    const graph = this.sinks.graph;
    this.mixedRecords += (via !== 'graph' ? copies : 0) + (via !== 'diag' ? 1 : 0);
    if (graph === null) {
      // One shape for all: a Graph-only sign-in as a diagnostic record (same id and content);
      // the Graph copy of one in both would repeat its diagnostic record, so it is left out.
      this.put(diag, entraUserRecord(p), via === 'graph' ? 1 : copies);
    } else {
      if (via !== 'graph') this.put(diag, entraUserRecord(p), copies);
      if (via !== 'diag') this.put(graph, graphSignin(p));
    }
    this.fact('signin', o.ip, p.ipText, o.ms, ns, o.user.upn, p.error === null, id);
    return id;
  }

  /** A service principal or managed identity sign-in (the `{"records":[...]}` blobs, or their NDJSON files). */
  spSignin(o: { ms: number; ns?: number; sp: ServicePrincipal; ip?: GenIp; error?: SigninError | null }): void {
    const rng = this.rng;
    const ns = Math.floor((o.ns ?? rng.int(10000) * 100) / 100) * 100;
    const ip = o.ip ?? o.sp.ip;
    const ipText = o.sp.managed ? '' : ip.canon;
    const id = rng.guid();
    this.mixedRecords++;
    this.put(o.sp.managed ? this.sinks.managedIdentity : this.sinks.servicePrincipal, entraSpRecord({
      id, correlationId: rng.guid(), ms: o.ms, ns, delayMs: 15000 + rng.int(120000), ipText, ip, sp: o.sp,
      error: o.error ?? null, uti: rng.b64(22),
    }));
    if (!o.sp.managed) this.fact('signin', ip, ipText, o.ms, ns, o.sp.name, (o.error ?? null) === null, id);
  }

  private m365(route: M365Route, sink: Sink, ms: number, user: string, op: string, text: string, copies = 1): void {
    this.mixedRecords += (route !== 'csv' ? copies : 0) + (route !== 'api' ? 1 : 0);
    if (route !== 'api') this.csvRows++;
    const purview = this.sinks.purview;
    if (purview === null) {
      // No CSV: a CSV-only record goes to the API file; one in both is there already (same Id).
      this.put(sink, text, route === 'csv' ? 1 : copies);
      return;
    }
    if (route !== 'csv') this.put(sink, text, copies);
    if (route !== 'api') {
      purview.addRow(purviewRow(ms, user, op, text));
      this.records++;
    }
  }

  /** Default ClientIPAddress / ClientIP spellings for an Exchange record. */
  private exoSpellings(ip: GenIp): { ipAddress: string; clientIp: string | null } {
    const r = this.rng.next();
    if (ip.v6) return { ipAddress: ip.canon, clientIp: r < 0.5 ? `[${ip.canon}]:${this.port()}` : null };
    return {
      ipAddress: r < 0.15 ? `::ffff:${ip.canon}` : ip.canon,
      clientIp: r < 0.55 ? `${ip.canon}:${this.port()}` : null,
    };
  }

  mail(o: MailOpts): string {
    const rng = this.rng;
    const ms = Math.floor(o.ms / 1000) * 1000;
    const sp = this.exoSpellings(o.ip);
    const ipAddress = o.ipAddress ?? sp.ipAddress;
    const clientIp = o.clientIp === undefined ? sp.clientIp : o.clientIp;
    const folder = rng.pick(this.folders);
    const id = rng.guid();
    const sync = o.sync ?? rng.chance(0.1);
    const text = mailItemsAccessed({
      id, ms, user: o.user, ipAddress, clientIp,
      clientInfo: o.clientInfo ?? o.user.device.clientInfo,
      appId: o.appId ?? '00000002-0000-0ff1-ce00-000000000000',
      sessionId: rng.guid(), failed: o.failed ?? false, folders: folder.json, count: folder.count, sync,
    });
    this.m365(o.via ?? 'api', this.sinks.exchange, ms, o.user.upn, 'MailItemsAccessed', text, o.copies);
    this.fact('mail_access', o.ip, ipAddress, ms, 0, o.user.upn, !(o.failed ?? false), id);
    return id;
  }

  /** M365 audit UserLoggedIn / UserLoginFailed (AzureActiveDirectory workload). */
  aadLogin(o: { ms: number; user: GenUser; ip: GenIp; clientIp?: string; failed?: boolean; via?: M365Route; device?: Device; appId?: string }): void {
    const rng = this.rng;
    const ms = Math.floor(o.ms / 1000) * 1000;
    const clientIp = o.clientIp ?? o.ip.canon;
    const device = o.device ?? o.user.device;
    const id = rng.guid();
    const failed = o.failed ?? false;
    const text = aadLogin({
      id, ms, user: o.user, clientIp, failed, userAgent: device.userAgent, device,
      appId: o.appId ?? '00000002-0000-0ff1-ce00-000000000000', sessionId: rng.guid(), interSystemsId: rng.guid(),
    });
    this.m365(o.via ?? 'api', this.sinks.aad, ms, o.user.upn, failed ? 'UserLoginFailed' : 'UserLoggedIn', text);
    this.fact('signin', o.ip, clientIp, ms, 0, o.user.upn, !failed, id);
  }

  exchangeOp(o: { ms: number; user: GenUser; ip: GenIp; op: ExchangeOther['op']; subject?: string; via?: M365Route }): void {
    const rng = this.rng;
    const ms = Math.floor(o.ms / 1000) * 1000;
    const v6 = o.ip.v6;
    const text = exchangeOther({
      id: rng.guid(), ms, user: o.user, op: o.op,
      clientIp: v6 ? `[${o.ip.canon}]:${this.port()}` : `${o.ip.canon}:${this.port()}`,
      ipAddress: o.ip.canon, clientInfo: o.user.device.clientInfo, sessionId: rng.guid(),
      subject: o.subject ?? rng.pick(SUBJECTS),
    });
    this.m365(o.via ?? 'api', this.sinks.exchange, ms, o.user.upn, o.op, text);
  }

  sharePoint(o: { ms: number; user: GenUser; ip: GenIp; op?: 'FileAccessed' | 'FileDownloaded' | 'FileModified' | 'FilePreviewed'; via?: M365Route }): void {
    const rng = this.rng;
    const ms = Math.floor(o.ms / 1000) * 1000;
    const op = o.op ?? rng.pick(SP_OPS);
    const text = sharePointFile({
      id: rng.guid(), ms, user: o.user, op, clientIp: o.ip.canon, userAgent: o.user.device.userAgent,
      site: rng.pick(SITES), file: rng.pick(FILES), listId: rng.guid(), itemId: rng.guid(),
    });
    this.m365(o.via ?? 'api', this.sinks.sharepoint, ms, o.user.upn, op, text);
  }

  alert(o: AlertOpts): void {
    const rng = this.rng;
    const ns = Math.floor((o.ns ?? rng.int(1000) * 1000) / 1000) * 1000;
    const sensor = this.sensors[o.sensor ?? 0]!;
    const dest = o.dest ?? (o.ip.v6 ? this.dmz.v6 : (o.sensor ?? 0) === 0 ? this.dmz.v4 : this.dmz.nat);
    const sinkIdx = o.sensor ?? 0;
    this.mixedRecords++;
    this.put(this.sinks.eve[sinkIdx]!, eveAlert({
      sensor, ms: o.ms, ns, flowId: rng.bigId(), src: o.ip.eve, srcPort: this.port(), dest, sig: o.sig,
      community: rng.pick(this.communities),
    }));
    this.fact('network_alert', o.ip, o.ip.eve, o.ms, ns, undefined, true, undefined);
  }

  traffic(o: { ms: number; sensor: number; src: string; dest: string; host: string; issuer: string; kind: 'flow' | 'dns' | 'tls' | 'http'; resolver: string }): void {
    const rng = this.rng;
    this.mixedRecords++;
    this.put(this.sinks.eve[o.sensor]!, eveTraffic({
      sensor: this.sensors[o.sensor]!, ms: o.ms, ns: rng.int(1000) * 1000, flowId: rng.bigId(), src: o.src,
      srcPort: this.port(), dest: o.dest, host: o.host, issuer: o.issuer, kind: o.kind, resolver: o.resolver,
      community: rng.pick(this.communities),
    }));
  }
}

const SUBJECTS = [
  'RE: Q1 forecast', 'Invoice 2026-0317', 'Updated wire instructions', 'Board deck v7', 'Fwd: Contract renewal',
  'Team offsite – agenda', 'Your password expires soon', 'AW: Angebot Nr. 4711', 'Payroll March', 'Lunch?',
];
const SP_OPS = ['FileAccessed', 'FileAccessed', 'FileAccessed', 'FilePreviewed', 'FileModified', 'FileDownloaded'] as const;
const SITES = ['Finance', 'HR', 'Engineering', 'Sales', 'Legal', 'Marketing', 'Board'];
const FILES = [
  'Q1 Forecast.xlsx', 'Budget 2026.xlsx', 'Employee Handbook.docx', 'Pricing.pptx', 'NDA template.docx',
  'Roadmap.pptx', 'Salaries 2026.xlsx', 'Customer list.csv', 'Architecture.vsdx', 'Offsite.pdf',
];
