// The correlator's column store of qualifying events (src/detect/qualifying-table.ts):
// every row reads back as it was written, past the bound on shared values too,
// and overwriting a row (an earlier copy of a record) leaves the others alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QualifyingTable, type QualifyingRow } from '../src/detect/qualifying-table.js';

const rowOf = (i: number): QualifyingRow => ({
  ip: `203.0.${(i >> 8) & 255}.${i & 255}`,
  role: i % 3 === 0 ? 'mail_access' : 'signin',
  rules: i % 7,
  ms: 1_772_000_000_000 + i * 1000.5,
  ns: (i * 7919) % 1_000_000,
  order: i % 5 === 0 ? undefined : i * 2 ** 20 + (i % 11),
  index: i % 100_000,
  // Ever-new users (more than the table shares), a few apps, sometimes none.
  user: `user-${i}@example.org`,
  app: i % 4 === 0 ? undefined : `app-${i % 9}`,
  client: 'Browser',
  userAgent: i % 2 ? 'Mozilla/5.0' : 'x'.repeat(2000 + (i % 3)),
  category: i % 6 === 0 ? undefined : 'SignInLogs',
  action: 'Sign-in activity',
  dataset: i % 3 === 0 ? 'o365.audit' : 'azure.signinlogs',
  // Most GUIDs (kept as words, spelled again), some other text, some none.
  id: i % 10 === 0 ? undefined : i % 3 === 0 ? `id-${i}` : `${i.toString(16).padStart(8, '0')}-0000-4000-8${(i % 4096).toString(16).padStart(3, '0')}-${(i * 7919).toString(16).padStart(12, '0')}`,
  detail: i % 8 === 0 ? undefined : { app_id: `a${i % 5}`, risk: { state: i % 2 ? 'none' : 'atRisk' } },
});

const readBack = (t: QualifyingTable, r: number): QualifyingRow => ({
  ip: t.ipOf(r), role: t.roleOf(r), rules: t.rulesOf(r), ms: t.msOf(r), ns: t.nsOf(r), order: t.orderOf(r), index: t.indexOf(r),
  user: t.textOf(r, 'user'), app: t.textOf(r, 'app'), client: t.textOf(r, 'client'), userAgent: t.textOf(r, 'userAgent'),
  category: t.textOf(r, 'category'), action: t.textOf(r, 'action'), dataset: t.textOf(r, 'dataset')!, id: t.idOf(r), detail: t.detailOf(r),
});

test('rows read back as written, past the number of values the table shares (70,000 distinct users)', () => {
  const t = new QualifyingTable();
  const n = 70_000;
  for (let i = 0; i < n; i++) assert.equal(t.add(rowOf(i)), i);
  for (let i = 0; i < n; i += 1) assert.deepEqual(readBack(t, i), rowOf(i), `row ${i}`);
  // Overwriting one row changes that row only.
  t.set(12_345, rowOf(99_999));
  assert.deepEqual(readBack(t, 12_345), rowOf(99_999));
  assert.deepEqual(readBack(t, 12_344), rowOf(12_344));
  assert.deepEqual(readBack(t, 12_346), rowOf(12_346));
  assert.ok(t.is(7, rowOf(7).ip, rowOf(7).role));
  assert.ok(!t.is(7, rowOf(8).ip, rowOf(7).role));
  assert.ok(!t.is(7, rowOf(7).ip, rowOf(7).role === 'signin' ? 'mail_access' : 'signin'));
});

test('equal details are kept once: rows with the same detail share one object', () => {
  const t = new QualifyingTable();
  const a = t.add({ ...rowOf(1), detail: { app_id: 'x', risk: { state: 'none' } } });
  const b = t.add({ ...rowOf(2), detail: { app_id: 'x', risk: { state: 'none' } } });
  const c = t.add({ ...rowOf(3), detail: { app_id: 'y', risk: { state: 'none' } } });
  assert.equal(t.detailOf(a), t.detailOf(b));
  assert.notEqual(t.detailOf(a), t.detailOf(c));
  assert.deepEqual(t.detailOf(c), { app_id: 'y', risk: { state: 'none' } });
});
