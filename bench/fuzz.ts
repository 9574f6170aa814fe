// `npm run fuzz`: a fast-check property run per decoder over mutated records
// (docs/reliability.md). Valid seed records come from the sample corpus
// (test/corpus/), the generator, the rule samples, the peer test vectors
// (../shared/fixtures/, when present) and a few built in here; each run mutates
// them (bytes flipped, characters inserted and deleted, truncation, huge sizes,
// control characters, every Unicode plane and lone surrogates; for JSON and CSV
// records fields removed, wrong types, huge strings, deep nesting, prototype-ish
// keys, edge numbers, far dates) and checks every decoder call:
//   (a) accepts() and decode() never throw (a throw is a crash);
//   (b) no call takes over 100 ms (a hang, confirmed by re-running it);
//   (c) each result keeps the contract: {ok:true} with a canonical @timestamp and
//       source.ip, or {ok:false} with a known reason and a short message;
//   (d) the untouched seeds decode the same after every batch of mutations;
// and an end-to-end check per decoder: a file of valid lines interleaved with
// mutated ones, through framing and the pipeline, counts every record once and
// still yields every valid line's event.
//
//   npm run fuzz -- --records 1000000 --seed 1 [--decoder NAME] [--e2e-lines N]
//
// Exit code 1 on any crash, hang, contract violation or lost valid record.
import fc from 'fast-check';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { execSync } from 'node:child_process';
import { DECODERS, decodeRecord } from '../src/decoders/index.js';
import type { DecodeContext, DecodeResult, Decoder, GenericMapping, RawRecord, RejectReason } from '../src/decoders/types.js';
import { parseMapSpec } from '../src/decoders/generic-json.js';
import { frameFile, frameLine, type FramedItem } from '../src/inputs/framing.js';
import { canonicalIp } from '../src/model/ip.js';
import { formatInstant } from '../src/model/time.js';
import { generate } from '../src/generate/generator.js';
import { runBatch } from '../src/hunt/batch.js';
import { buildConfig } from '../src/detect/config.js';
import { loadRules } from '../src/detect/rules.js';

// ---------------------------------------------------------------------------------------------
// Options

interface Options {
  records: number;
  seed: number;
  decoder: string | null;
  e2eLines: number;
  maxSeeds: number;
  batch: number;
  hangMs: number;
  /** Where to write the records of findings (JSON), for regression tests. */
  dump: string | null;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { records: 1_000_000, seed: 1, decoder: null, e2eLines: 400, maxSeeds: 48, batch: 2000, hangMs: 100, dump: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const int = (): number => {
      const v = value();
      const n = Number(v.replace(/_/g, ''));
      if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} ${v}: not a whole number`);
      return n;
    };
    switch (flag) {
      case '--records': o.records = int(); break;
      case '--seed': o.seed = int(); break;
      case '--decoder': o.decoder = value(); break;
      case '--e2e-lines': o.e2eLines = int(); break;
      case '--max-seeds': o.maxSeeds = Math.max(1, int()); break;
      case '--batch': o.batch = Math.max(1, int()); break;
      case '--hang-ms': o.hangMs = Math.max(1, int()); break;
      case '--dump': o.dump = value(); break;
      case '--help': case '-h':
        process.stdout.write('npm run fuzz -- [--records N (default 1000000, over all decoders)] [--seed S] [--decoder NAME] [--e2e-lines N] [--max-seeds N] [--batch N] [--hang-ms MS] [--dump DIR]\n');
        process.exit(0);
        break;
      default: throw new Error(`unknown option ${a}`);
    }
  }
  if (o.decoder !== null && !DECODERS.some((d) => d.name === o.decoder)) {
    throw new Error(`--decoder ${o.decoder}: no such decoder (${DECODERS.map((d) => d.name).join(', ')})`);
  }
  return o;
}

// ---------------------------------------------------------------------------------------------
// Context

const MAP_SPEC = 'ip=attacker.address,time=detected_at,name=threat.name,severity=level,sensor=sensor.id,dataset=acme.alerts';
const CTX: DecodeContext = {
  defaultOffsetMinutes: 0,
  reference: { ms: Date.UTC(2026, 2, 10), ns: 0 },
  genericMap: parseMapSpec(MAP_SPEC),
};
const HOSTILE_MAPS: GenericMapping[] = [
  { ip: '__proto__', time: 'constructor' },
  { ip: 'attacker.address.__proto__', time: 'detected_at.length', name: 'threat.name.constructor' },
  { ip: 'toString', time: 'valueOf', name: 'hasOwnProperty', severity: '__proto__.x', sensor: 'constructor.prototype' },
  { ip: 'a.b.c.d.e.f.g.h.i.j', time: 'detected_at', dataset: 'x' },
  { ip: 'attacker', time: 'attacker.port', name: 'attacker', severity: 'threat', sensor: 'victim' },
];
const ZONES = [undefined, '+09:30', '-05:00', 'America/New_York', 'Asia/Kathmandu'] as const;

const TRACE = process.env.FUZZ_TRACE === '1';

const REASONS: Record<RejectReason, true> = {
  'invalid-json': true, 'unknown-format': true, 'missing-time': true, 'invalid-time': true,
  'invalid-field': true, 'record-too-large': true, 'invalid-csv': true, 'json-limit': true,
};
/** A rejection's message must say something, and briefly. */
const MESSAGE_MAX = 600;
const TIMESTAMP_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3,9}Z$/;

// ---------------------------------------------------------------------------------------------
// Seeds

interface Seed {
  record: RawRecord;
  /** Where it came from ("test/corpus/cef/x.log:3"). */
  from: string;
  /** Its first decode (JSON), the reference the later ones must equal. */
  first: string;
}

/** A record's line form, as it would stand in a file (null: it has none, e.g. a CSV row without its header). */
function lineOf(r: RawRecord): string {
  if (r.kind === 'text') return r.value;
  // (A Zeek TSV data line's text is the line, not JSON: it needs its #fields header; write the record as JSON.)
  if (r.kind === 'json') return r.text !== undefined && r.text.trimEnd().endsWith('}') ? r.text : JSON.stringify(r.value);
  return JSON.stringify(r.value);
}

function walkFiles(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) walkFiles(p, out);
    else if (st.isFile()) out.push(p);
  }
  return out;
}

function safeAccepts(d: Decoder, r: RawRecord, ctx: DecodeContext): boolean {
  try {
    return d.accepts(r, ctx);
  } catch {
    return false;
  }
}

function safeDecode(d: Decoder, r: RawRecord, ctx: DecodeContext): DecodeResult | null {
  try {
    return d.decode(r, ctx);
  } catch {
    return null;
  }
}

function resultKey(r: DecodeResult | null): string {
  return r === null ? 'THROW' : JSON.stringify(r);
}

async function framedRecords(path: string, display: string): Promise<RawRecord[]> {
  const out: RawRecord[] = [];
  try {
    for await (const batch of frameFile(path, display)) {
      for (const item of batch) if (item.kind !== 'problem') out.push(item);
    }
  } catch (err) {
    process.stderr.write(`fuzz: cannot frame ${display}: ${(err as Error).message}\n`);
  }
  return out;
}

/** Hand-made seeds, from the shapes the decoders' tests use, for formats with few or no sample files. */
function builtinSeeds(): Array<{ decoder: string; record: RawRecord }> {
  const origin = { source: 'builtin', line: 1 };
  const json = (decoder: string, value: Record<string, unknown>): { decoder: string; record: RawRecord } => ({ decoder, record: { kind: 'json', value, origin } });
  const csv = (decoder: string, value: Record<string, string>): { decoder: string; record: RawRecord } => ({ decoder, record: { kind: 'csv', value, origin } });
  const text = (decoder: string, value: string): { decoder: string; record: RawRecord } => ({ decoder, record: { kind: 'text', value, origin } });
  const conn = {
    ts: 1772636400.123456, uid: 'CHhAvVGS1DHFjwGM9', 'id.orig_h': '81.2.69.144', 'id.orig_p': 51515, 'id.resp_h': '10.40.2.15', 'id.resp_p': 443,
    proto: 'tcp', service: 'ssl', duration: 12.5, orig_bytes: 1720, resp_bytes: 4322, conn_state: 'SF', missed_bytes: 0, history: 'ShADadFf',
  };
  const notice = {
    ts: 1767261600.123456, uid: 'CHhAvVGS1DHFjwGM9', 'id.orig_h': '81.2.69.142', 'id.orig_p': 52110, 'id.resp_h': '10.1.1.20', 'id.resp_p': 22,
    proto: 'tcp', note: 'SSH::Password_Guessing', msg: '81.2.69.142 appears to be guessing SSH passwords (seen in 30 connections).',
    sub: 'Sampled servers:  10.1.1.20', src: '81.2.69.142', peer_descr: 'zeek-edge-1', actions: ['Notice::ACTION_LOG'], suppress_for: 3600.0,
  };
  return [
    json('ecs', { '@timestamp': '2024-05-01T13:00:00.000Z', 'kibana.alert.original_time': '2024-05-01T12:00:00.500Z', 'kibana.alert.rule.name': 'Threat Intel IP Address Indicator Match', 'kibana.alert.uuid': 'abc123', event: { kind: 'signal', dataset: 'panw.panos' }, source: { ip: ['81.2.69.200'] }, host: { name: 'fw-1' } }),
    json('ecs', { '@timestamp': '2025-09-26T22:32:29Z', event: { dataset: 'o365.audit', action: 'MailItemsAccessed', outcome: 'success' }, source: { ip: '81.2.69.201' }, user: { name: 'dana@contoso.example' } }),
    json('ecs', { '@timestamp': '2025-09-26T22:32:29Z', event: { dataset: 'o365.audit', action: 'UserLoggedIn', outcome: 'success', provider: 'AzureActiveDirectory' }, source: { ip: '2a02:cf40::1' } }),
    json('ecs', { '@timestamp': '2024-05-01T12:00:00Z', event: { kind: 'alert', dataset: 'suricata.eve', severity: 2 }, source: { ip: '81.2.69.1', port: 4444 }, destination: { ip: '10.0.0.5', port: 443 }, rule: { name: 'ET SCAN Nmap', id: '2019401' }, observer: { name: 'ids-1', vendor: 'OISF' } }),
    json('ecs', { '@timestamp': '2024-05-01T12:00:00Z', event: { kind: 'event', dataset: 'azure.signinlogs', outcome: 'success', id: 'e-1' }, source: { ip: '81.2.69.2' }, user: { name: 'erin@contoso.example' }, azure: { signinlogs: { properties: { app_display_name: 'Office 365 Exchange Online', status: { error_code: 0 } } } } }),
    csv('entra-portal-csv', { 'Date (UTC)': '2026-03-02T10:11:12Z', 'Request ID': 'req-1', 'User agent': 'Mozilla/5.0', 'User ID': 'uid-1', User: 'Dana', Username: 'dana@contoso.example', Application: 'Office 365 Exchange Online', 'IP address': '81.2.69.145', Location: 'Oslo, Oslo, NO', Status: 'Success', 'Sign-in error code': '0', 'Client app': 'Browser' }),
    csv('entra-portal-csv', { 'Date (UTC)': '2026-03-02T10:20:00Z', 'Request ID': 'req-2', Username: 'erin@contoso.example', 'IP address': '81.2.69.146:50000', Status: 'Failure', 'Sign-in error code': '50126', 'Failure reason': 'Invalid username or password.' }),
    csv('entra-portal-csv', { 'Date (UTC)': '2026-03-02T10:30:00Z', 'Request ID': 'req-3', Username: 'erin@contoso.example', 'IP address': '2a02:cf40::2', Status: 'Interrupted', 'Sign-in error code': '50074' }),
    json('zeek-notice', notice),
    json('zeek-notice', { _path: 'notice', ts: '1767261600.500000', uid: 'C1', 'id.orig_h': '81.2.69.144', 'id.orig_p': '40000', 'id.resp_h': '10.0.0.2', 'id.resp_p': '443', note: 'Scan::Port_Scan', msg: 'scan', src: '81.2.69.144', actions: ['Notice::ACTION_LOG', 'Notice::ACTION_ALARM'] }),
    json('zeek-notice', { ts: '2026-01-01T10:00:00.123456Z', note: 'Scan::Address_Scan', msg: 'scan', id: { orig_h: '81.2.69.143' } }),
    json('zeek-log', conn),
    json('zeek-log', { ts: 1772636400.2, uid: 'C1x', 'id.orig_h': '10.40.2.15', 'id.orig_p': 53211, 'id.resp_h': '81.2.69.146', 'id.resp_p': 53, proto: 'udp', trans_id: 4711, query: 'example-cdn.net', qtype_name: 'A', rcode_name: 'NOERROR', answers: ['81.2.69.145'] }),
    json('zeek-log', { ts: 1772636400.3, uid: 'C2x', 'id.orig_h': '10.40.2.15', 'id.orig_p': 51000, 'id.resp_h': '81.2.69.145', 'id.resp_p': 80, trans_depth: 1, method: 'GET', host: 'example-cdn.net', uri: '/', status_code: 200, request_body_len: 0 }),
    json('zeek-log', { _path: 'conn', ts: '1772636400.123456', uid: 'CHhAvVGS1DHFjwGM9', 'id.orig_h': '81.2.69.144', 'id.orig_p': '51515', 'id.resp_h': '10.40.2.15', 'id.resp_p': '443', proto: 'tcp', conn_state: 'SF' }),
    json('zeek-log', { ts: 1772636400.6, fuid: 'FhWbEE3dN4xfBxtTYe', source: 'HTTP', analyzers: ['MD5', 'SHA1'], mime_type: 'application/x-dosexec', seen_bytes: 73802, total_bytes: 73802 }),
    json('generic-json', { alert_id: 'a-19f3', detected_at: '2024-05-01T12:00:00.250+02:00', attacker: { address: '81.2.69.192', port: 40123, asn: 20738 }, victim: { address: '10.1.2.3' }, threat: { name: 'Password spray against OWA', family: 'credential-access' }, level: 'high', sensor: { id: 'ndr-dmz-2' } }),
    json('generic-json', { alert_id: 'a-19f4', detected_at: 1714557600, attacker: { address: '2a02:cf40::7' }, threat: { name: 'Beacon' }, level: 3, sensor: { id: 'ndr-1' } }),
    json('generic-json', { detected_at: '2024-05-01T12:00:00Z', attacker: { address: '[2a02:cf40::8]:443' }, level: 'low' }),
    json('suricata-eve', { timestamp: '2024-05-01T12:00:00.123456+0200', flow_id: 1234, event_type: 'alert', src_ip: '81.2.69.192', src_port: 51234, dest_ip: '10.0.0.5', dest_port: 443, proto: 'TCP', host: 'sensor-dmz-1', app_proto: 'tls', alert: { action: 'allowed', gid: 1, signature_id: 2019401, rev: 3, signature: 'ET SCAN Suspicious inbound to MSSQL port 1433', category: 'Potentially Bad Traffic', severity: 2 } }),
    text('fast-log', '03/02-10:00:00.123456  [**] [1:2019401:3] ET SCAN Suspicious inbound to MSSQL port 1433 [**] [Classification: Potentially Bad Traffic] [Priority: 2] {TCP} 81.2.69.192:51234 -> 10.0.0.5:1433'),
  ];
}

async function collectSeeds(opts: Options, work: string): Promise<Map<string, Seed[]>> {
  const root = new URL('..', import.meta.url).pathname;
  const files: Array<{ path: string; display: string }> = [];
  for (const p of walkFiles(join(root, 'test/corpus'))) files.push({ path: p, display: relative(root, p) });
  for (const p of walkFiles(join(root, 'rules/samples'))) files.push({ path: p, display: relative(root, p) });
  const shared = join(root, '../shared/fixtures');
  for (const p of walkFiles(shared)) {
    if (/-expected\.json$|\.(yml|md)$|LICENSE/.test(p)) continue;
    files.push({ path: p, display: `shared/fixtures/${relative(shared, p)}` });
  }
  const gen = join(work, 'generated');
  const g = await generate({ outDir: gen, events: 1500, seed: opts.seed });
  for (const p of walkFiles(g.logsDir)) files.push({ path: p, display: `generated/${relative(g.logsDir, p)}` });

  // Per decoder, per source file, the records it decodes.
  const byDecoder = new Map<string, Map<string, Seed[]>>();
  const add = (decoder: string, seed: Seed): void => {
    let m = byDecoder.get(decoder);
    if (!m) byDecoder.set(decoder, (m = new Map()));
    const key = seed.from.replace(/:\d+(\[\d+\])?$/, '');
    let list = m.get(key);
    if (!list) m.set(key, (list = []));
    list.push(seed);
  };
  for (const f of files) {
    for (const r of await framedRecords(f.path, f.display)) {
      const d = DECODERS.find((x) => safeAccepts(x, r, CTX));
      if (!d) continue;
      const res = safeDecode(d, r, CTX);
      if (res === null || !res.ok) continue;
      add(d.name, { record: r, from: `${f.display}:${r.origin.line}${r.origin.index !== undefined ? `[${r.origin.index}]` : ''}`, first: resultKey(res) });
    }
  }
  for (const b of builtinSeeds()) {
    const d = DECODERS.find((x) => x.name === b.decoder)!;
    const res = safeAccepts(d, b.record, CTX) ? safeDecode(d, b.record, CTX) : null;
    if (res === null || !res.ok) {
      process.stderr.write(`fuzz: built-in ${b.decoder} seed does not decode: ${res === null ? 'declined or threw' : res.error.message}\n`);
      continue;
    }
    add(b.decoder, { record: b.record, from: `builtin:${b.decoder}`, first: resultKey(res) });
  }
  // Round-robin over source files, so every file's shape is represented, up to maxSeeds.
  const out = new Map<string, Seed[]>();
  for (const d of DECODERS) {
    const groups = [...(byDecoder.get(d.name)?.values() ?? [])];
    const picked: Seed[] = [];
    for (let i = 0; picked.length < opts.maxSeeds && groups.some((gr) => i < gr.length); i++) {
      for (const gr of groups) if (i < gr.length && picked.length < opts.maxSeeds) picked.push(gr[i]!);
    }
    out.set(d.name, picked);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Mutations: fast-check arbitraries describe them (small values, reproducible by seed);
// applying one builds the mutated record, so huge and deep values exist one at a time.

/** Any code point of any plane, lone surrogates and noncharacters included. */
const anyPlaneChar = fc.tuple(fc.integer({ min: 0, max: 16 }), fc.integer({ min: 0, max: 0xffff }))
  .map(([plane, off]) => String.fromCodePoint(plane * 0x10000 + off));
const SPECIAL_CHARS = ['\uD800', '\uDBFF', '\uDC00', '\uDFFF', '\uFFFD', '\uFEFF', '\uFFFF', '\u0000', '\u2028', '\u2029', '\u00A0', '\u200B', '\u202E', '\u0085', '\r', '\n', '\t', '\x1b', '\x7f', '"', '\\', '{', '}', '[', ']', ',', '|', '=', ':', '%', '\u{10FFFF}', '\u{1F600}', '\u0301'];
const controlChar = fc.integer({ min: 0, max: 31 }).map((c) => String.fromCharCode(c));
const SPECIAL_STRINGS = [
  '', ' ', '-', '(empty)', 'null', 'undefined', 'true', 'NaN', '-NaN', 'Infinity', '-Infinity', '1e308', '-1e308', '1e309', '5e-324', '1e-400',
  '-0', '0', '00', '0x1F', '0b1', '9007199254740993', '-9007199254740993', '18446744073709551616', '99999999999999999999999999999',
  '1.7976931348623157e+308', ' 1 ', '1_000', '١٢٣',
  '0000-01-01T00:00:00Z', '0001-01-01T00:00:00.0000000Z', '1969-12-31T23:59:59.9999999Z', '1970-01-01T00:00:00Z', '9999-12-31T23:59:59.9999999Z',
  '275760-09-13T00:00:00.000Z', '+275760-09-13T00:00:00.001Z', '-271821-04-20T00:00:00Z', '2026-02-30T25:61:61Z', '2026-13-01T00:00:00Z',
  '2026-03-02T10:00:00+99:99', '2026-03-02T10:00:00.123456789012345Z', '2026-03-02 10:00:00', '2026-03-02T10:00:00-00:00', '2026-W10-1',
  'Mar  2 10:00:00', 'Feb 29 24:00:00', 'Dec 31 23:59:60', '03/02-10:00:00.123456', '03/02/26-10:00:00.123456', '99/99-99:99:99.999999',
  '1772636400', '1772636400123', '1772636400123456', '1772636400123456789', '-62135596800', '8640000000000001', '1e21', '4102444800.5',
  '::', '::1', '::ffff:81.2.69.1', '::ffff:999.1.1.1', '[2a02:cf40::1]:443', '[::1', '2a02:cf40::1%eth0', 'fe80::1%', '81.2.69.1:99999',
  '81.2.69.256', '081.002.069.001', '1.2.3', '1.2.3.4.5', '0x51.2.69.1', '4294967295', '81.2.69.1/24', 'Unknown', '1:2:3:4:5:6:7:8:9',
  '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', '$ref', '{{7*7}}', '${jndi:ldap://x}',
  '%s%s%s%n', '\\u0000', '../../etc/passwd', '<script>alert(1)</script>', 'CEF:0|', '[**]', '#separator \\x09', 'a'.repeat(300),
];
const EDGE_NUMBERS = [0, -0, 1, -1, 0.5, 1e308, -1e308, 5e-324, 2 ** 53, 2 ** 53 + 1, -(2 ** 53 + 1), 2 ** 31, 2 ** 32, 2 ** 63, 1e21, 1e16,
  1772636400, 1772636400.123456, 1772636400123, 1772636400123456, -62135596800, 8.64e15, 8.64e15 + 1, 253402300800, 4102444800];
const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', 'toJSON', 'then', 'length', '__defineGetter__'];

type StrSpec =
  | { t: 'lit'; s: string }
  | { t: 'huge'; n: number; unit: string };

const strSpec: fc.Arbitrary<StrSpec> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...SPECIAL_STRINGS).map((s): StrSpec => ({ t: 'lit', s })) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }).map((s): StrSpec => ({ t: 'lit', s })) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }).map((s): StrSpec => ({ t: 'lit', s })) },
  { weight: 3, arbitrary: fc.string({ unit: anyPlaneChar, maxLength: 16 }).map((s): StrSpec => ({ t: 'lit', s })) },
  { weight: 2, arbitrary: fc.string({ unit: fc.oneof(controlChar, fc.constantFrom(...SPECIAL_CHARS)), minLength: 1, maxLength: 8 }).map((s): StrSpec => ({ t: 'lit', s })) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 1000, max: 200_000 }), fc.constantFrom('A', ' ', '9', '\uD800', '\u{1F600}', '"', '[', '{"a":', '1.2.', ':')).map(([n, unit]): StrSpec => ({ t: 'huge', n, unit })) },
);

function buildString(s: StrSpec, huge: boolean): string {
  if (s.t === 'lit') return s.s;
  const n = huge ? s.n * 16 : s.n; // up to ~3.2 M characters when the run asks for huge ones
  return s.unit.repeat(Math.ceil(n / s.unit.length)).slice(0, n);
}

type ValSpec =
  | { t: 'str'; s: StrSpec }
  | { t: 'num'; n: number }
  | { t: 'lit'; v: null | boolean }
  | { t: 'json'; v: unknown }
  | { t: 'deep'; depth: number; shape: 'array' | 'object' | 'mixed' }
  | { t: 'wide'; n: number; shape: 'array' | 'object' }
  | { t: 'proto'; key: string; v: unknown };

const valSpec: fc.Arbitrary<ValSpec> = fc.oneof(
  { weight: 5, arbitrary: strSpec.map((s): ValSpec => ({ t: 'str', s })) },
  { weight: 2, arbitrary: fc.oneof(fc.constantFrom(...EDGE_NUMBERS), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer()).map((n): ValSpec => ({ t: 'num', n })) },
  { weight: 2, arbitrary: fc.constantFrom(null, true, false).map((v): ValSpec => ({ t: 'lit', v })) },
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v): ValSpec => ({ t: 'json', v })) },
  { weight: 1, arbitrary: fc.record({ depth: fc.integer({ min: 10, max: 4000 }), shape: fc.constantFrom('array' as const, 'object' as const, 'mixed' as const) }).map((r): ValSpec => ({ t: 'deep', ...r })) },
  { weight: 1, arbitrary: fc.record({ n: fc.integer({ min: 100, max: 50_000 }), shape: fc.constantFrom('array' as const, 'object' as const) }).map((r): ValSpec => ({ t: 'wide', ...r })) },
  { weight: 1, arbitrary: fc.record({ key: fc.constantFrom(...PROTO_KEYS), v: fc.jsonValue({ maxDepth: 2 }) }).map((r): ValSpec => ({ t: 'proto', ...r })) },
);

/** Sets an own, enumerable property, even one named "__proto__" (as JSON.parse makes them). */
function setOwn(o: Record<string, unknown>, key: string, v: unknown): void {
  Object.defineProperty(o, key, { value: v, enumerable: true, writable: true, configurable: true });
}

function buildValue(v: ValSpec, huge: boolean): unknown {
  switch (v.t) {
    case 'str': return buildString(v.s, huge);
    case 'num': return v.n;
    case 'lit': return v.v;
    case 'json': return structuredClone(v.v);
    case 'deep': {
      // Built directly, never through JSON text.
      let x: unknown = '81.2.69.1';
      for (let i = 0; i < v.depth; i++) {
        const arr = v.shape === 'array' || (v.shape === 'mixed' && i % 2 === 0);
        x = arr ? [x, i] : { ip: x, time: '2026-03-02T10:00:00Z' }; // one nested child a level: a tree, not a DAG
      }
      return x;
    }
    case 'wide': {
      if (v.shape === 'array') return Array.from({ length: v.n }, (_, i) => (i % 3 === 0 ? '81.2.69.1' : i));
      const o: Record<string, unknown> = {};
      for (let i = 0; i < v.n; i++) o[`k${i}`] = i;
      return o;
    }
    case 'proto': {
      const o: Record<string, unknown> = {};
      setOwn(o, v.key, structuredClone(v.v));
      return o;
    }
  }
}

/** Structural operations on a JSON or CSV record's value. */
type StructOp =
  | { t: 'remove'; p: number }
  | { t: 'replace'; p: number; v: ValSpec }
  | { t: 'add'; p: number; key: string; v: ValSpec }
  | { t: 'strmut'; p: number; ops: TextOp[] }
  | { t: 'hot'; p: number; v: ValSpec }
  | { t: 'embedded'; p: number; ops: StructOp[] }
  | { t: 'clear' };

/** Character- and byte-level operations on a text (a line, a JSON document's text, a CSV cell). */
type TextOp =
  | { t: 'flipbyte'; pos: number; bit: number }
  | { t: 'flipunit'; pos: number; xor: number }
  | { t: 'insert'; pos: number; s: StrSpec }
  | { t: 'delete'; pos: number; len: number }
  | { t: 'truncate'; pos: number }
  | { t: 'repeat'; times: number }
  | { t: 'dup'; pos: number; len: number }
  | { t: 'pad'; k: number; n: number; ch: string }
  | { t: 'rep'; pos: number; len: number; times: number }
  | { t: 'token'; k: number; s: StrSpec }
  | { t: 'droptoken'; k: number };

const textOp: fc.Arbitrary<TextOp> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ pos: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }).map((r): TextOp => ({ t: 'flipbyte', ...r })) },
  { weight: 2, arbitrary: fc.record({ pos: fc.nat(), xor: fc.integer({ min: 1, max: 0xffff }) }).map((r): TextOp => ({ t: 'flipunit', ...r })) },
  { weight: 4, arbitrary: fc.record({ pos: fc.nat(), s: strSpec }).map((r): TextOp => ({ t: 'insert', ...r })) },
  { weight: 3, arbitrary: fc.record({ pos: fc.nat(), len: fc.integer({ min: 1, max: 64 }) }).map((r): TextOp => ({ t: 'delete', ...r })) },
  { weight: 3, arbitrary: fc.nat().map((pos): TextOp => ({ t: 'truncate', pos })) },
  { weight: 1, arbitrary: fc.integer({ min: 2, max: 400 }).map((times): TextOp => ({ t: 'repeat', times })) },
  { weight: 1, arbitrary: fc.record({ pos: fc.nat(), len: fc.integer({ min: 1, max: 200 }) }).map((r): TextOp => ({ t: 'dup', ...r })) },
  { weight: 6, arbitrary: fc.record({ k: fc.nat(), s: strSpec }).map((r): TextOp => ({ t: 'token', ...r })) },
  // Long runs of one character at a token boundary, and a piece repeated thousands of times: what makes a backtracking regex slow.
  { weight: 2, arbitrary: fc.record({ k: fc.nat(), n: fc.integer({ min: 500, max: 15_000 }), ch: fc.constantFrom(' ', '\t', '0', 'a', '[', ']', '.', ':', '=', '|', ',', '"', '\\', '-', '*', '{') }).map((r): TextOp => ({ t: 'pad', ...r })) },
  { weight: 2, arbitrary: fc.record({ pos: fc.nat(), len: fc.integer({ min: 1, max: 40 }), times: fc.integer({ min: 50, max: 4000 }) }).map((r): TextOp => ({ t: 'rep', ...r })) },
  { weight: 2, arbitrary: fc.nat().map((k): TextOp => ({ t: 'droptoken', k })) },
);

const structOp: fc.Arbitrary<StructOp> = fc.oneof(
  { weight: 3, arbitrary: fc.nat().map((p): StructOp => ({ t: 'remove', p })) },
  { weight: 6, arbitrary: fc.record({ p: fc.nat(), v: valSpec }).map((r): StructOp => ({ t: 'replace', ...r })) },
  { weight: 2, arbitrary: fc.record({ p: fc.nat(), key: fc.oneof(fc.constantFrom(...PROTO_KEYS), fc.string({ unit: anyPlaneChar, maxLength: 6 })), v: valSpec }).map((r): StructOp => ({ t: 'add', ...r })) },
  { weight: 3, arbitrary: fc.record({ p: fc.nat(), ops: fc.array(textOp, { minLength: 1, maxLength: 3 }) }).map((r): StructOp => ({ t: 'strmut', ...r })) },
  { weight: 5, arbitrary: fc.record({ p: fc.nat(), v: valSpec }).map((r): StructOp => ({ t: 'hot', ...r })) },
  { weight: 2, arbitrary: fc.record({ p: fc.nat(), ops: fc.array(fc.record({ p: fc.nat(), v: valSpec }).map((r): StructOp => ({ t: 'replace', ...r })), { minLength: 1, maxLength: 3 }) }).map((r): StructOp => ({ t: 'embedded', ...r })) },
  { weight: 1, arbitrary: fc.constant<StructOp>({ t: 'clear' }) },
);

/** The fields a decoder's answer hangs on: times, addresses, outcomes, kinds. */
const HOT_KEY = /time|date|^ts$|stamp|ip|addr|^src|^dst|host|status|result|error|outcome|operation|kind|type|action|category|^id$|id\.|orig|record|value|properties|auditdata|user|app/i;

interface Mutation {
  seed: number;
  /** 0–99: which family of operations (see mutate). */
  mode: number;
  text: TextOp[];
  struct: StructOp[];
  /** Huge strings and repetitions grow to megabytes (rare). */
  huge: boolean;
  zone: number;
}

const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  seed: fc.nat(),
  mode: fc.integer({ min: 0, max: 99 }),
  text: fc.array(textOp, { minLength: 1, maxLength: 4 }),
  struct: fc.array(structOp, { minLength: 1, maxLength: 4 }),
  huge: fc.integer({ min: 0, max: 399 }).map((n) => n === 0),
  zone: fc.integer({ min: 0, max: 19 }),
});

const TOKEN_SPLIT = /([\s|,=;:[\]{}"'<>()]+)/;

function applyText(s: string, ops: readonly TextOp[], huge: boolean): string {
  for (const op of ops) {
    const at = (p: number): number => (s.length === 0 ? 0 : p % (s.length + 1));
    switch (op.t) {
      case 'flipbyte': {
        const b = Buffer.from(s, 'utf8');
        if (b.length === 0) break;
        const i = op.pos % b.length;
        b[i] = b[i]! ^ (1 << op.bit);
        s = b.toString('utf8');
        break;
      }
      case 'flipunit': {
        if (s.length === 0) break;
        const i = op.pos % s.length;
        s = s.slice(0, i) + String.fromCharCode(s.charCodeAt(i) ^ op.xor) + s.slice(i + 1);
        break;
      }
      case 'insert': {
        const i = at(op.pos);
        s = s.slice(0, i) + buildString(op.s, huge) + s.slice(i);
        break;
      }
      case 'delete': {
        const i = at(op.pos);
        s = s.slice(0, i) + s.slice(i + op.len);
        break;
      }
      case 'truncate': s = s.slice(0, at(op.pos)); break;
      case 'repeat': {
        const times = huge ? Math.max(op.times, Math.ceil((2 << 20) / Math.max(1, s.length))) : op.times;
        s = s.repeat(Math.min(times, Math.ceil((4 << 20) / Math.max(1, s.length))));
        break;
      }
      case 'dup': {
        const i = at(op.pos);
        s = s.slice(0, i) + s.slice(i, i + op.len) + s.slice(i);
        break;
      }
      case 'pad': {
        const cuts: number[] = [0, s.length];
        for (let i = 0; i < s.length && cuts.length < 256; i++) if (/[\s|,=;:[\]{}"'<>()]/.test(s[i]!)) cuts.push(i);
        const i = cuts[op.k % cuts.length]!;
        s = s.slice(0, i) + op.ch.repeat(op.n) + s.slice(i);
        break;
      }
      case 'rep': {
        const i = at(op.pos);
        s = s.slice(0, i) + s.slice(i, i + op.len).repeat(op.times) + s.slice(i);
        break;
      }
      case 'token':
      case 'droptoken': {
        const parts = s.split(TOKEN_SPLIT);
        const words = parts.map((_, i) => i).filter((i) => i % 2 === 0 && parts[i] !== '');
        if (words.length === 0) break;
        const w = words[op.k % words.length]!;
        parts[w] = op.t === 'token' ? buildString(op.s, huge) : '';
        s = parts.join('');
        break;
      }
    }
  }
  return s;
}

type Path = Array<string | number>;

/** Up to 256 paths into a value (objects' keys, arrays' indexes), breadth first, 8 deep. */
function pathsOf(root: unknown): Path[] {
  const out: Path[] = [];
  const queue: Array<{ v: unknown; p: Path }> = [{ v: root, p: [] }];
  while (queue.length > 0 && out.length < 256) {
    const { v, p } = queue.shift()!;
    if (p.length > 0) out.push(p);
    if (p.length >= 8 || typeof v !== 'object' || v === null) continue;
    if (Array.isArray(v)) v.slice(0, 16).forEach((x, i) => queue.push({ v: x, p: [...p, i] }));
    else for (const k of Object.keys(v).slice(0, 64)) queue.push({ v: (v as Record<string, unknown>)[k], p: [...p, k] });
  }
  return out;
}

function parentOf(root: unknown, p: Path): { parent: Record<string | number, unknown>; key: string | number } | null {
  let cur = root;
  for (let i = 0; i < p.length - 1; i++) {
    if (typeof cur !== 'object' || cur === null) return null;
    cur = (cur as Record<string | number, unknown>)[p[i]!];
  }
  if (typeof cur !== 'object' || cur === null) return null;
  return { parent: cur as Record<string | number, unknown>, key: p[p.length - 1]! };
}

function applyStruct(value: Record<string, unknown>, ops: readonly StructOp[], huge: boolean, csv: boolean): Record<string, unknown> {
  let v = value;
  for (const op of ops) {
    if (op.t === 'clear') {
      v = {};
      continue;
    }
    let paths = pathsOf(v).filter((p) => !csv || p.length === 1);
    if (op.t === 'hot') {
      const hot = paths.filter((p) => HOT_KEY.test(String(p[p.length - 1])));
      if (hot.length > 0) paths = hot;
    }
    if (op.t === 'embedded') {
      // JSON inside a string (Purview's AuditData, Log Analytics' dynamic columns): mutate it as a structure.
      paths = paths.filter((p) => {
        const x = parentOf(v, p);
        const cur = x ? x.parent[x.key] : undefined;
        return typeof cur === 'string' && /^\s*[{[]/.test(cur);
      });
    }
    const target = paths.length === 0 ? null : paths[op.p % paths.length]!;
    if (op.t === 'add') {
      const container = target && !csv ? parentOf(v, target)?.parent : v;
      const value = csv ? stringOf(op.v, huge) : buildValue(op.v, huge);
      if (container && !Array.isArray(container)) setOwn(container as Record<string, unknown>, op.key, value);
      else if (Array.isArray(container)) container.push(value);
      continue;
    }
    if (!target) continue;
    const at = parentOf(v, target);
    if (!at) continue;
    const { parent, key } = at;
    if (op.t === 'remove') {
      if (Array.isArray(parent) && typeof key === 'number') parent.splice(key, 1);
      else delete parent[key];
    } else if (op.t === 'replace' || op.t === 'hot') {
      parent[key] = csv ? stringOf(op.v, huge) : buildValue(op.v, huge);
    } else if (op.t === 'embedded') {
      try {
        const inner = JSON.parse(String(parent[key])) as unknown;
        if (typeof inner === 'object' && inner !== null) parent[key] = JSON.stringify(applyStruct(inner as Record<string, unknown>, op.ops, false, false));
      } catch {
        // a deep value that does not serialise: leave the text as it was
      }
    } else {
      const cur = parent[key];
      parent[key] = applyText(typeof cur === 'string' ? cur : String(JSON.stringify(cur) ?? ''), op.ops, huge);
    }
  }
  return v;
}

/** A CSV cell is always text: a wrong-typed value becomes the text a CSV export would hold. */
function stringOf(v: ValSpec, huge: boolean): string {
  if (v.t === 'str') return buildString(v.s, huge);
  if (v.t === 'num') return String(v.n);
  if (v.t === 'lit') return String(v.v);
  if (v.t === 'deep') return '['.repeat(Math.min(v.depth, 4000));
  try {
    return JSON.stringify(buildValue(v, false)) ?? '';
  } catch {
    return '';
  }
}

/**
 * The records one mutation of a seed makes. JSON seeds: mostly structural
 * operations on the parsed value, else character operations on its text, framed
 * again as a line is (so the JSON may no longer parse). Text seeds: character and
 * token operations. CSV rows: cells removed, replaced, added, or mutated as text.
 */
function mutate(seed: RawRecord, m: Mutation): FramedItem[] {
  const origin = { source: 'fuzz', line: 1 };
  if (seed.kind === 'text') {
    return [{ kind: 'text', value: applyText(seed.value, m.text, m.huge), origin }];
  }
  if (seed.kind === 'csv') {
    const value = applyStruct({ ...seed.value }, m.struct, m.huge, true) as Record<string, string>;
    return [{ kind: 'csv', value, origin }];
  }
  if (m.mode < 60) {
    return [{ kind: 'json', value: applyStruct(structuredClone(seed.value), m.struct, m.huge, false), origin }];
  }
  const line = applyText(lineOf(seed), m.text, m.huge);
  const out: FramedItem[] = [];
  frameLine(line, origin, out);
  if (out.length === 0) out.push({ kind: 'problem', origin, reason: 'unknown-format', message: 'blank line (framing skips it)' });
  return out;
}

// ---------------------------------------------------------------------------------------------
// The checks

interface Finding {
  kind: 'crash' | 'hang' | 'contract' | 'drift' | 'e2e';
  decoder: string;
  phase: string;
  detail: string;
  record?: string;
  /** The record itself, written to --dump DIR. */
  item?: FramedItem;
}

interface Row {
  decoder: string;
  seeds: number;
  mutations: number;
  records: number;
  decoded: number;
  rejected: Map<string, number>;
  /** Declined by accepts(): taken by another decoder, or by none. */
  declinedOther: number;
  declinedNone: number;
  framing: number;
  crashes: number;
  hangs: number;
  contract: number;
  slow: number;
  maxMs: number;
  p999Ms: number;
  seconds: number;
}

function newRow(decoder: string): Row {
  return {
    decoder, seeds: 0, mutations: 0, records: 0, decoded: 0, rejected: new Map(), declinedOther: 0, declinedNone: 0, framing: 0,
    crashes: 0, hangs: 0, contract: 0, slow: 0, maxMs: 0, p999Ms: 0, seconds: 0,
  };
}

/** A short, safe description of a record (deep or huge values summarised). */
function sketch(r: FramedItem, max = 600): string {
  const walk = (v: unknown, depth: number): string => {
    if (typeof v === 'string') return JSON.stringify(v.length > 120 ? `${v.slice(0, 120)}…(${v.length} chars)` : v);
    if (typeof v !== 'object' || v === null) return Object.is(v, -0) ? '-0' : String(v);
    if (depth > 4) {
      let d = 0;
      let x: unknown = v;
      while (typeof x === 'object' && x !== null && d < 100_000) {
        x = Array.isArray(x) ? x[0] : Object.values(x)[0];
        d++;
      }
      return `<nested ${d} deep>`;
    }
    if (Array.isArray(v)) return `[${v.slice(0, 6).map((x) => walk(x, depth + 1)).join(',')}${v.length > 6 ? `,…(${v.length})` : ''}]`;
    const keys = Object.keys(v);
    return `{${keys.slice(0, 24).map((k) => `${JSON.stringify(k)}:${walk((v as Record<string, unknown>)[k], depth + 1)}`).join(',')}${keys.length > 24 ? `,…(${keys.length} keys)` : ''}}`;
  };
  const s = r.kind === 'problem' ? `problem ${r.reason}` : `${r.kind} ${walk(r.value, 0)}`;
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/** The contract of a result (c); null when it holds. */
function contractProblem(d: Decoder, res: unknown): string | null {
  if (typeof res !== 'object' || res === null) return `decode() returned ${String(res)}`;
  const r = res as DecodeResult;
  if (r.ok === true) {
    const ev = r.event?.event;
    if (!ev || typeof ev !== 'object') return 'ok result without an event';
    const ts = ev['@timestamp'];
    if (typeof ts !== 'string' || !TIMESTAMP_RE.test(ts)) return `@timestamp not canonical: ${JSON.stringify(ts)?.slice(0, 80)}`;
    let formatted: string;
    try {
      formatted = formatInstant(r.event.at);
    } catch (err) {
      return `event.at unformattable: ${(err as Error).message}`;
    }
    if (formatted !== ts) return `@timestamp ${ts} is not event.at (${formatted})`;
    const ip = ev.source?.ip;
    if (ip !== undefined && (typeof ip !== 'string' || canonicalIp(ip) !== ip)) return `source.ip not canonical: ${JSON.stringify(ip)?.slice(0, 80)}`;
    if (ev.crosswatch?.decoder !== d.name) return `crosswatch.decoder is ${JSON.stringify(ev.crosswatch?.decoder)}, not ${d.name}`;
    try {
      JSON.stringify(ev);
    } catch (err) {
      return `event does not serialise: ${(err as Error).message}`;
    }
    return null;
  }
  if (r.ok === false) {
    const e = r.error;
    if (!e || typeof e !== 'object') return 'rejection without an error';
    if (!(e.reason in REASONS) || !Object.prototype.hasOwnProperty.call(REASONS, e.reason)) return `unknown reason ${JSON.stringify(e.reason)}`;
    if (typeof e.message !== 'string' || e.message.trim() === '') return 'empty rejection message';
    if (e.message.length > MESSAGE_MAX) return `rejection message of ${e.message.length} characters (over ${MESSAGE_MAX})`;
    return null;
  }
  return `result neither ok nor rejected: ${JSON.stringify(res)?.slice(0, 80)}`;
}

class Runner {
  readonly rows = new Map<string, Row>();
  readonly findings: Finding[] = [];
  private durations = new Float64Array(1 << 16);
  private nDur = 0;

  constructor(private readonly opts: Options) {}

  row(name: string): Row {
    let r = this.rows.get(name);
    if (!r) this.rows.set(name, (r = newRow(name)));
    return r;
  }

  finding(f: Finding): void {
    // Keep every count, but only the first few records of each decoder and kind.
    const same = this.findings.filter((x) => x.decoder === f.decoder && x.kind === f.kind).length;
    if (same < 5) this.findings.push(f);
    if (same < 5 && this.opts.dump && f.item) {
      let body: string;
      try {
        body = JSON.stringify({ kind: f.item.kind, value: f.item.kind === 'problem' ? null : f.item.value }, null, 1);
      } catch {
        body = JSON.stringify({ sketch: f.record });
      }
      mkdirSync(this.opts.dump, { recursive: true });
      writeFileSync(join(this.opts.dump, `${f.decoder}-${f.kind}-${same}.json`), body);
    }
    if (same < 2) process.stderr.write(`fuzz: ${f.kind} in ${f.decoder} (${f.phase}): ${f.detail}\n  record: ${f.record ?? ''}\n`);
  }

  private time(ms: number): void {
    if (this.nDur === this.durations.length) {
      const grown = new Float64Array(this.durations.length * 2);
      grown.set(this.durations);
      this.durations = grown;
    }
    this.durations[this.nDur++] = ms;
  }

  /** Runs fn timed; over the limit, re-runs it thrice and keeps the fastest (a GC pause or a busy core is no hang). */
  private timed<T>(fn: () => T, d: Decoder, phase: string, item: FramedItem, measure: boolean): { value: T; ms: number } {
    const t0 = performance.now();
    const value = fn();
    let ms = performance.now() - t0;
    if (ms > this.opts.hangMs) {
      this.row(d.name).slow++;
      for (let i = 0; i < 3 && ms > this.opts.hangMs; i++) {
        const t1 = performance.now();
        try {
          fn();
        } catch {
          // counted on the first call
        }
        ms = Math.min(ms, performance.now() - t1);
      }
      if (ms > this.opts.hangMs) {
        this.row(d.name).hangs++;
        this.finding({ kind: 'hang', decoder: d.name, phase, detail: `${ms.toFixed(1)} ms (fastest of 4 runs)`, record: sketch(item), item });
      }
    }
    if (measure) this.time(ms);
    return { value, ms };
  }

  /** Checks one framed record against decoder `d` (a), (b), (c). */
  check(d: Decoder, item: FramedItem, ctx: DecodeContext): void {
    const row = this.row(d.name);
    row.records++;
    if (item.kind === 'problem') {
      row.framing++;
      const key = `framing:${item.reason}`;
      row.rejected.set(key, (row.rejected.get(key) ?? 0) + 1);
      return;
    }
    let accepted: boolean;
    try {
      accepted = this.timed(() => d.accepts(item, ctx), d, 'accepts', item, false).value;
    } catch (err) {
      this.crash(d, 'accepts', err, item);
      return;
    }
    if (!accepted) {
      this.declined(d, item, ctx);
      return;
    }
    this.decodeWith(d, d, item, ctx, true);
  }

  private crash(d: Decoder, phase: string, err: unknown, item: FramedItem): void {
    this.row(d.name).crashes++;
    const e = err as Error;
    const where = (e?.stack ?? '').split('\n').slice(1, 3).map((l) => l.trim()).join(' ← ');
    this.finding({ kind: 'crash', decoder: d.name, phase, detail: `${e?.name ?? 'Error'}: ${String(e?.message ?? err).slice(0, 200)} at ${where}`, record: sketch(item), item });
  }

  private decodeWith(d: Decoder, target: Decoder, item: RawRecord, ctx: DecodeContext, measure: boolean): void {
    const row = this.row(target.name);
    let res: DecodeResult;
    try {
      res = this.timed(() => d.decode(item, ctx), d, 'decode', item, measure).value;
    } catch (err) {
      this.crash(d, 'decode', err, item);
      return;
    }
    const bad = contractProblem(d, res);
    if (bad) {
      this.row(d.name).contract++;
      this.finding({ kind: 'contract', decoder: d.name, phase: 'result', detail: bad, record: sketch(item), item });
      return;
    }
    if (d !== target) return;
    if (res.ok) row.decoded++;
    else row.rejected.set(res.error.reason, (row.rejected.get(res.error.reason) ?? 0) + 1);
  }

  /** The target declined: the registry would try the others, so they are checked too (their throws are crashes). */
  private declined(target: Decoder, item: RawRecord, ctx: DecodeContext): void {
    const row = this.row(target.name);
    for (const d of DECODERS) {
      if (d === target) continue;
      let ok: boolean;
      try {
        ok = d.accepts(item, ctx);
      } catch (err) {
        this.crash(d, 'accepts (another decoder\'s record)', err, item);
        continue;
      }
      if (ok) {
        row.declinedOther++;
        this.decodeWith(d, target, item, ctx, false);
        return;
      }
    }
    row.declinedNone++;
  }

  /** (d): the untouched seeds still decode exactly as the first time. */
  recheck(d: Decoder, seeds: readonly Seed[]): void {
    for (const s of seeds) {
      const again = resultKey(safeDecode(d, s.record, CTX));
      if (again !== s.first) {
        this.row(d.name).contract++;
        this.finding({ kind: 'drift', decoder: d.name, phase: 'seed re-decode', detail: `${s.from} decodes differently after mutations (state leaked, or the record was changed)`, record: sketch(s.record) });
      }
    }
  }

  /** The property run of one decoder. */
  runDecoder(d: Decoder, seeds: readonly Seed[], n: number, seed: number): void {
    const row = this.row(d.name);
    row.seeds = seeds.length;
    if (seeds.length === 0 || n === 0) return;
    this.nDur = 0;
    const t0 = performance.now();
    let i = 0;
    const res = fc.check(fc.property(mutationArb, (m) => {
      const s = seeds[m.seed % seeds.length]!;
      const zone = m.zone < ZONES.length ? ZONES[m.zone] : undefined;
      let ctx: DecodeContext = zone === undefined ? CTX : { ...CTX, zone };
      // generic-json: now and then a hostile --map (prototype names, long paths) over the same records.
      if (d.name === 'generic-json' && m.zone >= 15) ctx = { ...ctx, genericMap: HOSTILE_MAPS[m.zone - 15]! };
      let items: FramedItem[];
      try {
        items = mutate(s.record, m);
      } catch (err) {
        // framing.ts's frameLine is under test too (mode ≥ 60 re-frames mutated JSON text)
        this.crash({ name: 'framing (frameLine)' } as Decoder, 'frame', err, s.record);
        items = [];
      }
      row.mutations++;
      if (TRACE) process.stderr.write(`trace ${d.name} #${i}: ${items.map((x) => sketch(x, 300)).join(' ; ')}\n`);
      for (const item of items) this.check(d, item, ctx);
      if (++i % this.opts.batch === 0) this.recheck(d, seeds);
      return true;
    }), { numRuns: n, seed, endOnFailure: true });
    if (res.failed) this.finding({ kind: 'crash', decoder: d.name, phase: 'fast-check', detail: String(res.errorInstance ?? res.counterexample) });
    this.recheck(d, seeds);
    row.seconds = (performance.now() - t0) / 1000;
    const times = this.durations.subarray(0, this.nDur).slice().sort();
    row.maxMs = times.length > 0 ? times[times.length - 1]! : 0;
    row.p999Ms = times.length > 0 ? times[Math.min(times.length - 1, Math.floor(times.length * 0.999))]! : 0;
  }

  /**
   * End to end: valid lines interleaved with mutated ones in one file, through
   * framing and decodeRecord (the normalize path) and through runBatch (hunt's
   * pass 1, fast scan off): every record is counted once, as decoded or rejected,
   * both paths agree, and every valid line's event is among the output.
   */
  async endToEnd(d: Decoder, seeds: readonly Seed[], lines: number, seed: number, dir: string): Promise<string> {
    if (seeds.length === 0 || lines === 0) return 'no seeds';
    const block = d.name === 'snort-full';
    const csvSeeds = seeds.filter((s) => s.record.kind === 'csv');
    // One file layout per decoder: NDJSON or text lines when it has such seeds, else a CSV export.
    const header = csvSeeds.length > 0 && csvSeeds.length === seeds.length ? mostCommonHeader(csvSeeds) : null;
    const usable = header ? csvSeeds.filter((s) => Object.keys(s.record.value).join('\u0001') === header.join('\u0001')) : seeds.filter((s) => s.record.kind !== 'csv');
    const sep = block ? '\n\n' : '\n';
    const clean = (s: string): string => (block ? s.replace(/\r/g, ' ').replace(/\n\s*\n/g, '\n').replace(/^\s+|\s+$/g, '') : s.replace(/[\r\n\u2028\u2029]/g, ' '));
    const row = (r: RawRecord): string => {
      if (header && r.kind === 'csv') return header.map((h) => csvCell(String(r.value[h] ?? ''))).join(',');
      return clean(lineOf(r));
    };
    const valid: string[] = [];
    const body: string[] = [];
    if (header) body.push(header.map(csvCell).join(','));
    // Enough valid lines first that the file's format is sniffed from them (64 KiB of it is looked at).
    let size = 0;
    for (let i = 0; size < 70_000 || i < usable.length; i++) {
      const l = row(usable[i % usable.length]!.record);
      valid.push(l);
      body.push(l);
      size += l.length + 1;
    }
    const samples = fc.sample(mutationArb, { seed, numRuns: lines });
    let mutated = 0;
    // JSON records also go into a JSON array document (framing's streamed splitter, json-stream.ts): the valid
    // ones, and the structurally mutated ones, which stay valid JSON text.
    const arrayValid: string[] = [];
    const arrayMixed: string[] = [];
    samples.forEach((m, i) => {
      const s = usable[m.seed % usable.length]!;
      let text: string | null = null;
      try {
        for (const item of mutate(s.record, { ...m, huge: false })) {
          if (item.kind === 'problem') continue;
          if (item.kind === 'csv') text = header ? row(item) : null;
          else text = item.kind === 'json' ? JSON.stringify(item.value) : clean(item.value);
          if (item.kind === 'json' && m.mode < 60 && text !== null && text.length < 1 << 20) arrayMixed.push(text);
        }
        if (m.mode >= 60 && s.record.kind === 'json') text = clean(applyText(lineOf(s.record), m.text, false));
      } catch {
        text = null;
      }
      if (text !== null && text.length < 1 << 20 && (!block || text !== '')) {
        body.push(text);
        mutated++;
      }
      const vr = usable[i % usable.length]!.record;
      const v = row(vr);
      valid.push(v);
      body.push(v);
      if (vr.kind === 'json') {
        const t = JSON.stringify(vr.value);
        arrayValid.push(t);
        arrayMixed.push(t);
      }
    });
    const ext = header ? 'csv' : block ? 'log' : seeds[0]!.record.kind === 'json' ? 'json' : 'log';
    const mixed = join(dir, `${d.name}-mixed.${ext}`);
    const only = join(dir, `${d.name}-valid.${ext}`);
    writeFileSync(mixed, body.join(sep) + sep);
    writeFileSync(only, (header ? [header.map(csvCell).join(','), ...valid] : valid).join(sep) + sep);

    const pass = async (path: string): Promise<{ records: number; decoded: number; rejected: number; events: Map<string, number> }> => {
      const out = { records: 0, decoded: 0, rejected: 0, events: new Map<string, number>() };
      for await (const batch of frameFile(path, path)) {
        for (const item of batch) {
          if (item.kind === 'problem') {
            if (item.reason === 'binary-file' || item.reason === 'empty-file') continue;
            out.records++;
            out.rejected++;
            continue;
          }
          out.records++;
          const { result } = decodeRecord(item, CTX);
          if (result.ok) {
            out.decoded++;
            const k = JSON.stringify(result.event.event);
            out.events.set(k, (out.events.get(k) ?? 0) + 1);
          } else out.rejected++;
        }
      }
      return out;
    };
    const problems: string[] = [];
    const want = await pass(only);
    const got = await pass(mixed);
    if (want.rejected > 0) problems.push(`${want.rejected} of the ${want.records} valid lines are rejected on their own`);
    if (got.records !== got.decoded + got.rejected) problems.push(`records ${got.records} ≠ decoded ${got.decoded} + rejected ${got.rejected}`);
    let missing = 0;
    for (const [k, n] of want.events) if ((got.events.get(k) ?? 0) < n) missing += n - (got.events.get(k) ?? 0);
    if (missing > 0) problems.push(`${missing} valid records' events missing from the output of the mixed file`);
    let arrayNote = '';
    if (arrayValid.length > 0) {
      const av = join(dir, `${d.name}-valid-array.json`);
      const am = join(dir, `${d.name}-mixed-array.json`);
      writeFileSync(av, `[\n${arrayValid.join(',\n')}\n]\n`);
      writeFileSync(am, `[\n${arrayMixed.join(',\n')}\n]\n`);
      const aw = await pass(av);
      const ag = await pass(am);
      let lost = 0;
      for (const [k, n] of aw.events) if ((ag.events.get(k) ?? 0) < n) lost += n - (ag.events.get(k) ?? 0);
      if (aw.rejected > 0 || lost > 0 || ag.records !== arrayMixed.length) {
        problems.push(`JSON array: ${aw.rejected} valid elements rejected alone, ${lost} valid events missing, ${ag.records} records framed of ${arrayMixed.length} elements`);
      }
      arrayNote = `; JSON array of ${arrayMixed.length} elements (${arrayMixed.length - arrayValid.length} mutated): ${ag.records} records, valid events all present: ${lost === 0 ? 'yes' : 'NO'}`;
    }
    const stat = statSync(mixed);
    const batchRes = await runBatch([{ path: mixed, display: mixed, size: stat.size }], {
      config: buildConfig({}), rules: loadRules(), decode: CTX, threads: 1, fastScan: false, prefilter: false,
    });
    const c = batchRes.counters;
    const roles = c.roles.network_alert + c.roles.signin + c.roles.mail_access + c.roles.other;
    if (c.totalRecords !== got.records || c.totalRejected !== got.rejected || roles !== got.decoded) {
      problems.push(`hunt counted records ${c.totalRecords}, rejected ${c.totalRejected}, decoded ${roles}; normalize: ${got.records}, ${got.rejected}, ${got.decoded}`);
    }
    for (const p of problems) this.finding({ kind: 'e2e', decoder: d.name, phase: 'end to end', detail: p });
    this.row(d.name).contract += problems.length;
    return `${valid.length} valid + ${mutated} mutated lines: ${got.records} records = ${got.decoded} decoded + ${got.rejected} rejected; all ${want.decoded} valid events present: ${missing === 0 ? 'yes' : 'NO'}; hunt counters agree: ${problems.some((p) => p.startsWith('hunt')) ? 'NO' : 'yes'}${arrayNote}`;
  }
}

function mostCommonHeader(seeds: readonly Seed[]): string[] {
  const counts = new Map<string, number>();
  for (const s of seeds) {
    const k = Object.keys(s.record.value).join('\u0001');
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const best = [...counts].sort((a, b) => b[1] - a[1])[0]![0];
  return best.split('\u0001');
}

function csvCell(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}

// ---------------------------------------------------------------------------------------------
// Report

function fmtMs(ms: number): string {
  return ms < 10 ? ms.toFixed(2) : ms.toFixed(0);
}

function table(rows: readonly Row[]): string {
  const reasons = (r: Row): string => [...r.rejected].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ') || '–';
  const lines = [
    '| decoder | seeds | mutations | records | decoded | rejected (by reason) | declined → other / none | crashes | hangs | contract | max ms | p99.9 ms |',
    '| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    lines.push(`| ${r.decoder} | ${r.seeds} | ${r.mutations} | ${r.records} | ${r.decoded} | ${reasons(r)} | ${r.declinedOther} / ${r.declinedNone} | ${r.crashes} | ${r.hangs} | ${r.contract} | ${fmtMs(r.maxMs)} | ${fmtMs(r.p999Ms)} |`);
  }
  const sum = (f: (r: Row) => number): number => rows.reduce((n, r) => n + f(r), 0);
  const allReasons = new Map<string, number>();
  for (const r of rows) for (const [k, n] of r.rejected) allReasons.set(k, (allReasons.get(k) ?? 0) + n);
  const tot = { ...newRow('**total**'), rejected: allReasons };
  lines.push(`| **total** | ${sum((r) => r.seeds)} | ${sum((r) => r.mutations)} | ${sum((r) => r.records)} | ${sum((r) => r.decoded)} | ${reasons(tot)} | ${sum((r) => r.declinedOther)} / ${sum((r) => r.declinedNone)} | ${sum((r) => r.crashes)} | ${sum((r) => r.hangs)} | ${sum((r) => r.contract)} | ${fmtMs(Math.max(0, ...rows.map((r) => r.maxMs)))} | ${fmtMs(Math.max(0, ...rows.map((r) => r.p999Ms)))} |`);
  return lines.join('\n');
}

function gitCommit(): string {
  try {
    return execSync('git rev-parse --short HEAD', { cwd: new URL('..', import.meta.url).pathname, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return 'unknown';
  }
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const work = mkdtempSync(join(tmpdir(), 'crosswatch-fuzz-'));
  try {
    const seeds = await collectSeeds(opts, work);
    const decoders = DECODERS.filter((d) => opts.decoder === null || d.name === opts.decoder);
    const runner = new Runner(opts);
    const per = Math.floor(opts.records / decoders.length);
    let extra = opts.records - per * decoders.length;
    const e2e: string[] = [];
    process.stderr.write(`fuzz: ${opts.records} mutations over ${decoders.length} decoder(s), seed ${opts.seed}, commit ${gitCommit()}, node ${process.version}\n`);
    for (const d of decoders) {
      // Seeded by the decoder's place in the registry, so --decoder NAME with the same --records per decoder replays the same run.
      const k = DECODERS.indexOf(d);
      const s = seeds.get(d.name) ?? [];
      const n = per + (extra-- > 0 ? 1 : 0);
      if (s.length === 0) runner.finding({ kind: 'e2e', decoder: d.name, phase: 'seeds', detail: 'no valid seed record' } as Finding);
      runner.runDecoder(d, s, n, opts.seed * 1000 + k);
      const summary = await runner.endToEnd(d, s, opts.e2eLines, opts.seed * 1000 + 500 + k, work);
      e2e.push(`- ${d.name}: ${summary}`);
      const r = runner.row(d.name);
      process.stderr.write(`fuzz: ${d.name}: ${r.mutations} mutations, ${r.records} records in ${r.seconds.toFixed(1)} s (max ${fmtMs(r.maxMs)} ms, p99.9 ${fmtMs(r.p999Ms)} ms); e2e: ${summary}\n`);
    }
    const rows = decoders.map((d) => runner.row(d.name));
    // Crashes of framing or of decoders reached through another's records have rows too.
    for (const r of runner.rows.values()) if (!rows.includes(r)) rows.push(r);
    const seconds = (performance.now() - started) / 1000;
    const out = [
      `# crosswatch fuzz run`,
      '',
      `date ${new Date().toISOString()}, commit ${gitCommit()}, node ${process.version}, seed ${opts.seed}, ${opts.records} mutations requested, ${seconds.toFixed(0)} s wall clock`,
      '',
      table(rows),
      '',
      'End to end (valid lines interleaved with mutated ones, framed and decoded, and through hunt\'s counters):',
      '',
      ...e2e,
      '',
    ];
    if (runner.findings.length > 0) {
      out.push('Findings (first few per decoder and kind):', '');
      for (const f of runner.findings) out.push(`- ${f.kind} in ${f.decoder} (${f.phase}): ${f.detail}${f.record ? `\n  record: ${f.record}` : ''}`);
      out.push('');
    }
    process.stdout.write(out.join('\n'));
    const bad = rows.reduce((n, r) => n + r.crashes + r.hangs + r.contract, 0) + runner.findings.filter((f) => f.phase === 'seeds').length;
    return bad > 0 ? 1 : 0;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().then((code) => {
  process.exitCode = code;
}, (err: unknown) => {
  process.stderr.write(`fuzz: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 2;
});
