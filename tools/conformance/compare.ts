// The conformance suite: every raw record of the shared vendor test vectors
// (../shared/fixtures, Elastic integration pipeline tests) goes through crosswatch's
// framing and decoders exactly as `crosswatch normalize` reads it, and the result is
// compared, field by field, with the peer's expected ECS document at the same
// position. Every disagreement is either listed (tools/conformance/differences.ts, with
// a reason) or unexplained; a listed difference that no longer occurs is stale.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { decodeRecord } from '../../src/decoders/index.js';
import { field, first, isObject } from '../../src/decoders/fields.js';
import type { DecodeContext, RawRecord } from '../../src/decoders/types.js';
import { formatOrigin } from '../../src/decoders/types.js';
import type { DecodedEvent } from '../../src/model/event.js';
import { canonicalIp } from '../../src/model/ip.js';
import { formatInstant, parseTime } from '../../src/model/time.js';
import { frameFile } from '../../src/inputs/framing.js';
import type { FramedItem } from '../../src/inputs/framing.js';
import { LISTED_DIFFERENCES, type ConformanceField, type ListedDifference } from './differences.js';

export type { ConformanceField, ListedDifference } from './differences.js';

/** The compared fields, in report order. */
export const COMPARED_FIELDS: readonly ConformanceField[] = [
  '@timestamp', 'source.ip', 'destination.ip', 'event.outcome', 'event.action', 'event.category', 'user.name', 'rule.name', 'event.severity',
];

/** Per-folder settings: what a user would configure for that source. */
export interface FolderConfig {
  /** Zone for zone-less device times (`--device-timezone`), as the peer's test config had it. */
  zone?: string;
  /** The "now" used to infer missing years (ISO 8601). */
  reference?: string;
  /** A raw file compared with another file's expected documents (same events, other container). */
  expectedFrom?: Record<string, string>;
  /** Upstream files that are not valid as published, and the minimal repair applied before framing. */
  repair?: Record<string, 'trailing-commas'>;
}

export const DEFAULT_REFERENCE = '2026-01-01T00:00:00Z';

export const SUITE_CONFIG: Record<string, FolderConfig> = {
  'azure-signinlogs': {},
  'o365-audit': {},
  'suricata-eve': {},
  'zeek-notice': {},
  // The expected documents carry event.timezone "+09:30" (a device zone the pipeline test configured).
  'panw-panos': { zone: '+09:30' },
  'fortinet-fortigate': {},
  // fast.log has no year and no zone: the peer's test ran with America/Chicago and in 2021.
  snort: { zone: 'America/Chicago', reference: '2021-12-31T23:59:59Z' },
  // test-cef.log holds the same four events as test-cef.json, whose expected output is saved.
  cef: { expectedFrom: { 'test-cef.log': 'test-cef.json-expected.json' } },
  // Graph's documentation example has a trailing comma; there is no peer output for it.
  msgraph: { repair: { 'signin-get.md.response-example.json': 'trailing-commas' } },
};

export type Verdict = 'agree' | 'listed' | 'unexplained';

export interface Finding {
  folder: string;
  file: string;
  /** 0-based record position in the file (= position of the peer's expected document). */
  index: number;
  /** A compared field, or "decode" when the record did not decode at all. */
  field: ConformanceField | 'decode';
  ours: unknown;
  peer: unknown;
  verdict: Verdict;
  reason?: string;
}

export interface SourceSummary {
  folder: string;
  files: number;
  records: number;
  /** Records with a peer document. */
  withPeer: number;
  fieldsCompared: number;
  agreements: number;
  listed: number;
  unexplained: number;
}

export interface ConformanceReport {
  sources: SourceSummary[];
  /** Every disagreement (listed or not) and every record that failed to decode. */
  findings: Finding[];
  unexplained: Finding[];
  /** Listed differences (one per index) that did not occur in this run. */
  stale: Array<ListedDifference & { index: number }>;
  /** Decoded records, for callers that check more (tests). */
  decoded: Array<{ folder: string; file: string; index: number; decoder: string | null; event?: DecodedEvent; peer: Record<string, unknown> | null }>;
}

export interface RunOptions {
  /** The fixtures folder (default: ../shared/fixtures beside the repository). */
  fixturesDir?: string;
  /** Only these folders. */
  folders?: readonly string[];
  /** The listed differences (default: LISTED_DIFFERENCES). */
  listed?: readonly ListedDifference[];
}

export function defaultFixturesDir(): string {
  return fileURLToPath(new URL('../../../shared/fixtures/', import.meta.url));
}

/** Raw input files of a folder: not the expected outputs, configs or READMEs. */
export function rawFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => (f.endsWith('.log') || f.endsWith('.json')) && !f.endsWith('-expected.json'))
    .sort();
}

function contextFor(cfg: FolderConfig): DecodeContext {
  const ref = Date.parse(cfg.reference ?? DEFAULT_REFERENCE);
  const ctx: DecodeContext = { defaultOffsetMinutes: 0, reference: { ms: ref, ns: 0 } };
  if (cfg.zone !== undefined) ctx.zone = cfg.zone;
  return ctx;
}

type Item = { record: RawRecord } | { problem: string };

async function frameAll(path: string, display: string): Promise<Item[]> {
  const out: Item[] = [];
  for await (const batch of frameFile(path, display)) {
    for (const it of batch as FramedItem[]) {
      if (it.kind === 'problem') out.push({ problem: `${formatOrigin(it.origin)}: ${it.reason}: ${it.message}` });
      else out.push({ record: it });
    }
  }
  return out;
}

/**
 * elastic-package `{"events":[...]}` files: each item is a record pre-parsed under
 * `o365audit`, or carries the raw record in `event.original` (JSON text, or a text
 * line such as CEF), or is the record itself.
 */
function eventsItems(text: string, display: string): Item[] | null {
  let doc: unknown;
  try {
    doc = JSON.parse(text) as unknown;
  } catch {
    return null;
  }
  if (!isObject(doc) || !Array.isArray(doc['events'])) return null;
  return doc['events'].map((item: unknown, index): Item => {
    const origin = { source: display, line: 1, index };
    if (!isObject(item)) return { problem: `${display}[${index}]: not an object` };
    const pre = item['o365audit'];
    // The pre-parsed record is authoritative: some upstream event.original texts are not valid JSON.
    if (isObject(pre)) return { record: { kind: 'json', value: pre, origin } };
    const original = field(item, 'event.original');
    if (typeof original === 'string') {
      const t = original.trim();
      if (t.startsWith('{')) {
        try {
          const v = JSON.parse(t) as unknown;
          if (isObject(v)) return { record: { kind: 'json', value: v, origin, text: original } };
        } catch {
          // a text record after all
        }
      }
      return { record: { kind: 'text', value: original, origin } };
    }
    return { record: { kind: 'json', value: item, origin } };
  });
}

async function loadItems(dir: string, folder: string, file: string, cfg: FolderConfig): Promise<Item[]> {
  const path = join(dir, file);
  const display = `${folder}/${file}`;
  const text = readFileSync(path, 'utf8');
  if (file.endsWith('.json')) {
    const items = eventsItems(text, display);
    if (items) return items;
  }
  if (cfg.repair?.[file] === 'trailing-commas') {
    const tmp = mkdtempSync(join(tmpdir(), 'cw-conformance-'));
    try {
      const fixed = join(tmp, file);
      writeFileSync(fixed, text.replace(/,(\s*[\]}])/g, '$1'));
      return await frameAll(fixed, display);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  return frameAll(path, display);
}

function loadExpected(dir: string, name: string): Record<string, unknown>[] | null {
  const p = join(dir, name);
  if (!existsSync(p)) return null;
  return (JSON.parse(readFileSync(p, 'utf8')) as { expected: Record<string, unknown>[] }).expected;
}

// --- Field extraction --------------------------------------------------------

function peerStr(doc: unknown, path: string): string | undefined {
  const v = first(field(doc, path));
  if (typeof v === 'string' && v.trim() !== '') return v;
  if (typeof v === 'number') return String(v);
  return undefined;
}

/** The peer's time as an ms-precision ISO instant (the peer keeps milliseconds). */
function peerTime(doc: unknown): string | undefined {
  const v = field(doc, '@timestamp');
  if (typeof v !== 'string') return undefined;
  const t = parseTime(v);
  return t ? formatInstant({ ms: t.ms, ns: 0 }) : v;
}

function peerIp(doc: unknown, side: 'source' | 'destination'): string | undefined {
  const v = peerStr(doc, `${side}.ip`) ?? (side === 'source' ? peerStr(doc, 'client.ip') : undefined);
  if (v === undefined) return undefined;
  return canonicalIp(v) ?? v;
}

/**
 * The names the peer gives the record's user: user.email, user.name joined with
 * user.domain where the peer split a UPN, user.name, user.id. crosswatch keys a user
 * by one string; it agrees when that string is one of these.
 */
function peerUsers(doc: unknown): string[] | undefined {
  const out: string[] = [];
  const email = peerStr(doc, 'user.email');
  const name = peerStr(doc, 'user.name');
  const domain = peerStr(doc, 'user.domain');
  const id = peerStr(doc, 'user.id');
  if (email !== undefined) out.push(email);
  if (name !== undefined && domain !== undefined && !name.includes('@') && domain.includes('.')) out.push(`${name}@${domain}`);
  if (name !== undefined) out.push(name);
  if (id !== undefined) out.push(id);
  return out.length > 0 ? [...new Set(out)] : undefined;
}

function sortedList(v: unknown): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  const list = (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string');
  return list.length > 0 ? [...new Set(list)].sort() : undefined;
}

function peerNum(doc: unknown, path: string): number | undefined {
  const v = first(field(doc, path));
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

/** When a field is compared: 'either' side has it, the 'peer' has it, or 'both' have it. */
const WHEN: Record<ConformanceField, 'either' | 'peer' | 'both'> = {
  '@timestamp': 'either',
  'source.ip': 'either',
  'event.outcome': 'either',
  'event.action': 'peer',
  'event.category': 'peer',
  'user.name': 'peer',
  'rule.name': 'peer',
  'event.severity': 'peer',
  'destination.ip': 'both',
};

function values(f: ConformanceField, ours: DecodedEvent, peer: Record<string, unknown>): [unknown, unknown] {
  const e = ours.event;
  switch (f) {
    case '@timestamp':
      return [formatInstant({ ms: ours.at.ms, ns: 0 }), peerTime(peer)];
    case 'source.ip':
      return [e.source?.ip, peerIp(peer, 'source')];
    case 'destination.ip':
      return [e.destination?.ip, peerIp(peer, 'destination')];
    case 'event.outcome':
      return [e.event.outcome, peerStr(peer, 'event.outcome')];
    case 'event.action':
      return [e.event.action, peerStr(peer, 'event.action')];
    case 'event.category':
      return [sortedList(e.event.category), sortedList(field(peer, 'event.category'))];
    case 'user.name': {
      const names = peerUsers(peer);
      const mine = e.user?.name;
      // One of the peer's names is agreement: report it alone so equality holds.
      if (names && mine !== undefined && names.includes(mine)) return [mine, mine];
      return [mine, names?.length === 1 ? names[0] : names];
    }
    case 'rule.name':
      return [e.rule?.name, peerStr(peer, 'rule.name')];
    case 'event.severity':
      return [e.event.severity, peerNum(peer, 'event.severity')];
  }
}

function compared(f: ConformanceField, ours: unknown, peer: unknown): boolean {
  const when = WHEN[f];
  if (when === 'either') return ours !== undefined || peer !== undefined;
  if (when === 'peer') return peer !== undefined;
  return ours !== undefined && peer !== undefined;
}

// --- Listed differences ------------------------------------------------------

function listedMatch(list: readonly ListedDifference[], f: Omit<Finding, 'verdict' | 'reason'>): ListedDifference | undefined {
  return list.find(
    (l) =>
      l.folder === f.folder && l.file === f.file && l.field === f.field && l.indexes.includes(f.index) &&
      (!('ours' in l) || isDeepStrictEqual(l.ours, f.ours)) &&
      (!('peer' in l) || isDeepStrictEqual(l.peer, f.peer)),
  );
}

// --- The run -------------------------------------------------------------------

export async function runConformance(opts: RunOptions = {}): Promise<ConformanceReport> {
  const dir = opts.fixturesDir ?? defaultFixturesDir();
  const listed = opts.listed ?? LISTED_DIFFERENCES;
  const folders = opts.folders ?? Object.keys(SUITE_CONFIG).filter((f) => existsSync(join(dir, f)));
  const report: ConformanceReport = { sources: [], findings: [], unexplained: [], stale: [], decoded: [] };
  const used = new Set<string>();
  const key = (l: { folder: string; file: string; field: string }, index: number): string => `${l.folder}\u0000${l.file}\u0000${index}\u0000${l.field}`;

  for (const folder of folders) {
    const cfg = SUITE_CONFIG[folder] ?? {};
    const ctx = contextFor(cfg);
    const fdir = join(dir, folder);
    const sum: SourceSummary = { folder, files: 0, records: 0, withPeer: 0, fieldsCompared: 0, agreements: 0, listed: 0, unexplained: 0 };
    const record = (f: Omit<Finding, 'verdict' | 'reason'>): void => {
      const l = listedMatch(listed, f);
      if (l) {
        used.add(key(l, f.index));
        report.findings.push({ ...f, verdict: 'listed', reason: l.reason });
        sum.listed++;
      } else {
        const u: Finding = { ...f, verdict: 'unexplained' };
        report.findings.push(u);
        report.unexplained.push(u);
        sum.unexplained++;
      }
    };
    for (const file of rawFiles(fdir)) {
      sum.files++;
      const items = await loadItems(fdir, folder, file, cfg);
      const expected = loadExpected(fdir, cfg.expectedFrom?.[file] ?? `${file}-expected.json`);
      if (expected && expected.length !== items.length) {
        record({ folder, file, index: -1, field: 'decode', ours: `${items.length} records`, peer: `${expected.length} documents` });
      }
      items.forEach((item, index) => {
        sum.records++;
        const peer = expected?.[index] ?? null;
        if (peer) sum.withPeer++;
        if ('problem' in item) {
          report.decoded.push({ folder, file, index, decoder: null, peer });
          record({ folder, file, index, field: 'decode', ours: item.problem, peer: peer ? 'a document' : undefined });
          return;
        }
        const d = decodeRecord(item.record, ctx);
        if (!d.result.ok) {
          report.decoded.push({ folder, file, index, decoder: d.decoder, peer });
          record({ folder, file, index, field: 'decode', ours: `${d.decoder ?? 'no decoder'}: ${d.result.error.reason}: ${d.result.error.message}`, peer: peer ? 'a document' : undefined });
          return;
        }
        report.decoded.push({ folder, file, index, decoder: d.decoder, event: d.result.event, peer });
        if (!peer) return;
        for (const f of COMPARED_FIELDS) {
          const [ours, theirs] = values(f, d.result.event, peer);
          if (!compared(f, ours, theirs)) continue;
          sum.fieldsCompared++;
          if (isDeepStrictEqual(ours, theirs)) sum.agreements++;
          else record({ folder, file, index, field: f, ours, peer: theirs });
        }
      });
    }
    report.sources.push(sum);
  }

  // Stale entries: listed for a folder that ran, but not met.
  for (const l of listed) {
    if (!folders.includes(l.folder)) continue;
    for (const index of l.indexes) if (!used.has(key(l, index))) report.stale.push({ ...l, index });
  }
  return report;
}

/** A plain-text table per source, then the unexplained and stale entries. */
export function formatReport(r: ConformanceReport): string {
  const head = ['source', 'files', 'records', 'with peer', 'fields compared', 'agreements', 'listed differences', 'unexplained'];
  const rows = r.sources.map((s) => [s.folder, s.files, s.records, s.withPeer, s.fieldsCompared, s.agreements, s.listed, s.unexplained].map(String));
  const total = r.sources.reduce(
    (a, s) => [a[0]! + s.files, a[1]! + s.records, a[2]! + s.withPeer, a[3]! + s.fieldsCompared, a[4]! + s.agreements, a[5]! + s.listed, a[6]! + s.unexplained],
    [0, 0, 0, 0, 0, 0, 0],
  );
  rows.push(['total', ...total.map(String)]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
  if (r.unexplained.length > 0) {
    out.push('', `Unexplained differences (${r.unexplained.length}):`);
    for (const u of r.unexplained) out.push(`  ${u.folder}/${u.file}[${u.index}] ${u.field}: crosswatch ${JSON.stringify(u.ours)} vs peer ${JSON.stringify(u.peer)}`);
  }
  if (r.stale.length > 0) {
    out.push('', `Stale listed differences (no longer occur) (${r.stale.length}):`);
    for (const s of r.stale) out.push(`  ${s.folder}/${s.file}[${s.index}] ${s.field}`);
  }
  return out.join('\n');
}

/** The listed differences as a Markdown table (docs/conformance.md is generated from it). */
export function differencesMarkdown(list: readonly ListedDifference[] = LISTED_DIFFERENCES): string {
  const cell = (v: unknown): string => (v === undefined ? '(none)' : `\`${JSON.stringify(v)}\``).replace(/\|/g, '\\|');
  const rows = list.map((l) =>
    `| ${l.folder}/${l.file} | [${l.indexes.join(', ')}] | ${l.field} | ${cell(l.ours)} | ${cell(l.peer)} | ${l.reason.replace(/\|/g, '\\|')} |`,
  );
  return ['| fixture | records | field | crosswatch | peer | reason |', '|---|---|---|---|---|---|', ...rows].join('\n');
}
