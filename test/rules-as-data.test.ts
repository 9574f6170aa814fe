// Detections are data (issue #16): a new detection over existing fields is a
// YAML file, no code. Here, a rule a detection engineer would add — a sign-in
// over a legacy protocol (IMAP, POP, SMTP) from an IP a sensor alerted on —
// written to a folder and given with --rules, runs in hunt and in the streaming
// pipeline beside the built-in ones, and a mistake in it names its file and key.
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

const SCENARIO = join(RULES_DIR, 'samples', 'cw-entra-signin-after-network-alert', 'fire', 'signin-after-scan');

const LEGACY_RULE = `
id: local-legacy-protocol-signin-after-network-alert
name: Legacy Protocol Sign-in After Network Alert
description: A successful sign-in over IMAP, POP or SMTP AUTH (no MFA possible) from an IP a network sensor alerted on shortly before.
correlation:
  group_by: source.ip
  anchor: { role: network_alert }
  qualifying:
    role: signin
    verb: signed in over a legacy protocol
    where:
      client.client_app: [IMAP4, POP3, Authenticated SMTP]
severity: critical
risk_score: 91
threat:
  framework: MITRE ATT&CK
  tactic: { id: TA0001, name: Initial Access, reference: "https://attack.mitre.org/tactics/TA0001/" }
  technique: { id: T1078, name: Valid Accounts, reference: "https://attack.mitre.org/techniques/T1078/" }
guide: |
  Legacy protocols cannot do MFA: check the user's password and block legacy authentication.
`;

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
  writeFileSync(join(dir, 'legacy.yaml'), LEGACY_RULE);
  writeFileSync(join(dir, 'logs.ndjson'), `${LINES.join('\n')}\n`);
  const r = await runCli(['hunt', '--rules', dir, '--quiet', join(dir, 'logs.ndjson')]);
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
  // Without --rules, only the built-in ones.
  const plain = await runCli(['hunt', '--quiet', join(dir, 'logs.ndjson')]);
  assert.equal(plain.stdout.trim().split('\n').length, 2);
});

test('the streaming pipeline runs the same rule, and gives hunt\'s alerts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-rules-data-'));
  writeFileSync(join(dir, 'legacy.yaml'), LEGACY_RULE);
  const store = new SqliteStore(join(dir, 'data'));
  const p = new StreamPipeline(store, {
    config: buildConfig({}), rules: loadRules(RULES_DIR, [dir]), allowedLatenessMs: 24 * 3_600_000,
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

test('a mistake in a rule file names the file and the key; hunt exits 1 before reading anything', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-rules-data-'));
  const cases: Array<[string, RegExp]> = [
    [LEGACY_RULE.replace('client.client_app:', 'client.clientAppUsed:'), /legacy\.yaml: correlation\.qualifying\.where\.client\.clientAppUsed: not a field a condition can use \(known: .*client\.client_app/],
    [LEGACY_RULE.replace('role: signin', 'role: logon'), /legacy\.yaml: correlation\.qualifying\.role: must be one of signin, mail_access/],
    [LEGACY_RULE.replace('group_by: source.ip', 'group_by: user.name'), /legacy\.yaml: correlation\.group_by: must be source\.ip/],
    [LEGACY_RULE.replace('severity: critical', 'severity: urgent'), /legacy\.yaml: "severity" must be one of low, medium, high, critical/],
    [LEGACY_RULE.replace('id: local-legacy-protocol-signin-after-network-alert', 'id: cw-entra-signin-after-network-alert'), /duplicate rule id "cw-entra-signin-after-network-alert" in .*cw-entra-signin-after-network-alert\.yaml and .*legacy\.yaml/],
  ];
  for (const [yaml, re] of cases) {
    writeFileSync(join(dir, 'legacy.yaml'), yaml);
    const r = await runCli(['hunt', '--rules', dir, '-']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, re);
  }
  const missing = await runCli(['hunt', '--rules', join(dir, 'nope'), '-']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /nope: cannot read the rules folder/);
});
