// The command line end to end: golden NDJSON from the rule samples, the table
// view, bad input of every kind (reported with file:line, never losing a valid
// record), exit codes, stdin, config errors, and the installed binary under a
// non-UTC TZ.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from './cli-run.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SAMPLES = join(ROOT, 'rules', 'samples');
const GOLDEN = join(ROOT, 'test', 'golden');

const cli = runCli;

/** Alerts as comparable data: @timestamp is when the run happened, everything else is determined by the input. */
function stable(ndjson: string, golden = false): unknown[] {
  return ndjson.trim().split('\n').filter(Boolean).map((l) => {
    const a = JSON.parse(l) as Record<string, unknown>;
    if (!golden) assert.match(String(a['@timestamp']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    a['@timestamp'] = '<raised-at>';
    return a;
  });
}

test('hunt over the rule samples matches the golden alerts', async () => {
  const r = await cli(['hunt', SAMPLES, '--format', 'ndjson', '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  const got = stable(r.stdout);
  const goldenPath = join(GOLDEN, 'hunt-rule-samples.ndjson');
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(goldenPath)) {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(goldenPath, got.map((a) => JSON.stringify(a)).join('\n') + '\n');
  }
  assert.deepEqual(got, stable(readFileSync(goldenPath, 'utf8'), true));
  // The samples hold exactly two firing scenarios, one per rule.
  assert.deepEqual(
    got.map((a) => (a as { rule: { name: string } }).rule.name).sort(),
    ['Detect Entra ID Sign-in After Network Alert', 'Detect M365 Mail Access After Network Alert'],
  );
});

test('the table view shows rule, IP, users, first network alert, first event and the delay', async () => {
  const dir = join(SAMPLES, 'cw-entra-signin-after-network-alert', 'fire');
  const r = await cli(['hunt', dir, '--quiet'], { tty: true });
  assert.equal(r.code, 0);
  for (const want of ['Detect Entra ID Sign-in After Network Alert', '81.2.69.160', 'megan.bowen@contoso.com',
    '2026-03-02T10:00:00.000Z', 'ET CINS Active Threat', '2026-03-02T11:30:12.1234567Z', '1h30m12s']) {
    assert.ok(r.stdout.includes(want), `table lacks ${want}:\n${r.stdout}`);
  }
});

function badInputDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cw-bad-'));
  const scenario = join(SAMPLES, 'cw-entra-signin-after-network-alert', 'fire', 'signin-after-scan');
  const eve = readFileSync(join(scenario, 'eve.json'), 'utf8').trim();
  const signin = readFileSync(join(scenario, 'signins.json'), 'utf8').trim();
  const noIp = JSON.parse(signin) as { callerIpAddress?: string; properties: Record<string, unknown> };
  delete noIp.callerIpAddress;
  delete noIp.properties.ipAddress;
  noIp.properties.id = 'no-ip-record';
  const noTime = JSON.parse(eve) as Record<string, unknown>;
  delete noTime.timestamp;
  // Valid records sit between bad ones: none of them may be lost.
  writeFileSync(join(dir, 'eve.json'), [
    '{"timestamp": "2026-03-02T09:00:00.000000+0000", "event_type": "alert", "src_ip": ',
    eve,
    JSON.stringify(noTime),
    '{"totally": "unknown", "shape": true}',
    `{"junk":"${'A'.repeat(10 * 1024 * 1024)}`,
  ].join('\n'));
  writeFileSync(join(dir, 'signins.json'), `${JSON.stringify(noIp)}\n${signin}\n{"time": "2026-03`);
  writeFileSync(join(dir, 'empty.json'), '');
  writeFileSync(join(dir, 'image.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]));
  writeFileSync(join(dir, 'audit.csv'),
    '\uFEFFCreationDate,UserIds,Operations,AuditData\r\n' +
    '2026-03-02T11:00:00.0000000Z,megan.bowen@contoso.com,MailItemsAccessed,"{""CreationTime"": ""2026-03-02T11:00:00"", ""Operation"": ""MailItemsAccessed"", ""broken\r\n');
  return dir;
}

test('bad input is reported with file:line and counted; valid records around it still alert', async () => {
  const dir = badInputDir();
  const r = await cli(['hunt', dir, '--format', 'ndjson']);
  assert.equal(r.code, 0, r.stderr);
  const alerts = stable(r.stdout) as Array<{ source: { ip: string }; rule: { id: string } }>;
  assert.deepEqual(alerts.map((a) => `${a.rule.id} ${a.source.ip}`), ['cw-entra-signin-after-network-alert 81.2.69.160']);
  const s = r.stderr;
  assert.match(s, new RegExp(`${dir}/eve\\.json:1: invalid-json`));
  assert.match(s, new RegExp(`${dir}/eve\\.json:3: missing-time`));
  assert.match(s, new RegExp(`${dir}/eve\\.json:4: unknown-format`));
  assert.match(s, new RegExp(`${dir}/eve\\.json:5: (record-too-large|invalid-json)`));
  assert.match(s, new RegExp(`${dir}/signins\\.json:3: invalid-json`));
  assert.match(s, /empty\.json:1: empty-file/);
  assert.match(s, /image\.png:1: binary-file/);
  assert.match(s, /audit\.csv:\d+: invalid-(csv|json)/);
  assert.match(s, /1 without a source IP/);
  // --strict turns those rejects into a failure.
  const strict = await cli(['hunt', dir, '--format', 'ndjson', '--quiet', '--strict']);
  assert.equal(strict.code, 2);
});

test('an unreadable path ends with exit code 2 naming it; a bad flag or config key with 1', async () => {
  const missing = join(tmpdir(), 'cw-definitely-missing', 'exports');
  const r = await cli(['hunt', missing]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, new RegExp(`cannot read ${missing}: no such file`));
  const w = await cli(['hunt', SAMPLES, '--window', 'eight hours']);
  assert.equal(w.code, 1);
  assert.match(w.stderr, /--window: expected a duration/);
  const cfgDir = mkdtempSync(join(tmpdir(), 'cw-cfg-'));
  const cfg = join(cfgDir, 'crosswatch.yaml');
  writeFileSync(cfg, 'window: 8h\nmaxUsersPerIP: 5\n');
  const c = await cli(['hunt', SAMPLES, '--config', cfg]);
  assert.equal(c.code, 1);
  assert.match(c.stderr, /maxUsersPerIP: unknown setting/);
  writeFileSync(cfg, 'window: 1h\nallow: [81.2.69.0/24]\n');
  const ok = await cli(['hunt', SAMPLES, '--config', cfg, '--format', 'ndjson', '--quiet']);
  assert.equal(ok.code, 0);
  assert.equal(ok.stdout, '', 'the allowlisted IP must not alert');
  const usage = await cli(['hunt']);
  assert.equal(usage.code, 1);
});

test('normalize prints exactly one line per input record, in order, errors with event.original', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-norm-'));
  const scenario = join(SAMPLES, 'cw-entra-signin-after-network-alert', 'fire', 'signin-after-scan');
  const eve = readFileSync(join(scenario, 'eve.json'), 'utf8').trim();
  const f = join(dir, 'mixed.json');
  writeFileSync(f, `${eve}\n{"broken": \n\n{"no":"decoder"}\n${eve}\n`);
  const r = await cli(['normalize', f]);
  assert.equal(r.code, 0);
  type Line = { source: { ip: string }; event: { kind: string; original: string }; error: { message: string } };
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Line);
  assert.equal(lines.length, 4);
  assert.equal(lines[0]!.source.ip, '81.2.69.160');
  assert.equal(lines[0]!.event.kind, 'alert');
  assert.match(lines[1]!.error.message, /mixed\.json:2: invalid JSON/);
  assert.equal(lines[1]!.event.original, '{"broken":');
  assert.match(lines[2]!.error.message, /mixed\.json:4:/);
  assert.equal(lines[2]!.event.original, '{"no":"decoder"}');
  assert.deepEqual(lines[3], lines[0]);
});

test('the installed binary reads stdin and gives the same alerts under a non-UTC TZ', () => {
  const bin = join(ROOT, 'bin', 'crosswatch.js');
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) {
    const b = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(b.status, 0, b.stderr);
  }
  const scenario = join(SAMPLES, 'cw-m365-mail-access-after-network-alert', 'fire', 'mail-read-after-alert');
  // MailItemsAccessed at 17:59:59 zone-less (UTC) is 1 s inside the window after a 10:00:00Z alert;
  // read as local time in Kolkata or New York it would fall outside or before.
  const input = readFileSync(join(scenario, 'eve.json'), 'utf8') + JSON.stringify(JSON.parse(readFileSync(join(scenario, 'audit.json'), 'utf8'))) + '\n';
  for (const tz of ['America/New_York', 'Asia/Kolkata']) {
    const r = spawnSync(process.execPath, [bin, 'hunt', '-', '--format', 'ndjson'], { input, encoding: 'utf8', env: { ...process.env, TZ: tz } });
    assert.equal(r.status, 0, r.stderr);
    const alerts = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { rule: { id: string }; source: { ip: string }; event: { end: string } });
    assert.deepEqual(alerts.map((a) => `${a.rule.id} ${a.source.ip} ${a.event.end}`), [
      'cw-m365-mail-access-after-network-alert 81.2.69.160 2026-03-02T17:59:59.000Z',
    ], tz);
    assert.match(r.stderr, /-:1\b|records from 1 file/);
  }
});

test('normalize --explain names the decoder and its cues, or the closest decoders and what they lack', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-explain-'));
  const f = join(dir, 'mixed.log');
  const eve = readFileSync(join(SAMPLES, 'cw-entra-signin-after-network-alert', 'fire', 'signin-after-scan', 'eve.json'), 'utf8').trim();
  writeFileSync(f, [
    eve,
    '{"timestamp":"2026-03-02T10:00:00Z","src_ip":"81.2.69.160"}',
    '{"colour":"blue"}',
    'hello world',
  ].join('\n'));
  const r = await cli(['normalize', '--explain', f]);
  assert.equal(r.code, 0);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 4);
  assert.match(lines[0]!, /mixed\.log:1: suricata-eve, because it .*has "event_type".* → network_alert from 81\.2\.69\.160 at 2026-03-02T10:00:00\.000Z/);
  // Close to EVE but without event_type: the explanation says what is missing.
  assert.match(lines[1]!, /mixed\.log:2: no decoder; closest: .*suricata-eve \(has: .*lacks: [^)]*event_type/);
  assert.match(lines[2]!, /mixed\.log:3: no decoder/);
  assert.match(lines[3]!, /mixed\.log:4: no decoder/);
});

test('--device-timezone applies to zone-less device times only, and is validated', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-tz-'));
  const f = join(dir, 'alert.json');
  writeFileSync(f, '{"detected":"2026-03-02 10:00:00","attacker":"81.2.69.160","threat":"Known bad host"}\n');
  const utc = await cli(['normalize', f, '--map', 'ip=attacker,time=detected,name=threat']);
  assert.equal(utc.code, 0, utc.stderr);
  const ev = JSON.parse(utc.stdout) as { '@timestamp': string; source: { ip: string }; rule: { name: string }; crosswatch: { role: string } };
  assert.equal(ev['@timestamp'], '2026-03-02T10:00:00.000Z');
  assert.equal(ev.source.ip, '81.2.69.160');
  assert.equal(ev.rule.name, 'Known bad host');
  assert.equal(ev.crosswatch.role, 'network_alert');
  const tokyo = await cli(['normalize', f, '--map', 'ip=attacker,time=detected', '--device-timezone', 'Asia/Tokyo']);
  assert.equal((JSON.parse(tokyo.stdout) as { '@timestamp': string })['@timestamp'], '2026-03-02T01:00:00.000Z');
  const bad = await cli(['normalize', f, '--device-timezone', 'Mars/Olympus']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /--device-timezone: unknown time zone/);
  const badMap = await cli(['normalize', f, '--map', 'ip=attacker']);
  assert.equal(badMap.code, 1);
  assert.match(badMap.stderr, /--map: .*time/);
  // Without --map the feed is unknown and rejected, not guessed.
  const none = await cli(['normalize', f]);
  assert.match(none.stdout, /"error"/);
});
