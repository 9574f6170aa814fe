// Loads the shared vendor test vectors (../shared/fixtures beside the repository)
// as framed records, and their peer-expected ECS documents, for decoder tests.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import assert from 'node:assert/strict';
import type { DecodeContext, DecodeResult, RawRecord } from '../src/decoders/types.js';
import type { DecodedEvent, NormalizedEvent } from '../src/model/event.js';
import { field } from '../src/decoders/fields.js';
import { decodeRecord } from '../src/decoders/index.js';
import { LISTED_DIFFERENCES } from '../tools/conformance/differences.js';

/** `shared/fixtures/` lives beside the repository root (CI clones both side by side). */
export const FIXTURES_URL = new URL('../../shared/fixtures/', import.meta.url);

export function fixturePath(folder: string, file = ''): string {
  return fileURLToPath(new URL(`${folder}/${file}`, FIXTURES_URL));
}

export function fixturesAvailable(): boolean {
  return existsSync(fileURLToPath(FIXTURES_URL));
}

/** CI sets it: there, a test that needs the peer fixtures fails without them instead of skipping. */
export const FIXTURES_REQUIRED = process.env.CROSSWATCH_REQUIRE_FIXTURES === '1';

/**
 * The `skip` option of a test that reads ../shared/fixtures: false when they are
 * there (or required: then the test runs, and fails without them), else the
 * reason shown as the test is skipped. A user's clone has no ../shared.
 */
export function fixturesSkip(): false | string {
  if (FIXTURES_REQUIRED || fixturesAvailable()) return false;
  return 'needs the peer test vectors in ../shared/fixtures, which are not beside this clone (CROSSWATCH_REQUIRE_FIXTURES=1 makes this a failure)';
}

/** The peer fixtures folder as a path, for tests that read it as an input folder. */
export function fixturesDir(): string {
  return fileURLToPath(FIXTURES_URL);
}

/** A file of the project's own sample corpus (test/corpus/), which every clone has. */
export function readCorpus(rel: string): string {
  return readFileSync(new URL(`./corpus/${rel}`, import.meta.url), 'utf8');
}

export const CTX: DecodeContext = { defaultOffsetMinutes: 0, reference: { ms: Date.UTC(2026, 0, 1), ns: 0 } };

export function readFixture(folder: string, file: string): string {
  return readFileSync(fixturePath(folder, file), 'utf8');
}

/** Raw input files of a folder (not the expected outputs, not configs, not READMEs). */
export function rawFixtureFiles(folder: string): string[] {
  return readdirSync(fixturePath(folder))
    .filter((f) => (f.endsWith('.log') || f.endsWith('.json')) && !f.endsWith('-expected.json'))
    .sort();
}

/** The peer's expected documents for a raw file, or null when none was saved. */
export function loadExpected(folder: string, file: string): Record<string, unknown>[] | null {
  const p = fixturePath(folder, `${file}-expected.json`);
  if (!existsSync(p)) return null;
  const parsed = JSON.parse(readFileSync(p, 'utf8')) as { expected: Record<string, unknown>[] };
  return parsed.expected;
}

/**
 * Frames a raw fixture file as the sources would: `.log` = one JSON object per line;
 * `.json` = `{"events":[...]}` whose items are a pre-parsed record under `o365audit`,
 * or `{"event":{"original":"..."}}` (the original text is the record), or the record itself.
 */
export function loadRaw(folder: string, file: string): RawRecord[] {
  const text = readFixture(folder, file);
  const source = `${folder}/${file}`;
  if (file.endsWith('.log')) {
    const out: RawRecord[] = [];
    text.split('\n').forEach((line, i) => {
      if (line.trim() === '') return;
      out.push({ kind: 'json', value: JSON.parse(line) as Record<string, unknown>, origin: { source, line: i + 1 }, text: line });
    });
    return out;
  }
  const { events } = JSON.parse(text) as { events: Record<string, unknown>[] };
  return events.map((item, index): RawRecord => {
    const origin = { source, line: 1, index };
    const pre = item['o365audit'];
    if (pre && typeof pre === 'object' && !Array.isArray(pre)) {
      // The pre-parsed record is authoritative: some upstream event.original texts are not valid JSON.
      return { kind: 'json', value: pre as Record<string, unknown>, origin };
    }
    const original = field(item, 'event.original');
    if (typeof original === 'string') {
      return { kind: 'json', value: JSON.parse(original) as Record<string, unknown>, origin, text: original };
    }
    return { kind: 'json', value: item, origin };
  });
}

/** The Graph signIn example (upstream has a trailing comma, so it is not valid JSON as is). */
export function loadGraphSignIns(): Record<string, unknown>[] {
  const text = readFixture('msgraph', 'signin-get.md.response-example.json');
  const fixed = text.replace(/,(\s*[\]}])/g, '$1');
  const doc = JSON.parse(fixed) as { value: Record<string, unknown>[] };
  return doc.value;
}

export function jsonRecord(value: Record<string, unknown>, source = 'test'): RawRecord {
  return { kind: 'json', value, origin: { source, line: 1 } };
}

// --- Peer comparison -------------------------------------------------------

export type Compared = 'source.ip' | 'event.outcome' | 'event.action' | '@timestamp';

export interface Difference {
  file: string;
  index: number;
  field: Compared;
  ours: unknown;
  peer: unknown;
}

/** A deliberate difference from the peer, with the reason; `indexes` lists the records it covers. */
export interface KnownDifference {
  file: string;
  indexes: number[];
  field: Compared;
  ours: unknown;
  peer: unknown;
  reason: string;
}

export function expandKnown(list: readonly KnownDifference[]): Difference[] {
  return list.flatMap((k) => k.indexes.map((index) => ({ file: k.file, index, field: k.field, ours: k.ours, peer: k.peer })));
}

export function sortDifferences(list: Difference[]): Difference[] {
  return [...list].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.index - b.index || (a.field < b.field ? -1 : a.field > b.field ? 1 : 0)));
}

/** The peer's source IP: `source.ip`, or `client.ip` where a peer puts it there only. */
export function peerIp(doc: Record<string, unknown>): unknown {
  return field(doc, 'source.ip') ?? field(doc, 'client.ip');
}

/** The peer's @timestamp as epoch ms (it truncates to ms), or the raw value when unparseable. */
export function peerMs(doc: Record<string, unknown>): unknown {
  const t = field(doc, '@timestamp');
  if (typeof t !== 'string') return t;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? t : ms;
}

export interface FolderComparison {
  /** Raw records with a peer document. */
  records: number;
  /** Records whose four compared fields all agree with the peer. */
  agreements: number;
  /** Every disagreement, sorted. */
  differences: Difference[];
  /** Every decoded record (also those without a peer document), in file order. */
  decoded: Array<{ file: string; index: number; decoder: string | null; event: DecodedEvent; peer: Record<string, unknown> | null }>;
}

/**
 * Decodes every raw record of a fixture folder through the registry and compares
 * source.ip, event.outcome, event.action and @timestamp (as ms instants) with the
 * peer document at the same position. Throws when a record fails to decode.
 */
export function compareFolder(folder: string, only?: (file: string) => boolean): FolderComparison {
  const out: FolderComparison = { records: 0, agreements: 0, differences: [], decoded: [] };
  for (const file of rawFixtureFiles(folder)) {
    if (only && !only(file)) continue;
    const records = loadRaw(folder, file);
    const expected = loadExpected(folder, file);
    if (expected && expected.length !== records.length) {
      throw new Error(`${folder}/${file}: ${records.length} raw records but ${expected.length} expected documents`);
    }
    records.forEach((record, index) => {
      const d = decodeRecord(record, CTX);
      if (!d.result.ok) throw new Error(`${folder}/${file}[${index}] (${d.decoder}): ${d.result.error.reason}: ${d.result.error.message}`);
      const peer = expected ? expected[index]! : null;
      out.decoded.push({ file, index, decoder: d.decoder, event: d.result.event, peer });
      if (!peer) return;
      out.records++;
      const { at, event } = d.result.event;
      const pairs: Array<[Compared, unknown, unknown]> = [
        ['source.ip', event.source?.ip, peerIp(peer)],
        ['event.outcome', event.event.outcome, field(peer, 'event.outcome')],
        ['event.action', event.event.action, field(peer, 'event.action')],
        ['@timestamp', at.ms, peerMs(peer)],
      ];
      let agree = true;
      for (const [name, ours, theirs] of pairs) {
        if (!isDeepStrictEqual(ours, theirs)) {
          agree = false;
          out.differences.push({ file, index, field: name, ours, peer: theirs });
        }
      }
      if (agree) out.agreements++;
    });
  }
  out.differences = sortDifferences(out.differences);
  return out;
}

/**
 * The deliberate differences of a folder from the one list in
 * tools/conformance/differences.ts, restricted to the four fields compareFolder checks
 * (@timestamp as epoch ms, as compareFolder compares it).
 */
export function listedKnown(folder: string): KnownDifference[] {
  const four: readonly string[] = ['source.ip', 'event.outcome', 'event.action', '@timestamp'];
  return LISTED_DIFFERENCES.filter((l) => l.folder === folder && four.includes(l.field)).map((l) => ({
    file: l.file,
    indexes: l.indexes,
    field: l.field as Compared,
    ours: l.field === '@timestamp' && typeof l.ours === 'string' ? Date.parse(l.ours) : l.ours,
    peer: l.field === '@timestamp' && typeof l.peer === 'string' ? Date.parse(l.peer) : l.peer,
    reason: l.reason,
  }));
}

// --- Assertions shared by the decoder tests -----------------------------------

/** The decoded event, or a test failure naming the rejection. */
export function ok(r: DecodeResult): NormalizedEvent {
  if (!r.ok) assert.fail(`decode failed: ${r.error.reason}: ${r.error.message}`);
  return r.event.event;
}

/** Asserts a rejection with this reason (and message pattern). */
export function fails(r: DecodeResult, reason: string, pattern?: RegExp): void {
  assert.equal(r.ok, false, 'expected a rejection');
  if (!r.ok) {
    assert.equal(r.error.reason, reason, r.error.message);
    if (pattern) assert.match(r.error.message, pattern);
  }
}

/** A text line as framing hands it to the decoders. */
export function textRecord(value: string): RawRecord {
  return { kind: 'text', value, origin: { source: 'test', line: 1 } };
}
