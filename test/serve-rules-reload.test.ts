// serve takes its rules from the config file (`rules:`, paths relative to the
// file) and reads them again on SIGHUP: a rule added to the file's folder runs
// from then on, and a broken rule set leaves the rules in use running.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe, allAlerts, waitFor } from './serve-process.js';
import { alertLine, signinLine } from './scenario-lines.js';
import { LEGACY_RULE } from './legacy-rule.js';

const TOKEN = 'test-token-0123456789abcdef0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
async function ingest(base: string, lines: string[]): Promise<void> {
  const r = await fetch(`${base}/api/v1/ingest`, { method: 'POST', headers: { ...auth, 'content-type': 'application/x-ndjson' }, body: `${lines.join('\n')}\n` });
  assert.equal(r.status, 200, await r.text());
}

async function ruleIds(base: string): Promise<string[]> {
  const r = await fetch(`${base}/api/v1/rules`, { headers: auth });
  return ((await r.json()) as { rules: Array<{ id: string }> }).rules.map((x) => x.id).sort();
}

test('serve: rules from the config file, read again on SIGHUP; a broken set keeps the rules in use', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-reload-'));
  mkdirSync(join(dir, 'extra'));
  writeFileSync(join(dir, 'crosswatch.yaml'), 'rules: [builtin, extra]\n');
  const { proc, base } = await startServe(['--data-dir', join(dir, 'data'), '--token', TOKEN, '--config', join(dir, 'crosswatch.yaml')]);
  try {
    const builtins = ['cw-entra-signin-after-network-alert', 'cw-m365-mail-access-after-network-alert'];
    assert.deepEqual(await ruleIds(base), builtins);
    const now = Date.now();
    const at = (minAgo: number): string => new Date(now - minAgo * 60_000).toISOString();
    // The new rule (IMAP sign-ins after a network alert) is written, then serve is told.
    writeFileSync(join(dir, 'extra', 'legacy.yml'), LEGACY_RULE);
    proc.kill('SIGHUP');
    await waitFor('the reloaded rules', 10_000, async () => ((await ruleIds(base)).length === 3 ? true : undefined));
    const imap = JSON.parse(signinLine('81.2.69.170', at(30))) as { properties: Record<string, unknown> };
    imap.properties.clientAppUsed = 'IMAP4';
    await ingest(base, [alertLine('81.2.69.170', at(60)), JSON.stringify(imap)]);
    const alerts = await waitFor('both alerts', 10_000, async () => {
      const a = await allAlerts<{ rule: { id: string } }>(base, TOKEN);
      return a.length === 2 ? a : undefined;
    });
    assert.deepEqual(alerts.map((a) => a.rule.id).sort(), ['cw-entra-signin-after-network-alert', 'local-legacy-protocol-signin-after-network-alert']);
    // A broken rule set: every rule named is unreadable; the rules in use stay, and go on alerting.
    writeFileSync(join(dir, 'crosswatch.yaml'), 'rules: [nowhere]\n');
    proc.kill('SIGHUP');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(proc.exitCode, null, 'still running');
    assert.equal((await ruleIds(base)).length, 3);
    await ingest(base, [alertLine('81.2.69.171', at(60)), signinLine('81.2.69.171', at(30))]);
    await waitFor('the next alert', 10_000, async () => ((await allAlerts(base, TOKEN)).length === 3 ? true : undefined));
  } finally {
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
  }
});
