// The fast first pass may skip a JSON record only if it cannot be a network
// alert: every network alert of every JSON format in the fixtures and the rule
// samples, and every record that is not one whole JSON object, must pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mayBeNetworkAlert } from '../src/pipeline/alert-markers.js';
import { decodeIfIdentity, decodeRecord } from '../src/decoders/index.js';
import { frameFile } from '../src/inputs/framing.js';
import { expandInputs } from '../src/inputs/inputs.js';
import { fileURLToPath } from 'node:url';
import { FIXTURES_REQUIRED, fixturesAvailable, fixturesDir } from './fixtures-helpers.js';

const ctx = { defaultOffsetMinutes: 0, reference: { ms: Date.UTC(2026, 5, 1), ns: 0 } };

/** The rule samples, the project's own corpus, and the peer's vectors where they are (CI requires them). */
const INPUT_DIRS = [
  fileURLToPath(new URL('../rules/samples/', import.meta.url)),
  fileURLToPath(new URL('./corpus/', import.meta.url)),
  ...(fixturesAvailable() || FIXTURES_REQUIRED ? [fixturesDir()] : []),
];

test('every JSON network alert in the fixtures and rule samples carries a marker', async () => {
  const dirs = INPUT_DIRS;
  let alerts = 0;
  let skippable = 0;
  for (const f of (await expandInputs(dirs)).files) {
    for await (const batch of frameFile(f.path, f.display)) {
      for (const item of batch) {
        if (item.kind !== 'json') continue;
        const text = JSON.stringify(item.value);
        const { result } = decodeRecord(item, ctx);
        if (result.ok && result.event.event.crosswatch.role === 'network_alert') {
          alerts++;
          assert.ok(mayBeNetworkAlert(text), `${f.display}:${item.origin.line} is an alert without a marker`);
        } else if (!mayBeNetworkAlert(text)) {
          skippable++;
        }
      }
    }
  }
  assert.ok(alerts >= 10, `${alerts} JSON alerts seen`);
  assert.ok(skippable >= 15, `${skippable} sign-in and audit records are skippable`);
});

test('text lines and damaged JSON always pass; identity records do not', () => {
  assert.ok(mayBeNetworkAlert('CEF:0|Vendor|IDS|1|100|Port scan|8|src=81.2.69.160'));
  assert.ok(mayBeNetworkAlert('{"CreationTime":"2026-03-02T10:00:00","Operation":"MailItemsAccessed"'), 'truncated');
  assert.ok(mayBeNetworkAlert('  {"event": {"kind": "ALERT"}}  '));
  assert.equal(mayBeNetworkAlert('{"CreationTime":"2026-03-02T10:00:00","Operation":"MailItemsAccessed","ClientIPAddress":"81.2.69.160"}'), false);
});

test('a pass for sign-ins and mail access skips only records that cannot be one: network-only decoders never yield them', async () => {
  // decodeIfIdentity lets the hunt's second pass drop the flow records of alerted IPs
  // undecoded; it must give every sign-in and mail access that decodeRecord gives.
  const dirs = INPUT_DIRS;
  let identity = 0;
  let skipped = 0;
  for (const f of (await expandInputs(dirs)).files) {
    for await (const batch of frameFile(f.path, f.display)) {
      for (const item of batch) {
        if (item.kind === 'problem') continue;
        const full = decodeRecord(item, ctx);
        const role = full.result.ok ? full.result.event.event.crosswatch.role : null;
        const quick = decodeIfIdentity(item, ctx);
        if (role === 'signin' || role === 'mail_access') {
          identity++;
          assert.deepEqual(quick, full, `${f.display}:${item.origin.line}`);
        } else if (quick === null) {
          skipped++;
        }
      }
    }
  }
  assert.ok(identity >= 20, `${identity} sign-ins and mail accesses seen`);
  assert.ok(skipped >= 50, `${skipped} network records skipped undecoded`);
});
