// Detections are data (issues #16, #17): a new detection over existing fields
// is a Sigma file, no code. Here, a rule a detection engineer would add — a
// sign-in over a legacy protocol (IMAP, POP, SMTP) from an IP a sensor alerted
// on — written to a folder and given with --rules (beside `--rules builtin`),
// runs in hunt and in the streaming pipeline, and a mistake in it names its
// file, line and key while the other rules still run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRules, RULES_DIR } from '../src/detect/rules.js';
import { buildConfig } from '../src/detect/config.js';
import { StreamPipeline } from '../src/stream/stream.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { runCli } from './cli-run.js';
import { alertLine, items } from './scenario-lines.js';
import { LEGACY_RULE } from './legacy-rule.js';

const SCENARIO = join(RULES_DIR, 'samples', 'cw-entra-signin-after-network-alert', 'fire', 'signin-after-scan');


/** The scenario's sign-in from `ip` at `iso` with the given client app. */
function signin(ip: string, iso: string, clientApp: string, id: string): string {
  const s = JSON.parse(readFileSync(join(SCENARIO, 'signins.json'), 'utf8')) as { callerIpAddress: string; properties: Record<string, unknown> };
  s.callerIpAddress = ip;
  Object.assign(s.properties, { ipAddress: ip, id, createdDateTime: iso, clientAppUsed: clientApp });
  return JSON.stringify(s);
}

const LINES = [
  alertLine('81.2.69.160', '2026-03-02T10:00:00Z'), signin('81.2.69.160', '2026-03-02T10:20:00Z', 'IMAP4', 'legacy-1'),
  alertLine('81.2.69.161', '2026-03-02T10:00:00Z'), signin('81.2.69.161', '2026-03-02T10:20:00Z', 'Browser', 'modern-1'),
];

interface Alert { rule: { id: string; name: string }; source: { ip: string }; message: string; event: { risk_score: number } }

test('a rule file given with --rules runs in hunt beside the built-in rules', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-rules-data-'));
  writeFileSync(join(dir, 'legacy.yml'), LEGACY_RULE);
  writeFileSync(join(dir, 'logs.ndjson'), `${LINES.join('\n')}\n`);
  const r = await runCli(['hunt', '--rules', 'builtin', '--rules', join(dir, 'legacy.yml'), '--quiet', join(dir, 'logs.ndjson')]);
  assert.equal(r.code, 0, r.stderr);
  const alerts = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Alert);
  assert.deepEqual(alerts.map((a) => `${a.rule.id} ${a.source.ip}`).sort(), [
    'cw-entra-signin-after-network-alert 81.2.69.160',
    'cw-entra-signin-after-network-alert 81.2.69.161',
    'local-legacy-protocol-signin-after-network-alert 81.2.69.160',
  ]);
  const legacy = alerts.find((a) => a.rule.id.startsWith('local-'))!;
  assert.equal(legacy.rule.name, 'Legacy Protocol Sign-in After Network Alert');
  assert.equal(legacy.event.risk_score, 91);
  assert.match(legacy.message, /^megan\.bowen@contoso\.com signed in over a legacy protocol from 81\.2\.69\.160 20m after "/);
  // Without --rules, only the built-in ones; with the file alone, only its rule (it needs the built-in base rule: named as missing).
  const plain = await runCli(['hunt', '--quiet', join(dir, 'logs.ndjson')]);
  assert.equal(plain.stdout.trim().split('\n').length, 2);
  // Alone, the correlation misses the built-in base rule it names (said, with file and line), and the base rule,
  // which no loaded correlation uses, raises alerts of its own (Sigma's generate applies only to referenced rules).
  const alone = await runCli(['hunt', '--rules', dir, '--quiet', join(dir, 'logs.ndjson')]);
  assert.equal(alone.code, 0, alone.stderr);
  assert.match(alone.stderr, /legacy\.yml:\d+: correlation\.rules\[0\]: .*network_alert/);
  assert.deepEqual(alone.stdout.trim().split('\n').map((l) => `${(JSON.parse(l) as Alert).rule.id}`), ['local-legacy-protocol-signin']);
});

test('the streaming pipeline runs the same rule, and gives hunt\'s alerts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-rules-data-'));
  writeFileSync(join(dir, 'legacy.yml'), LEGACY_RULE);
  const store = new SqliteStore(join(dir, 'data'));
  const p = new StreamPipeline(store, {
    config: buildConfig({}), rules: loadRules({ paths: ['builtin', dir] }), allowedLatenessMs: 24 * 3_600_000,
    decode: { defaultOffsetMinutes: 0, reference: { ms: Date.UTC(2026, 2, 2), ns: 0 } },
  });
  // In another order than hunt's file: the sign-ins first.
  p.ingest(items(LINES[1]!, LINES[3]!));
  p.ingest(items(LINES[0]!, LINES[2]!));
  assert.deepEqual(store.listAlerts({ limit: 10 }).alerts.map((a) => `${a.doc.rule.id} ${a.doc.source.ip}`).sort(), [
    'cw-entra-signin-after-network-alert 81.2.69.160',
    'cw-entra-signin-after-network-alert 81.2.69.161',
    'local-legacy-protocol-signin-after-network-alert 81.2.69.160',
  ]);
  store.close();
});

test('a mistake in a rule names its file, line and key; the other rules still run', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-rules-data-'));
  writeFileSync(join(dir, 'logs.ndjson'), `${LINES.join('\n')}\n`);
  const ENTRA = ['cw-entra-signin-after-network-alert', 'cw-entra-signin-after-network-alert'];
  const OWN = ['local-legacy-protocol-signin'];
  // [rule text, the problem as said, the alerts then]: the built-ins still run (but for the rule whose id is
  // taken twice: both are left out); a base rule whose correlation did not load is used by none, so it
  // alerts on its own (on the IMAP sign-in).
  const cases: Array<[string, RegExp, string[]]> = [
    [LEGACY_RULE.replace('client.client_app:', 'client.client_app|contians:'), /legacy\.yml:11: detection\.legacy\.client\.client_app\|contians: .*contians/, ENTRA],
    [LEGACY_RULE.replace('service: signinlogs', 'service: signins'), /legacy\.yml:6: logsource: unknown service "signins" for product azure/, ENTRA],
    [LEGACY_RULE.replace('timespan: 8h', 'timespan: 8x'), /legacy\.yml:\d+: correlation\.timespan: /, [...ENTRA, ...OWN]],
    [LEGACY_RULE.replace('level: critical', 'level: urgent'), /legacy\.yml:\d+: level: /, [...ENTRA, ...OWN]],
    [LEGACY_RULE.replace('id: local-legacy-protocol-signin-after-network-alert', 'id: cw-entra-signin-after-network-alert'),
      /cw-entra-signin-after-network-alert\.yml:\d+.*legacy\.yml|legacy\.yml:\d+.*cw-entra-signin-after-network-alert\.yml/, OWN],
  ];
  for (const [yaml, re, want] of cases) {
    writeFileSync(join(dir, 'legacy.yml'), yaml);
    const r = await runCli(['hunt', '--rules', 'builtin', '--rules', join(dir, 'legacy.yml'), '--quiet', join(dir, 'logs.ndjson')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, re);
    const fired = r.stdout.trim().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as Alert).rule.id);
    assert.deepEqual(fired.sort(), [...want].sort(), r.stderr);
  }
  const missing = await runCli(['hunt', '--rules', join(dir, 'nope'), '-']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /nope:0: cannot read rules: ENOENT/);
});
