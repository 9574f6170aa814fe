// The record ids of the correlator's rows (src/detect/record-ids.ts): GUIDs kept
// as four words and spelled again exactly, every other id kept as it is, and an
// index that finds, takes out and forgets rows as a plain map from id to rows
// would — checked against such a map over random operations, with enough rows
// and removals that the open-addressing table grows and probes past removed slots.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { RecordIds } from '../src/detect/record-ids.js';

test('ids read back exactly as written: lower-case GUIDs, and anything else (upper case, braces, near-GUIDs, empty)', () => {
  const ids = new RecordIds();
  const written: Array<string | undefined> = [
    ...Array.from({ length: 200 }, () => randomUUID()),
    '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '80000000-7fff-8000-7fff-800000000000',
    randomUUID().toUpperCase(), `{${randomUUID()}}`, randomUUID().replace(/-/g, ''), `${randomUUID()} `, 'g0000000-0000-0000-0000-000000000000',
    '0000000-00000-0000-0000-000000000000', '', 'rec-1', undefined,
  ];
  ids.grow(written.length);
  written.forEach((id, r) => ids.set(r, id));
  written.forEach((id, r) => assert.equal(ids.get(r), id, `row ${r}`));
  // Overwritten, a row reads its new id (a GUID where text was, and back).
  ids.set(0, 'text now');
  ids.set(written.length - 2, written[1]);
  assert.equal(ids.get(0), 'text now');
  assert.equal(ids.get(written.length - 2), written[1]);
});

/** One step of the model check. */
type Step =
  | { op: 'add'; id: number | null }
  | { op: 'unindex'; row: number }
  | { op: 'forget'; mod: number }
  | { op: 'find'; id: number; mod: number };

for (const maxProbe of [undefined, 1]) test(`property: the index finds, takes out and forgets rows as a map from id to rows does${maxProbe ? ' (turned off early, as ids chosen to collide turn it off)' : ''}`, () => {
  // A small pool of ids, so that rows share them; half GUIDs, half other text.
  const pool = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? randomUUID() : `id-${i}`));
  const step: fc.Arbitrary<Step> = fc.oneof(
    { weight: 6, arbitrary: fc.record({ op: fc.constant('add' as const), id: fc.option(fc.integer({ min: 0, max: pool.length - 1 }), { nil: null }) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('unindex' as const), row: fc.nat(600) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('forget' as const), mod: fc.integer({ min: 2, max: 7 }) }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('find' as const), id: fc.integer({ min: 0, max: pool.length - 1 }), mod: fc.integer({ min: 1, max: 4 }) }) },
  );
  let spelling = 0;
  fc.assert(fc.property(fc.array(step, { minLength: 50, maxLength: 600 }), (steps) => {
    const ids = new RecordIds(maxProbe);
    const model = new Map<string, Set<number>>();
    const rowIds: Array<string | undefined> = [];
    for (const s of steps) {
      switch (s.op) {
        case 'add': {
          const r = rowIds.length;
          const id = s.id === null ? undefined : pool[s.id]!;
          rowIds.push(id);
          ids.grow(r + 1);
          ids.set(r, id);
          ids.index(r);
          if (id !== undefined) model.set(id, (model.get(id) ?? new Set()).add(r));
          break;
        }
        case 'unindex': {
          if (s.row >= rowIds.length) break;
          ids.unindex(s.row);
          const id = rowIds[s.row];
          if (id !== undefined) model.get(id)?.delete(s.row);
          break;
        }
        case 'forget': {
          ids.unindexWhere((r) => r % s.mod === 0);
          for (const rows of model.values()) for (const r of [...rows]) if (r % s.mod === 0) rows.delete(r);
          break;
        }
        case 'find': {
          const id = pool[s.id]!;
          // Rows of one residue only (the correlator asks for the row of one IP and role).
          const match = (r: number): boolean => r % s.mod === 0;
          const got = ids.find(id, match);
          const candidates = [...(model.get(id) ?? [])].filter(match);
          if (candidates.length === 0) assert.equal(got, undefined, `find ${id}`);
          else assert.ok(got !== undefined && candidates.includes(got), `find ${id}: got ${got}, rows ${candidates.join(',')}`);
          break;
        }
      }
    }
    // Every row still reads its id.
    rowIds.forEach((id, r) => assert.equal(ids.get(r), id));
    if (ids.spelling) spelling++;
  }), { numRuns: 300 });
  if (maxProbe === 1) assert.ok(spelling > 100, `the index was turned off mid-run in ${spelling} of 300 runs`);
  else assert.equal(spelling, 0, 'random GUIDs never probe far');
});

test('a hundred thousand GUIDs: each found by its id, none by a near one, and all gone once forgotten', () => {
  const ids = new RecordIds();
  const n = 100_000;
  const all: string[] = Array.from({ length: n }, () => randomUUID());
  ids.grow(n);
  all.forEach((id, r) => {
    ids.set(r, id);
    ids.index(r);
  });
  for (let r = 0; r < n; r += 97) assert.equal(ids.find(all[r]!, () => true), r);
  // The same GUID with one digit changed is another id.
  const near = (id: string): string => (id[0] === 'a' ? 'b' : 'a') + id.slice(1);
  for (let r = 0; r < n; r += 997) if (!all.includes(near(all[r]!))) assert.equal(ids.find(near(all[r]!), () => true), undefined);
  ids.unindexWhere((r) => r % 2 === 0);
  for (let r = 0; r < 2000; r++) assert.equal(ids.find(all[r]!, () => true), r % 2 === 0 ? undefined : r);
  // Rows added after removals take the freed slots and are found.
  ids.grow(n + 10);
  for (let r = n; r < n + 10; r++) {
    ids.set(r, all[r - n]);
    ids.index(r);
  }
  assert.equal(ids.find(all[0]!, () => true), n);
});
