// The compact forms of an event — hunt's slimEvent and the store's storedDoc —
// keep every field of COMPACT_FIELDS as the whole event has it: the fields a
// Sigma rule run by hunt's fast path and by serve may test (src/detect/rule.ts
// refuses a rule that tests others). Checked over every correlatable event of
// our corpus of vendor samples (test/corpus).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { expandInputs } from '../src/inputs/inputs.js';
import { frameFile } from '../src/inputs/framing.js';
import { decodeRecord } from '../src/decoders/index.js';
import { slimEvent } from '../src/hunt/batch-file.js';
import { storedDoc, storedEvent } from '../src/store/rows.js';
import { COMPACT_FIELDS, type DecodedEvent } from '../src/model/event.js';
import { eventField } from '../src/model/fields.js';
import { CTX } from './fixtures-helpers.js';

const CORPUS = fileURLToPath(new URL('./corpus/', import.meta.url));

test('slimEvent and the stored form keep every compact field as the whole event has it', async () => {
  const events: DecodedEvent[] = [];
  for (const f of (await expandInputs([CORPUS])).files) {
    for await (const batch of frameFile(f.path, f.display)) {
      for (const item of batch) {
        if (item.kind === 'problem') continue;
        const { result } = decodeRecord(item, CTX);
        if (result.ok && result.event.event.crosswatch.role !== 'other' && result.event.event.source?.ip) events.push(result.event);
      }
    }
  }
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const d of events) {
    const ev = d.event;
    const slim = slimEvent(d).event;
    const stored = storedEvent(ev.crosswatch.role, ev.source!.ip!, d.at.ms, d.at.ns, storedDoc(ev)).event;
    for (const f of COMPACT_FIELDS) {
      const want = eventField(ev, f);
      if (want !== undefined) seen.add(f);
      for (const [form, e] of [['slim', slim], ['stored', stored]] as const) {
        const got = eventField(e, f);
        if (JSON.stringify(got) !== JSON.stringify(want)) problems.push(`${ev.crosswatch.decoder} ${form} ${f}: ${JSON.stringify(got)} != ${JSON.stringify(want)}`);
      }
    }
  }
  assert.ok(events.length > 100, `${events.length} events`);
  assert.deepEqual(problems.slice(0, 20), [], `${problems.length} differences`);
  // The corpus has a value for every one of them (so the check above is not vacuous).
  assert.ok(seen.size === COMPACT_FIELDS.length, `fields seen: ${[...seen].join(', ')}; not seen: ${COMPACT_FIELDS.filter((f) => !seen.has(f)).join(', ')}`);
});
