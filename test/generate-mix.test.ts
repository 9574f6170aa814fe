// `generate --mix ndjson`: the same records as the default mixed formats, framed as
// NDJSON only (issue #18's NDJSON-only bench input). Both mixes of one seed are
// generated through the CLI; every NDJSON file must be one JSON object a line, hunt
// must find exactly each mix's truth.json, and the truths (computed from the
// emitter's facts, which the framing must not change) must be the same.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import type { Truth } from '../src/generate/generator.js';
import { runCli } from './cli-run.js';

type Json = Record<string, unknown>;

const EVENTS = 20_000;
const SEED = 11;

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(relative(dir, join(e.parentPath, e.name)).split('\\').join('/'));
  }
  return out.sort();
}

interface Generated {
  logs: string;
  files: string[];
  truth: Truth;
}

async function generateMix(root: string, mix: 'mixed' | 'ndjson' | undefined): Promise<Generated> {
  const out = join(root, mix ?? 'default');
  const r = await runCli(['generate', '--out', out, '--events', String(EVENTS), '--seed', String(SEED), ...(mix ? ['--mix', mix] : [])]);
  assert.equal(r.code, 0, r.stderr);
  const logs = join(out, 'logs');
  return { logs, files: await listFiles(logs), truth: JSON.parse(await readFile(join(out, 'truth.json'), 'utf8')) as Truth };
}

const pairKeys = (pairs: Array<{ rule: string; ip: string }>): string[] => pairs.map((p) => `${p.rule} ${p.ip}`).sort();

async function huntPairs(logs: string): Promise<string[]> {
  const r = await runCli(['hunt', logs, '--format', 'ndjson', '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  const alerts = r.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { rule: { id: string }; source: { ip: string } });
  return [...new Set(alerts.map((a) => `${a.rule.id} ${a.source.ip}`))].sort();
}

/** One NDJSON file's records; fails unless every line is one JSON object. */
function ndjsonRecords(rel: string, text: string): Json[] {
  assert.ok(text.endsWith('\n'), `${rel}: ends with a newline`);
  return text.slice(0, -1).split('\n').map((line, i) => {
    const v = JSON.parse(line) as unknown;
    assert.ok(v !== null && typeof v === 'object' && !Array.isArray(v), `${rel}:${i + 1} is one JSON object`);
    return v as Json;
  });
}

/** Every Entra and M365 record of a logs folder, whatever its framing, by id (EVE aside: it has none). */
async function recordsById(g: Generated): Promise<Map<string, Array<{ shape: 'diag' | 'graph' | 'api' | 'csv'; r: Json }>>> {
  const byId = new Map<string, Array<{ shape: 'diag' | 'graph' | 'api' | 'csv'; r: Json }>>();
  const add = (id: unknown, shape: 'diag' | 'graph' | 'api' | 'csv', r: Json): void => {
    assert.equal(typeof id, 'string');
    byId.set(id as string, [...(byId.get(id as string) ?? []), { shape, r }]);
  };
  for (const rel of g.files) {
    if (rel.startsWith('suricata/')) continue;
    const text = await readFile(join(g.logs, rel), 'utf8');
    if (rel.endsWith('.csv')) {
      const rows = parseCsv(text, { bom: true, columns: true, record_delimiter: '\r\n' }) as Array<Record<string, string>>;
      for (const row of rows) {
        const r = JSON.parse(row.AuditData!) as Json;
        add(r.Id, 'csv', r);
      }
    } else if (rel.startsWith('graph/')) {
      for (const r of (JSON.parse(text) as { value: Json[] }).value) add(r.id, 'graph', r);
    } else if (rel.startsWith('entra/records-')) {
      for (const r of (JSON.parse(text) as { records: Json[] }).records) add((r.properties as Json).id, 'diag', r);
    } else if (rel.startsWith('m365/') && rel.endsWith('.json')) {
      for (const r of JSON.parse(text) as Json[]) add(r.Id, 'api', r);
    } else {
      for (const r of ndjsonRecords(rel, text)) {
        if (rel.startsWith('entra/')) add((r.properties as Json).id, 'diag', r);
        else add(r.Id, 'api', r);
      }
    }
  }
  return byId;
}

/** What the detections read from a sign-in, in either Entra shape. */
function signinFacts(shape: 'diag' | 'graph', r: Json): unknown[] {
  const p = (shape === 'graph' ? r : r.properties) as Json;
  const created = p.createdDateTime as string;
  // The instant, and its 100 ns digits (Date.parse stops at the millisecond).
  return [Date.parse(created), created.slice(20, 27), p.ipAddress, p.userPrincipalName, (p.status as Json).errorCode];
}

describe('generate --mix ndjson', () => {
  let root: string;
  let mixed: Generated;
  let ndjson: Generated;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'cw-generate-mix-'));
    mixed = await generateMix(root, undefined);
    ndjson = await generateMix(root, 'ndjson');
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes NDJSON files only: one JSON object a line, no CSV, no Graph pages, no envelopes', async () => {
    assert.deepEqual(ndjson.files, [
      'entra/insights-logs-managedidentitysigninlogs.json',
      'entra/insights-logs-noninteractiveusersigninlogs.json',
      'entra/insights-logs-serviceprincipalsigninlogs.json',
      'entra/insights-logs-signinlogs.json',
      'm365/Audit.AzureActiveDirectory.ndjson',
      'm365/Audit.Exchange.ndjson',
      'm365/Audit.SharePoint.ndjson',
      'suricata/fw-edge-01/eve.json',
      'suricata/ids-dmz-02/eve.json',
    ]);
    let lines = 0;
    for (const rel of ndjson.files) lines += ndjsonRecords(rel, await readFile(join(ndjson.logs, rel), 'utf8')).length;
    assert.equal(lines, ndjson.truth.records);
    // The default is the mixed formats, unchanged.
    assert.ok(mixed.files.some((f) => f.startsWith('graph/')) && mixed.files.some((f) => f.endsWith('.csv')));
    assert.equal(mixed.truth.records, EVENTS);
    assert.equal(mixed.truth.mix, undefined);
    assert.equal(ndjson.truth.mix, 'ndjson');
  });

  it('holds the same records: each id once per copy the mixed formats write in the API or diagnostic shape, else once', async () => {
    const a = await recordsById(mixed);
    const b = await recordsById(ndjson);
    assert.deepEqual([...b.keys()].sort(), [...a.keys()].sort());
    for (const [id, copies] of a) {
      const main = copies.filter((c) => c.shape === 'diag' || c.shape === 'api').map((c) => c.r);
      const got = b.get(id)!;
      if (main.length > 0) {
        assert.deepEqual(got.map((c) => c.r), main, id);
      } else if (copies[0]!.shape === 'graph') {
        // A Graph-only sign-in becomes a diagnostic record saying the same.
        assert.equal(got.length, 1, id);
        assert.equal(got[0]!.shape, 'diag', id);
        assert.deepEqual(signinFacts('diag', got[0]!.r), signinFacts('graph', copies[0]!.r), id);
      } else {
        // A Purview-only record becomes an API record, its AuditData as is.
        assert.deepEqual(got.map((c) => c.r), [copies[0]!.r], id);
      }
    }
    // EVE is not reframed.
    for (const rel of mixed.files.filter((f) => f.startsWith('suricata/'))) {
      assert.equal(await readFile(join(ndjson.logs, rel), 'utf8'), await readFile(join(mixed.logs, rel), 'utf8'), rel);
    }
  });

  it('has the same truth as the mixed formats, and hunt finds exactly it in each', async () => {
    assert.deepEqual(ndjson.truth.pairs, mixed.truth.pairs);
    assert.deepEqual(ndjson.truth.cases, mixed.truth.cases);
    const want = pairKeys(mixed.truth.pairs);
    assert.ok(want.length >= 4, 'the generator plants attacks for both rules');
    assert.deepEqual(await huntPairs(mixed.logs), want, 'mixed');
    assert.deepEqual(await huntPairs(ndjson.logs), want, 'ndjson');
  });
});
