// `crosswatch rules validate|test|convert` run in-process (test/cli-run.ts):
// the built-in rules validate, pass their own samples (CI runs `rules test
// builtin` here) and convert to the golden queries of test/sigma/golden/convert/;
// a rule folder with mistakes, a sample that does not fire, one that fires when
// it should not and a rule without samples are each said, with the exit code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadRuleSet, RULES_DIR } from '../src/detect/rules.js';
import { TARGETS } from '../src/sigma/convert/index.js';
import { comment } from '../src/cli/rules.js';
import { runCli } from './cli-run.js';
import { NOT_BY_IP } from '../src/detect/ip-group.js';
import { LEGACY_RULE } from './legacy-rule.js';

const GOLDEN = fileURLToPath(new URL('./sigma/golden/convert/', import.meta.url));
const ENTRA_FIRE = join(RULES_DIR, 'samples', 'cw-entra-signin-after-network-alert', 'fire', 'signin-after-scan');

// A rule a detection engineer adds (test/rules-as-data.test.ts has it running in hunt).
const LEGACY = LEGACY_RULE;

/** A scenario folder: the built-in firing scenario's alert and sign-in, the sign-in over `clientApp`. */
function scenario(dir: string, clientApp: string): void {
  mkdirSync(dir, { recursive: true });
  cpSync(join(ENTRA_FIRE, 'eve.json'), join(dir, 'eve.json'));
  const signin = JSON.parse(readFileSync(join(ENTRA_FIRE, 'signins.json'), 'utf8')) as { properties: Record<string, unknown> };
  signin.properties.clientAppUsed = clientApp;
  writeFileSync(join(dir, 'signins.json'), `${JSON.stringify(signin)}\n`);
}

test('rules validate builtin: every built-in rule is valid', async () => {
  const r = await runCli(['rules', 'validate', 'builtin']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(r.stdout, '3 rules, 2 correlations, all valid\n');
});

test('rules validate: every problem as file:line: field: reason, exit 2; warnings alone exit 0', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-rules-cli-'));
  writeFileSync(join(dir, 'legacy.yml'), LEGACY);
  const ok = await runCli(['rules', 'validate', 'builtin', dir]);
  assert.equal(ok.code, 0, ok.stdout);
  assert.equal(ok.stdout, '4 rules, 3 correlations, all valid\n');

  // Without the built-ins, network_alert is unknown: invalid; the base rule then alerts alone (hunt and serve run it).
  const alone = await runCli(['rules', 'validate', dir]);
  assert.equal(alone.code, 2);
  const lines = alone.stdout.trim().split('\n');
  assert.match(lines[0]!, /legacy\.yml:\d+: correlation\.rules\[0\]: unknown rule "network_alert"/);
  assert.equal(lines[1], '1 problem: the rules named are invalid and do not load (1 rule, 0 correlations loaded)');

  // Several mistakes, each named; a file name with a terminal escape in it is shown escaped.
  const bad = join(dir, 'bad\u001b[2Jrule.yml');
  writeFileSync(bad, LEGACY.replace('client.client_app:', 'client.client_app|contians:').replace('timespan: 8h', 'timespan: 8x').replace('service: signinlogs', 'service: signins'));
  const r = await runCli(['rules', 'validate', 'builtin', bad]);
  assert.equal(r.code, 2);
  assert.ok(!r.stdout.includes('\u001b'), 'no escape reaches the terminal');
  assert.match(r.stdout, /bad\\x1b\[2Jrule\.yml:\d+: detection\.legacy\.client\.client_app\|contians: /);
  assert.match(r.stdout, /bad\\x1b\[2Jrule\.yml:\d+: correlation\.timespan: /);
  assert.match(r.stdout, /\n\d+ problems: the rules named are invalid and do not load \(3 rules, 2 correlations loaded\)\n$/);

  const missing = await runCli(['rules', 'validate', join(dir, 'nope')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stdout, /nope:0: cannot read rules: ENOENT/);
});

test('rules test builtin: each built-in rule passes its samples (a table on a terminal, columns when piped)', async () => {
  const ids = loadRuleSet().rules.map((r) => r.id);
  const tty = await runCli(['rules', 'test', 'builtin'], { tty: true });
  assert.equal(tty.code, 0, tty.stdout + tty.stderr);
  assert.match(tty.stdout, /┌/);
  assert.match(tty.stdout, /│ rule\s+│ fire │ quiet │ result │/);
  for (const id of ids) {
    const kinds = ['fire', 'quiet'].map((k) => readdirSync(join(RULES_DIR, 'samples', id, k)).length);
    assert.match(tty.stdout, new RegExp(`│ ${id}\\s+│ ${kinds[0]}/${kinds[0]}\\s+│ ${kinds[1]}/${kinds[1]}\\s+│ pass\\s+│`));
  }
  assert.match(tty.stdout, /\n2 rules tested: \d+ samples, all passed\n$/);

  const piped = await runCli(['rules', 'test']);
  assert.equal(piped.code, 0);
  assert.ok(!piped.stdout.includes('┌'));
  assert.match(piped.stdout, /^rule {2,}fire {2}quiet {2}result\ncw-entra-signin-after-network-alert {2,}1\/1 {3}2\/2 {4}pass\n/);
});

test('rules test: a sample that does not do what it says fails (exit 1), naming its folder and what fired instead', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-rules-cli-'));
  writeFileSync(join(dir, 'legacy.yml'), LEGACY);
  writeFileSync(join(dir, 'pop3.yml'), LEGACY.split('---')[0]!.replace('id: local-legacy-protocol-signin', 'id: local-pop3').replace('name: legacy_protocol_signin', 'name: pop3'));
  const samples = join(dir, 'samples', 'local-legacy-protocol-signin-after-network-alert');
  scenario(join(samples, 'fire', 'imap-after-alert'), 'IMAP4');
  scenario(join(samples, 'quiet', 'browser-after-alert'), 'Browser');

  const pass = await runCli(['rules', 'test', 'builtin', dir]);
  assert.equal(pass.code, 0, pass.stdout + pass.stderr);
  assert.match(pass.stdout, /\nlocal-legacy-protocol-signin-after-network-alert {2,}1\/1 {3}1\/1 {4}pass\n/);
  // (The base rule a correlation uses raises no alert of its own: not listed.) A rule without samples is said, not failed.
  assert.match(pass.stdout, /\nlocal-pop3 {2,}- {5}- {6}no samples\n/);
  assert.match(pass.stdout, /\nnot tested:\n {2}local-pop3: no samples \(add samples\/local-pop3\/fire\/<scenario>\/ and quiet\/<scenario>\/ beside its file\)\n/);
  assert.match(pass.stdout, /\n3 rules tested: 8 samples, all passed; 1 without samples\n$/);
  // The rules of a config file's rules: (relative to it), as hunt takes them, when no path is given.
  const configFile = `${dir}.yaml`;
  writeFileSync(configFile, `rules: [builtin, ${basename(dir)}]\n`);
  const config = await runCli(['rules', 'test', '--config', configFile]);
  assert.equal(config.stdout, pass.stdout);

  // The firing sample's sign-in made a browser one (it no longer fires), and a quiet one that fires.
  scenario(join(samples, 'fire', 'imap-after-alert'), 'Browser');
  scenario(join(samples, 'quiet', 'imap-after-alert'), 'IMAP4');
  const fail = await runCli(['rules', 'test', 'builtin', dir], { tty: true });
  assert.equal(fail.code, 1, fail.stdout + fail.stderr);
  assert.match(fail.stdout, /│ local-legacy-protocol-signin-after-network-alert\s+│ 0\/1\s+│ 1\/2\s+│ FAIL\s+│/);
  assert.match(fail.stdout, /\nfailed:\n {2}local-legacy-protocol-signin-after-network-alert\/fire\/imap-after-alert: raised no alert of this rule; raised instead: cw-entra-signin-after-network-alert for 81\.2\.69\.160\n/);
  assert.match(fail.stdout, /\n {2}local-legacy-protocol-signin-after-network-alert\/quiet\/imap-after-alert: raised 1 alert of this rule: for 81\.2\.69\.160\n/);
  assert.match(fail.stdout, /\n3 rules tested: 2 of 9 samples failed; 1 without samples\n$/);

  // A sample whose records do not decode proves nothing: it fails.
  writeFileSync(join(samples, 'quiet', 'browser-after-alert', 'junk.json'), '{"nope":1}\n');
  const junk = await runCli(['rules', 'test', 'builtin', dir]);
  assert.equal(junk.code, 1);
  assert.match(junk.stdout, /local-legacy-protocol-signin-after-network-alert\/quiet\/browser-after-alert: 1 record rejected \(first: .*junk\.json:1: .*\): a sample must decode/);

  // Rules with a mistake: exit 2, named on stderr; the others are still tested.
  writeFileSync(join(dir, 'pop3.yml'), 'title: x\nid: local-pop3\nlogsource: { product: azure, service: signins }\ndetection: { s: { a: 1 }, condition: s }\n');
  const invalid = await runCli(['rules', 'test', 'builtin', dir]);
  assert.equal(invalid.code, 2);
  assert.match(invalid.stderr, /pop3\.yml:3: logsource: unknown service "signins" for product azure \(known: signinlogs\)\n/);
  assert.match(invalid.stderr, /crosswatch: 1 problem \(above\): the rules named are invalid and were not tested\n$/);
  assert.match(invalid.stdout, /cw-entra-signin-after-network-alert {2,}1\/1/);
});

test('an event_count correlation: valid, run by hunt and serve (grouped by user.name alone, serve does not run it: a warning, exit 0); test runs its samples through the general path', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-rules-cli-'));
  writeFileSync(join(dir, 'spray.yml'), `title: Failed sign-in
id: local-failed-signin
name: failed_signin
logsource: { product: azure, service: signinlogs }
detection: { failed: { event.outcome: failure }, condition: failed }
level: low
---
title: Failed sign-ins from one IP
id: local-spray
correlation:
  type: event_count
  rules: [failed_signin]
  group-by: [source.ip]
  timespan: 1h
  condition: { gte: 2 }
level: high
`);
  const failed = readFileSync(join(RULES_DIR, 'samples', 'cw-entra-signin-after-network-alert', 'quiet', 'failed-signin', 'signins.json'), 'utf8');
  const record = JSON.parse(failed) as { properties: Record<string, unknown> };
  const samples = join(dir, 'samples', 'local-spray');
  mkdirSync(join(samples, 'fire', 'two-failures'), { recursive: true });
  mkdirSync(join(samples, 'quiet', 'one-failure'), { recursive: true });
  writeFileSync(join(samples, 'fire', 'two-failures', 'signins.json'), [1, 2].map((i) => JSON.stringify({ ...record, properties: { ...record.properties, id: `f-${i}` } })).join('\n'));
  writeFileSync(join(samples, 'quiet', 'one-failure', 'signins.json'), failed);

  const v = await runCli(['rules', 'validate', dir]);
  assert.equal(v.code, 0, v.stdout);
  assert.equal(v.stdout, '1 rule, 1 correlation, all valid\n');
  // Grouped by user.name: hunt runs it, serve (which recomputes one IP at a time) does not: a warning.
  const byUser = mkdtempSync(join(tmpdir(), 'cw-rules-cli-'));
  writeFileSync(join(byUser, 'spray.yml'), readFileSync(join(dir, 'spray.yml'), 'utf8').replace('group-by: [source.ip]', 'group-by: [user.name]'));
  const u = await runCli(['rules', 'validate', byUser]);
  assert.equal(u.code, 0, u.stdout);
  assert.equal(u.stdout, `warning: ${join(byUser, 'spray.yml')}:8: correlation.group-by: "local-spray" is not grouped by source.ip in every rule it references: serve does not run it (hunt does); `
    + `${NOT_BY_IP}\n1 rule, 1 correlation, all valid; 1 warning (above)\n`);
  const t = await runCli(['rules', 'test', dir]);
  assert.equal(t.code, 0, t.stdout);
  assert.equal(t.stdout, 'rule         fire  quiet  result\nlocal-spray  1/1   1/1    pass\n1 rule tested: 2 samples, all passed\n');
});

test('rules convert --target T: each built-in rule under a comment header, its query or refusal as the golden file has it', async () => {
  const rules = loadRuleSet().sigma;
  const all = [...rules.detections, ...rules.correlations.map((c) => c.rule)];
  const goldens = readdirSync(GOLDEN).filter((f) => f.startsWith('builtin-'));
  assert.equal(goldens.length, all.length * TARGETS.length, 'a golden per built-in rule and target');
  for (const target of TARGETS) {
    const r = await runCli(['rules', 'convert', '--target', target]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    // Each rule's block: its header, then what the converter gave (the golden file), then a blank line between blocks.
    const headers = all.map((rule) => comment(target, `${rule.id}: ${rule.title}${rules.alertingIds.has(rule.id) ? '' : ' (used by a correlation: no alert of its own)'}`));
    const blocks = headers.map((h) => {
      const at = r.stdout.indexOf(`${h}\n`);
      assert.ok(at >= 0, `${target}: header ${h}`);
      return at;
    });
    const sorted = [...blocks].sort((a, b) => a - b);
    all.forEach((rule, i) => {
      const start = blocks[i]! + headers[i]!.length + 1;
      const next = sorted.find((b) => b > blocks[i]!);
      const body = next === undefined ? r.stdout.slice(start) : r.stdout.slice(start, next - 1);
      const golden = readFileSync(join(GOLDEN, `builtin-${rule.id.replace(/[^A-Za-z0-9._-]/g, '_')}.${target}.txt`), 'utf8');
      assert.equal(body, golden, `${rule.id} → ${target}`);
    });
  }
  // The headers as written: // for ES|QL, EQL and KQL; ``` for SPL.
  const spl = await runCli(['rules', 'convert', '--target', 'spl', join(RULES_DIR, 'network-alert.yml')]);
  assert.equal(spl.stdout, '``` cw-network-alert: Network security alert ```\ntag=ids tag=attack\n');
  const kql = await runCli(['rules', 'convert', '--target', 'kql', join(RULES_DIR, 'network-alert.yml')]);
  assert.match(kql.stdout, /^\/\/ cw-network-alert: Network security alert\n_Im_NetworkSession\(\)\n\| where /);
  const esql = await runCli(['rules', 'convert', '--target', 'esql']);
  assert.match(esql.stdout, /\/\/ cw-entra-signin-after-network-alert: Detect Entra ID Sign-in After Network Alert\ncannot convert: /);
  assert.equal(esql.code, 0, 'a rule that cannot convert is said, not an error');
});

test('rules convert: an unknown target is a usage error (1); rules with problems exit 2, the others converted', async () => {
  const bad = await runCli(['rules', 'convert', '--target', 'sql']);
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr, 'crosswatch: --target: expected one of esql, eql, kql, spl, got "sql"\n');
  const none = await runCli(['rules', 'convert']);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /--target/);

  const dir = mkdtempSync(join(tmpdir(), 'cw-rules-cli-'));
  writeFileSync(join(dir, 'legacy.yml'), LEGACY.replace('timespan: 8h', 'timespan: 8x'));
  const r = await runCli(['rules', 'convert', '--target', 'eql', 'builtin', dir]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /legacy\.yml:\d+: correlation\.timespan: /);
  assert.match(r.stderr, /crosswatch: 1 problem \(above\): the rules named are invalid and were not converted\n$/);
  assert.match(r.stdout, /^\/\/ local-legacy-protocol-signin: Legacy protocol sign-in\n/m);
  assert.match(r.stdout, /^\/\/ cw-entra-signin-after-network-alert: /m);
  assert.doesNotMatch(r.stdout, /local-legacy-protocol-signin-after-network-alert/);
});

test('rules --help lists validate, test and convert, each on a line with its defaults', async () => {
  const r = await runCli(['rules', '--help']);
  assert.equal(r.code, 0);
  for (const sub of ['validate [options] <paths...>', 'test [options] [paths...]', 'convert [options] [paths...]']) assert.match(r.stdout, new RegExp(sub.replace(/[[\].]/g, '\\$&')));
  const t = await runCli(['rules', 'test', '--help']);
  assert.match(t.stdout, /\(default: builtin\)/);
  assert.match(t.stdout, /\(default: table on a terminal, else text\)/);
});
