// What decoders declare about themselves (types.ts: roles, alertMarkers,
// timeFields, alertClasses) is what shared code asks the registry instead of
// naming decoders: hunt's identity decoders, the fast pass's marker words. The
// declarations must say what the decoders do: checked here against the corpus
// (and the shared fixtures and rule samples where they are), a few inline
// records, and docs/formats.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { DECODERS, alertClass, alertMarkerWords, decodeIfIdentity, decodeRecord, decoderNamed, emitsQualifying, identityDecoders } from '../src/decoders/index.js';
import type { DecodeContext, RawRecord } from '../src/decoders/types.js';
import type { Role } from '../src/model/event.js';
import { MARKER_WORDS, mayBeNetworkAlert } from '../src/pipeline/alert-markers.js';
import { frameFile } from '../src/inputs/framing.js';
import { expandInputs } from '../src/inputs/inputs.js';
import { FIXTURES_REQUIRED, fixturesAvailable, fixturesDir } from './fixtures-helpers.js';

const CTX: DecodeContext = { defaultOffsetMinutes: 0, reference: { ms: Date.UTC(2026, 5, 1), ns: 0 } };
/** The corpus's generic-json files use this mapping (as test/corpus.test.ts does). */
const GENERIC_CTX: DecodeContext = { ...CTX, genericMap: { ip: 'attacker.ip', time: 'observed_at', name: 'threat.name', severity: 'threat.severity', sensor: 'sensor' } };
const ROLES: readonly Role[] = ['network_alert', 'signin', 'mail_access', 'other'];

const CORPUS = fileURLToPath(new URL('./corpus/', import.meta.url));
const DIRS = [
  CORPUS,
  fileURLToPath(new URL('../rules/samples/', import.meta.url)),
  ...(fixturesAvailable() || FIXTURES_REQUIRED ? [fixturesDir()] : []),
];

/**
 * The corpus has no ECS network alert (nor do the fixtures or the rule samples):
 * these stand in for them, nested and dotted, kind "alert" and "signal" in any case.
 */
const ECS_ALERTS: Array<Record<string, unknown>> = [
  { '@timestamp': '2026-03-02T10:00:00Z', event: { kind: 'alert', dataset: 'suricata.eve' }, source: { ip: '81.2.69.160' }, rule: { name: 'ET SCAN' } },
  { '@timestamp': '2026-03-02T10:00:00Z', 'event.kind': 'SIGNAL', 'event.dataset': 'network_traffic.flow', 'source.ip': '81.2.69.161' },
  { '@timestamp': '2026-03-02T10:00:00Z', event: { kind: 'Alert', dataset: 'panw.panos' }, source: { ip: '81.2.69.162' }, kibana: { alert: { original_time: '2026-03-02T09:59:00Z' } } },
];

interface Seen {
  decoder: string;
  role: Role;
  category: string | undefined;
  kind: RawRecord['kind'];
  /** The raw text of a JSON record, as the fast pass sees it. */
  text?: string;
}

async function decodedRecords(): Promise<Seen[]> {
  const out: Seen[] = [];
  const add = (item: RawRecord, ctx: DecodeContext): void => {
    const { decoder, result } = decodeRecord(item, ctx);
    if (!result.ok || decoder === null) return;
    const e = result.event.event;
    out.push({
      decoder, role: e.crosswatch.role, category: e.crosswatch.category, kind: item.kind,
      ...(item.kind === 'json' ? { text: JSON.stringify(item.value) } : {}),
    });
  };
  for (const f of (await expandInputs(DIRS)).files) {
    const ctx = f.path.startsWith(join(CORPUS, 'generic-json')) ? GENERIC_CTX : CTX;
    for await (const batch of frameFile(f.path, f.display)) {
      for (const item of batch) if (item.kind !== 'problem') add(item, ctx);
    }
  }
  ECS_ALERTS.forEach((value, line) => add({ kind: 'json', value, origin: { source: 'ecs-inline', line } }, CTX));
  return out;
}

const records = decodedRecords();

test('every decoder declares the roles it emits, and emits no other', async () => {
  const seen = new Map<string, Set<Role>>();
  for (const r of await records) {
    if (!seen.has(r.decoder)) seen.set(r.decoder, new Set());
    seen.get(r.decoder)!.add(r.role);
  }
  for (const d of DECODERS) {
    assert.ok(d.roles.length > 0 && d.roles.every((r) => ROLES.includes(r)), `${d.name}: ${d.roles.join(', ')}`);
    assert.equal(new Set(d.roles).size, d.roles.length, `${d.name} names a role twice`);
    const got = seen.get(d.name);
    assert.ok(got, `no corpus record of ${d.name}`);
    for (const role of got) assert.ok(d.roles.includes(role), `${d.name} emitted ${role}, which it does not declare`);
  }
});

test('the identity decoders are those whose records are sign-ins or mail access, never network alerts', async () => {
  // What hunt's sniff treated as "holds no network alert" before the registry answered (batch-file.ts).
  assert.deepEqual([...identityDecoders()].sort(), ['entra-portal-csv', 'entra-signin', 'm365-audit']);
  const qualifying = new Set<string>();
  const alerting = new Set<string>();
  for (const r of await records) {
    if (r.role === 'signin' || r.role === 'mail_access') qualifying.add(r.decoder);
    if (r.role === 'network_alert') alerting.add(r.decoder);
  }
  // Every decoder the corpus shows yielding sign-ins or mail access is an identity decoder,
  // or (ecs) one that yields network alerts too; an identity decoder never yields an alert.
  for (const name of qualifying) assert.ok(identityDecoders().has(name) || alerting.has(name), name);
  for (const name of identityDecoders()) {
    assert.ok(qualifying.has(name), `${name}: no sign-in or mail access in the corpus`);
    assert.ok(!alerting.has(name), `${name} yielded a network alert`);
  }
  assert.deepEqual([...qualifying].filter((n) => !identityDecoders().has(n)), ['ecs']);
  // decodeIfIdentity (hunt's second pass) decodes the records of exactly the decoders that can yield them.
  assert.deepEqual(DECODERS.filter(emitsQualifying).map((d) => d.name).sort(), [...qualifying].sort());
  const eve: RawRecord = { kind: 'json', value: { timestamp: '2026-03-02T10:00:00Z', event_type: 'alert', src_ip: '81.2.69.160' }, origin: { source: 'x', line: 1 } };
  assert.equal(decodeIfIdentity(eve, CTX), null);
});

test('the marker words are the union of what decoders declare, and each is in their network-alert JSON records', async () => {
  const words = alertMarkerWords();
  assert.deepEqual(MARKER_WORDS, [...words]);
  // The same words the fast pass looked for before decoders declared them (the scan kernel takes at most 8).
  assert.deepEqual([...words].sort(), ['"alert"', '"note"', '"rule"', '"sid"', '"signal"']);
  assert.deepEqual(alertMarkerWords(), words, 'a stable answer');
  for (const d of DECODERS) {
    for (const w of d.alertMarkers ?? []) {
      assert.match(w, /^"[a-z_]{1,14}"$/, `${d.name}: ${w} is a quoted lower-case word`);
      assert.ok(d.roles.includes('network_alert'), `${d.name} declares markers but no network alerts`);
    }
  }
  const alerts = (await records).filter((r) => r.role === 'network_alert' && r.kind === 'json');
  const jsonAlerting = new Set(alerts.map((r) => r.decoder));
  // Every word declared is found in some network alert of a decoder that declares it.
  for (const w of words) {
    const found = alerts.some((r) => decoderNamed(r.decoder)?.alertMarkers?.includes(w) && r.text!.toLowerCase().includes(w));
    assert.ok(found, `${w}: in no network-alert JSON record of a decoder that declares it`);
  }
  // Every network-alert JSON record carries one of its own decoder's words; generic-json's
  // carry none (the user maps the fields; hunt turns the fast pass off with --map).
  for (const r of alerts) {
    const own = decoderNamed(r.decoder)?.alertMarkers ?? [];
    if (r.decoder === 'generic-json') {
      assert.equal(own.length, 0);
      continue;
    }
    assert.ok(own.some((w) => r.text!.toLowerCase().includes(w)), `${r.decoder}: ${r.text!.slice(0, 120)}`);
    assert.ok(mayBeNetworkAlert(r.text!));
  }
  assert.deepEqual(DECODERS.filter((d) => d.alertMarkers?.length).map((d) => d.name).sort(), [...jsonAlerting].filter((n) => n !== 'generic-json').sort());
});

test('the alert-class tables say what the decoders decided', async () => {
  let checked = 0;
  for (const r of await records) {
    const d = decoderNamed(r.decoder)!;
    if (!d.alertClasses || r.category === undefined) continue;
    const cls = alertClass(r.decoder, r.category);
    if (cls === 'alert') assert.equal(r.role, 'network_alert', `${r.decoder} ${r.category}`);
    if (cls === 'not-alert') assert.equal(r.role, 'other', `${r.decoder} ${r.category}`);
    checked++;
  }
  assert.ok(checked >= 50, `${checked} records checked`);
  // Decoders whose every record is an alert, or none, need no table; ecs goes by event.kind and
  // the dataset (identity datasets' alerts are no network alerts), not by a kind it counts.
  for (const d of DECODERS) {
    if (d.roles.includes('network_alert') && d.roles.includes('other') && d.name !== 'ecs') assert.ok(d.alertClasses, `${d.name}: alerts and other records, but no table`);
  }
  // Spot checks of the kinds docs/formats.md and test/decoders-alert-class.test.ts name.
  const want: Array<[string, string, string]> = [
    ['panos-threat', 'THREAT/vulnerability', 'alert'], ['panos-threat', 'THREAT/url', 'by-rule'], ['panos-threat', 'THREAT/data', 'not-alert'],
    ['panos-threat', 'GLOBALPROTECT', 'not-alert'], ['cef', 'HIPMATCH', 'not-alert'], ['cef', 'THREAT/spyware', 'alert'],
    ['fortigate', 'utm/ips', 'alert'], ['fortigate', 'ips/signature', 'alert'], ['fortigate', 'utm/webfilter', 'by-rule'], ['fortigate', 'utm/dns', 'not-alert'],
    ['fortigate', 'traffic', 'not-alert'], ['fortigate', 'event', 'not-alert'], ['cef', 'utm/anomaly', 'alert'], ['cef', 'log', 'not-alert'], ['cef', 'threat', 'alert'],
    ['zeek-log', 'conn', 'not-alert'], ['zeek-log', 'known_services', 'not-alert'], ['suricata-eve', 'alert', 'alert'], ['suricata-eve', 'flow', 'not-alert'],
  ];
  for (const [decoder, category, cls] of want) assert.equal(alertClass(decoder, category), cls, `${decoder} ${category}`);
});

// --- docs/formats.md ---------------------------------------------------------------------------

const DOCS = readFileSync(fileURLToPath(new URL('../docs/formats.md', import.meta.url)), 'utf8');

/** The kinds a cell of the "What becomes a network alert" table names: single words, or "TYPE sub" for TYPE/sub. */
function kindsIn(cell: string): string[] {
  return cell.replace(/`/g, '').replace(/\([^)]*\)/g, '').split(/,|;| and /).map((t) => t.trim()).flatMap((t) => {
    if (/^[\w-]+$/.test(t)) return [t];
    const two = /^([\w-]+) ([\w-]+)$/.exec(t);
    return two ? [`${two[1]}/${two[2]}`] : [];
  });
}

test('docs/formats.md: the kinds its alert table names are classed so by the decoders', () => {
  const rows: Array<[string, string[]]> = [
    ['Suricata EVE', ['suricata-eve']],
    ['Zeek', ['zeek-log']],
    ['PAN-OS (syslog CSV and CEF)', ['panos-threat', 'cef']],
    ['FortiGate (key=value and CEF)', ['fortigate', 'cef']],
  ];
  for (const [source, decoders] of rows) {
    const row = DOCS.split('\n').find((l) => l.startsWith(`| ${source} |`));
    assert.ok(row, source);
    const [, , alerts = '', notAlerts = ''] = row.split('|').map((c) => c.trim());
    const never = kindsIn(notAlerts);
    assert.ok(never.length >= 2, `${source}: ${never.join(', ')}`);
    for (const d of decoders) {
      for (const k of never) assert.equal(alertClass(d, k), 'not-alert', `${source} / ${d}: ${k}`);
      // The alert column simplifies (FortiGate antivirus is an alert unless it is no detection): named there means not "never".
      for (const k of kindsIn(alerts)) assert.notEqual(alertClass(d, k), 'not-alert', `${source} / ${d}: ${k}`);
    }
  }
});

/** Time fields a decoder declares that docs/formats.md does not name (none, now). */
const UNDOCUMENTED_TIME_FIELDS = new Set<string>();

test('docs/formats.md: each decoder\'s section names the time fields it declares', () => {
  const sections = DOCS.split(/\n(?=## )/);
  for (const d of DECODERS) {
    if (!d.timeFields) continue;
    const section = sections.find((s) => s.split('\n', 1)[0]!.includes(`(\`${d.name}\``));
    assert.ok(section, `no section for ${d.name}`);
    const row = section.split('\n').find((l) => l.startsWith('| `@timestamp` |')) ?? section;
    for (const f of d.timeFields) {
      if (UNDOCUMENTED_TIME_FIELDS.has(`${d.name} ${f}`)) continue;
      assert.ok(row.includes(f), `${d.name}: ${f} is not in ${row.slice(0, 160)}`);
    }
  }
});

// --- decoders import common helpers, never each other ----------------------------------------------

test('a decoder imports the shared helpers (types, fields, syslog, common/), never another decoder', () => {
  const dir = fileURLToPath(new URL('../src/decoders/', import.meta.url));
  const helpers = new Set(['./types.js', './fields.js', './syslog.js']);
  const decoderFiles = readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'index.ts' && /export const \w+: Decoder = /.test(readFileSync(join(dir, f), 'utf8')));
  assert.equal(decoderFiles.length, DECODERS.length);
  for (const f of decoderFiles) {
    const local = [...readFileSync(join(dir, f), 'utf8').matchAll(/^import .* from '(\.[^']+)';$/gm)].map((m) => m[1]!);
    for (const p of local) assert.ok(helpers.has(p) || p.startsWith('./common/') || p.startsWith('../model/'), `${f} imports ${p}`);
  }
  for (const f of readdirSync(join(dir, 'common'))) {
    const local = [...readFileSync(join(dir, 'common', f), 'utf8').matchAll(/^import .* from '(\.[^']+)';$/gm)].map((m) => m[1]!);
    for (const p of local) assert.ok(['../types.js', '../fields.js', '../syslog.js'].includes(p) || p.startsWith('../../model/') || (p.startsWith('./') && !p.includes('/', 2)), `common/${f} imports ${p}`);
  }
});

// --- m365-audit decides in one place ---------------------------------------------------------------

test('m365-audit: accepts() is "one of its shape cues holds", so explain names the shape it took', () => {
  const m365 = decoderNamed('m365-audit')!;
  const api = { CreationTime: '2026-03-02T10:00:00', Operation: 'MailItemsAccessed', Workload: 'Exchange', ClientIPAddress: '81.2.69.160' };
  const json = (value: Record<string, unknown>): RawRecord => ({ kind: 'json', value, origin: { source: 'm365', line: 1 } });
  const csv = (value: Record<string, string>): RawRecord => ({ kind: 'csv', value, origin: { source: 'm365', line: 1 } });
  const records: RawRecord[] = [
    json(api), json({ o365audit: api }), json({ ...api, '@timestamp': '2026-03-02T10:00:00Z' }), json({ o365audit: { Operation: 'x' } }),
    json({ AuditData: JSON.stringify(api), CreationDate: '2026-03-02T10:00:00Z' }), csv({ AuditData: JSON.stringify(api), Operations: 'MailItemsAccessed' }),
    csv({ Type: 'OfficeActivity', Operation: 'MailItemsAccessed', 'TimeGenerated [UTC]': '3/2/2026, 10:00:00.000 AM' }), json({ Operation: 'x', Workload: 'y' }),
    { kind: 'text', value: 'CreationTime Operation', origin: { source: 'm365', line: 1 } },
  ];
  for (const r of records) {
    const shapes = m365.cues.slice(1).filter((c) => c.test(r));
    assert.equal(m365.accepts(r, CTX), shapes.length > 0, JSON.stringify(r.value));
    assert.ok(shapes.length <= 1, `one shape at most: ${shapes.map((c) => c.label).join('; ')}`);
  }
  // Elastic Agent's wrapper: explain used to leave out why (its cue looked at the outer object only).
  const { decoder, result } = decodeRecord(records[1]!, CTX);
  assert.equal(decoder, 'm365-audit');
  assert.equal(result.ok && result.event.event.crosswatch.role, 'mail_access');
  assert.ok(m365.cues[1]!.test(records[1]!));
});
