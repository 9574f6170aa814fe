// The sample-data generator: determinism, the vendor formats it writes, the mix,
// the planted cases in truth.json, and — re-reading every written record with a
// small independent reader — that truth.json is what the reference implementation
// says about the records actually on disk.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { generate } from '../src/generate/generator.js';
import type { GenerateResult, Truth } from '../src/generate/generator.js';
import { RULE_MAIL, RULE_SIGNIN, referencePairs } from '../src/generate/reference.js';
import type { Fact } from '../src/generate/reference.js';
import { canonicalIp } from '../src/model/ip.js';
import { parseTime } from '../src/model/time.js';

type Json = Record<string, unknown>;

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'cw-generate-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(relative(dir, join(e.parentPath, e.name)));
  }
  return out.sort();
}

async function readTruth(r: GenerateResult): Promise<Truth> {
  return JSON.parse(await readFile(r.truthPath, 'utf8')) as Truth;
}

function rulesFor(truth: Truth, ip: string): string[] {
  return truth.pairs.filter((p) => p.ip === ip).map((p) => p.rule).sort();
}

describe('generate: determinism', () => {
  it('writes byte-identical files for the same seed and N, different ones for another seed', async () => {
    const a = await generate({ outDir: join(root, 'det-a'), events: 3000, seed: 7 });
    const b = await generate({ outDir: join(root, 'det-b'), events: 3000, seed: 7 });
    const c = await generate({ outDir: join(root, 'det-c'), events: 3000, seed: 8 });
    const fa = await listFiles(join(root, 'det-a'));
    assert.deepEqual(fa, await listFiles(join(root, 'det-b')));
    assert.ok(fa.includes('truth.json'));
    let differs = false;
    for (const f of fa) {
      const x = await readFile(join(root, 'det-a', f));
      assert.ok(x.equals(await readFile(join(root, 'det-b', f))), `${f} differs between runs with the same seed`);
      const other = await readFile(join(root, 'det-c', f)).catch(() => null);
      if (other === null || !x.equals(other)) differs = true;
    }
    assert.ok(differs, 'another seed gives other data');
    assert.deepEqual(a.pairs, b.pairs);
    // Regenerating into a used folder leaves no stale blobs of an earlier, bigger run; other files stay.
    await writeFile(join(root, 'det-c', 'logs', 'm365', 'Audit.Exchange-0099.json'), '[]');
    await writeFile(join(root, 'det-c', 'logs', 'm365', 'notes.txt'), 'mine');
    await generate({ outDir: join(root, 'det-c'), events: 200, seed: 8 });
    const files = await listFiles(join(root, 'det-c', 'logs', 'm365'));
    assert.deepEqual(files, ['Audit.AzureActiveDirectory-0001.json', 'Audit.Exchange-0001.json', 'Audit.SharePoint-0001.json', 'notes.txt']);
    assert.equal(a.records, b.records);
    assert.ok(c.records > 0);
  });
});

describe('generate: formats, mix and truth', () => {
  let dir: string;
  let result: GenerateResult;
  let truth: Truth;
  const facts: Fact[] = [];
  const counts = new Map<string, number>();
  const bump = (k: string): void => void counts.set(k, (counts.get(k) ?? 0) + 1);
  const upns = new Set<string>();
  const errorCodes = new Set<number>();
  const spellings = (v: unknown): void => {
    if (typeof v !== 'string') return;
    if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(v)) bump('spell:v4port');
    if (v.startsWith('::ffff:')) bump('spell:mapped');
    if (/^\[[0-9a-fA-F:]+\]:\d+$/.test(v)) bump('spell:v6bracket');
    if (/[A-F]/.test(v) && v.includes(':')) bump('spell:v6upper');
    if (/^[0-9a-f]{4}(:[0-9a-f]{4}){7}$/.test(v)) bump('spell:v6expanded');
  };

  const at = (v: unknown): { ms: number; ns: number } => {
    const t = parseTime(v);
    assert.ok(t, `unparseable time ${String(v)}`);
    return t;
  };

  function entraFact(r: Json, graph: boolean): void {
    const p = (graph ? r : r.properties) as Json;
    const status = p.status as Json;
    assert.equal(typeof status.errorCode, 'number');
    errorCodes.add(status.errorCode as number);
    const created = p.createdDateTime as string;
    if (graph) {
      assert.match(created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
      bump('signin:graph');
    } else {
      assert.match(created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}\+00:00$/);
      assert.equal(typeof r.resultType, 'string');
      assert.equal(r.resultType, String(status.errorCode));
      assert.ok((parseTime(r.time)!.ms) > at(created).ms, '`time` is after createdDateTime (write delay)');
      bump(`signin:${r.category as string}`);
    }
    const sp = p.servicePrincipalName as string | undefined;
    const user = sp ?? (p.userPrincipalName as string);
    if (!sp) upns.add(user);
    facts.push({ role: 'signin', ip: canonicalIp(p.ipAddress), at: at(created), user, success: status.errorCode === 0, recordId: p.id as string });
  }

  function m365Fact(r: Json): void {
    assert.match(r.CreationTime as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/, 'CreationTime has no zone');
    const op = r.Operation as string;
    bump(`m365:${op}`);
    const base = { at: at(r.CreationTime), user: r.UserId as string, recordId: r.Id as string };
    spellings(r.ClientIP);
    spellings(r.ClientIPAddress);
    if (op === 'MailItemsAccessed') {
      assert.equal(r.RecordType, 50);
      assert.equal(r.Workload, 'Exchange');
      assert.ok(['Succeeded', 'Failed'].includes(r.ResultStatus as string));
      facts.push({ role: 'mail_access', ip: canonicalIp(r.ClientIPAddress ?? r.ClientIP), success: r.ResultStatus === 'Succeeded', ...base });
    } else if (op === 'UserLoggedIn' || op === 'UserLoginFailed') {
      assert.equal(r.RecordType, 15);
      assert.equal(r.Workload, 'AzureActiveDirectory');
      assert.equal(r.ActorIpAddress, r.ClientIP);
      assert.ok(Array.isArray(r.ExtendedProperties));
      facts.push({ role: 'signin', ip: canonicalIp(r.ClientIP), success: op === 'UserLoggedIn' && r.ResultStatus === 'Success', ...base });
    } else {
      facts.push({ role: 'other', ip: canonicalIp(r.ClientIP), success: true, ...base });
    }
  }

  function eveFact(r: Json): void {
    assert.match(r.timestamp as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d{4}$/);
    bump(`eve:${r.event_type as string}`);
    spellings(r.src_ip);
    if (r.event_type === 'alert') {
      const sig = (r.alert as Json).signature as string;
      assert.match(sig, /^ET (SCAN|CINS|COMPROMISED|POLICY|DROP|TOR|EXPLOIT) /);
      facts.push({ role: 'network_alert', ip: canonicalIp(r.src_ip), at: at(r.timestamp), success: true });
    }
  }

  before(async () => {
    dir = join(root, 'formats');
    result = await generate({ outDir: dir, events: 30000, seed: 42 });
    truth = await readTruth(result);
    for (const f of result.files) {
      const text = await readFile(f.path, 'utf8');
      let n = 0;
      if (f.format === 'entra-ndjson' || f.format === 'suricata-eve') {
        for (const line of text.split('\n')) {
          if (line === '') continue;
          const r = JSON.parse(line) as Json;
          n++;
          if (f.format === 'entra-ndjson') entraFact(r, false);
          else eveFact(r);
        }
      } else if (f.format === 'entra-records') {
        const blob = JSON.parse(text) as { records: Json[] };
        for (const r of blob.records) entraFact(r, false);
        n = blob.records.length;
      } else if (f.format === 'graph-signins') {
        const page = JSON.parse(text) as { value: Json[] };
        assert.ok(Array.isArray(page.value));
        for (const r of page.value) entraFact(r, true);
        n = page.value.length;
      } else if (f.format === 'm365-json-array') {
        const arr = JSON.parse(text) as Json[];
        assert.ok(Array.isArray(arr));
        for (const r of arr) m365Fact(r);
        n = arr.length;
      } else if (f.format === 'purview-csv') {
        assert.ok(text.startsWith('\ufeffCreationDate,UserIds,Operations,AuditData\r\n'), 'BOM and header');
        assert.ok(!/[^\r]\n/.test(text), 'every line ends in CRLF');
        const rows = parseCsv(text, { bom: true, columns: true, record_delimiter: '\r\n' }) as Array<Record<string, string>>;
        for (const row of rows) {
          const r = JSON.parse(row.AuditData!) as Json;
          assert.equal(row.Operations, r.Operation);
          assert.equal(row.UserIds, r.UserId);
          assert.equal(row.CreationDate, `${r.CreationTime as string}.0000000Z`);
          m365Fact(r);
          bump('purview-row');
        }
        n = rows.length;
      } else {
        assert.fail(`unknown format ${f.format}`);
      }
      assert.equal(n, f.records, `${f.path}: record count`);
    }
  });

  it('writes every vendor format', () => {
    const formats = new Set(result.files.map((f) => f.format));
    for (const f of ['entra-ndjson', 'entra-records', 'graph-signins', 'm365-json-array', 'purview-csv', 'suricata-eve']) {
      assert.ok(formats.has(f), f);
    }
    for (const c of ['SignInLogs', 'NonInteractiveUserSignInLogs', 'ServicePrincipalSignInLogs', 'ManagedIdentitySignInLogs']) {
      assert.ok((counts.get(`signin:${c}`) ?? 0) > 0, c);
    }
    for (const op of ['MailItemsAccessed', 'UserLoggedIn', 'UserLoginFailed', 'FileAccessed', 'Send', 'New-InboxRule']) {
      assert.ok((counts.get(`m365:${op}`) ?? 0) > 0, op);
    }
    for (const t of ['flow', 'dns', 'http', 'tls', 'alert']) assert.ok((counts.get(`eve:${t}`) ?? 0) > 0, t);
    assert.ok((counts.get('purview-row') ?? 0) > 0);
  });

  it('has the intended mix: mostly mail access, then sign-ins, then IDS with a few per cent alerts', () => {
    const sum = (prefix: string): number => [...counts].filter(([k]) => k.startsWith(prefix)).reduce((a, [, v]) => a + v, 0);
    const mail = counts.get('m365:MailItemsAccessed')!;
    const signins = sum('signin:') + (counts.get('m365:UserLoggedIn') ?? 0) + (counts.get('m365:UserLoginFailed') ?? 0);
    const ids = sum('eve:');
    const alerts = counts.get('eve:alert')!;
    assert.ok(mail > signins && signins > ids, `mail ${mail}, sign-ins ${signins}, IDS ${ids}`);
    assert.ok(alerts / ids > 0.01 && alerts / ids < 0.1, `alerts ${alerts} of ${ids}`);
    assert.ok(upns.size >= 300, `${upns.size} users`);
    assert.ok(Math.abs(result.records - 30000) < 30000 * 0.02, `${result.records} records`);
  });

  it('uses real failure codes and writes duplicates', () => {
    for (const code of [50126, 50074, 50140, 53003, 50053]) assert.ok(errorCodes.has(code), `error ${code}`);
    for (const code of errorCodes) assert.ok(code === 0 || code > 50000, `error ${code}`);
    const ids = new Map<string, number>();
    for (const f of facts) if (f.recordId) ids.set(f.recordId, (ids.get(f.recordId) ?? 0) + 1);
    assert.ok([...ids.values()].some((n) => n > 1), 'some record is delivered twice');
  });

  it('truth.json is the reference result over the records actually written', () => {
    assert.equal(truth.seed, 42);
    assert.equal(truth.events, 30000);
    assert.equal(truth.windowMs, 8 * 3_600_000);
    assert.equal(truth.maxUsersPerIp, 20);
    assert.deepEqual(truth.pairs, result.pairs);
    const recomputed = referencePairs(facts, { windowMs: truth.windowMs, maxUsersPerIp: truth.maxUsersPerIp });
    assert.deepEqual(recomputed, truth.pairs);
    const sorted = [...truth.pairs].sort((a, b) => (a.rule === b.rule ? (a.ip < b.ip ? -1 : 1) : a.rule < b.rule ? -1 : 1));
    assert.deepEqual(truth.pairs, sorted);
  });

  it('has pairs for both rules and every planted case as expected', () => {
    assert.ok(truth.pairs.some((p) => p.rule === RULE_SIGNIN));
    assert.ok(truth.pairs.some((p) => p.rule === RULE_MAIL));
    assert.ok(truth.cases.length >= 20);
    for (const c of truth.cases) assert.deepEqual(rulesFor(truth, c.ip), [...c.expect].sort(), `${c.name} (${c.ip})`);
  });

  it('excludes the planted negatives: cap, special ranges, failures, outside the window', () => {
    const negatives: Record<string, string> = {
      'cap-over': '194.169.175.10',
      'cap-max-plus-1': '194.169.175.11',
      'special-private-10': '10.20.30.40',
      'special-private-172': '172.20.5.17',
      'special-cgnat-100-64': '100.72.14.9',
      'special-ula-v6': 'fd12:3456:789a:1::25',
      'special-documentation': '198.51.100.77',
      'failed-only': '185.220.101.48',
      'after-window': '193.142.146.37',
      'before-alert': '193.142.146.36',
      'edge-end-plus-100ns': '45.155.205.234',
      'edge-end-plus-1ms': '45.155.205.235',
      'offset-before': '91.240.118.175',
      'write-delay-before': '45.155.205.236',
      'other-operations-only': '193.142.146.41',
    };
    for (const [name, ip] of Object.entries(negatives)) {
      assert.deepEqual(rulesFor(truth, ip), [], name);
      assert.ok(truth.cases.some((c) => c.name === name && c.ip === ip), `${name} is listed`);
      // Each negative really has an alert and activity on that address.
      assert.ok(facts.some((f) => f.role === 'network_alert' && f.ip === ip), `${name} has an alert`);
    }
    const positives: Record<string, string[]> = {
      '91.240.118.172': [RULE_SIGNIN, RULE_MAIL], // bulk mail reader
      '185.220.101.47': [RULE_SIGNIN, RULE_MAIL], // password spray, two successes
      '194.169.175.12': [RULE_SIGNIN, RULE_MAIL], // exactly 20 users
      '45.155.205.233': [RULE_SIGNIN], // tE == tA + window
      '193.142.146.35': [RULE_MAIL], // tE == tA
      '2a0d:5600:24:a1::1f': [RULE_SIGNIN, RULE_MAIL],
    };
    for (const [ip, rules] of Object.entries(positives)) assert.deepEqual(rulesFor(truth, ip), rules.sort(), ip);
    // The bulk reader is one user with well over 100 events; the spray has many accounts and 2 successes.
    const bulk = facts.filter((f) => f.ip === '91.240.118.172' && f.role === 'mail_access');
    assert.ok(bulk.length > 100 && new Set(bulk.map((f) => f.user)).size === 1);
    const spray = facts.filter((f) => f.ip === '185.220.101.47' && f.role === 'signin');
    assert.ok(new Set(spray.map((f) => f.user)).size >= 60);
    assert.equal(new Set(spray.filter((f) => f.success).map((f) => f.user)).size, 2);
  });

  it('spells addresses several ways across sources', () => {
    for (const k of ['spell:v4port', 'spell:mapped', 'spell:v6bracket', 'spell:v6upper', 'spell:v6expanded']) {
      assert.ok((counts.get(k) ?? 0) > 0, k);
    }
  });
});

describe('generate: scale', () => {
  it('streams 200k records in bounded memory with Graph pagination', async () => {
    const out = join(root, 'big');
    const heapBefore = process.memoryUsage().heapUsed;
    const r = await generate({ outDir: out, events: 200_000, seed: 3 });
    const heapAfter = process.memoryUsage().heapUsed;
    assert.ok(Math.abs(r.records - 200_000) < 4000, `${r.records} records`);
    const pages = r.files.filter((f) => f.format === 'graph-signins');
    assert.ok(pages.length >= 2);
    for (let i = 0; i < pages.length; i++) {
      const page = JSON.parse(await readFile(pages[i]!.path, 'utf8')) as Json;
      assert.ok(Array.isArray(page.value));
      assert.equal('@odata.nextLink' in page, i < pages.length - 1, 'nextLink on all pages but the last');
    }
    const truth = await readTruth(r);
    for (const c of truth.cases) assert.deepEqual(rulesFor(truth, c.ip), [...c.expect].sort(), c.name);
    assert.ok(r.files.length > 10);
    // Informational only: no timing or memory assertions.
    console.log(`# 200k: ${r.records} records, ${r.files.length} files, heap ${(heapBefore / 1e6).toFixed(0)} -> ${(heapAfter / 1e6).toFixed(0)} MB`);
  });
});
