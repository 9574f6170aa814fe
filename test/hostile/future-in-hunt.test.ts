// A record from the future in an export (issue #15, item 1, for hunt): the latest
// dated record dates the year-less stamps of fast.log and syslog lines, so one
// record dated 9999 put every year-less alert in the year 9999 and nothing matched.
// Now records dated past the reading clock (plus the skew) date nothing; they are
// counted with a warning naming the first one's file and line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../cli-run.js';
import { alertLine, signinLine } from '../scenario-lines.js';

const FAST = (ip: string): string => `03/02-10:00:00.123456  [**] [1:2001219:20] ET SCAN Potential SSH Scan [**] [Classification: Attempted Information Leak] [Priority: 2] {TCP} ${ip}:51234 -> 10.0.0.5:22`;

test('hunt: a record dated 9999 does not date year-less alerts; it is counted and named', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-future-hunt-'));
  try {
    writeFileSync(join(dir, 'fast.log'), `${FAST('81.2.69.251')}\n`);
    writeFileSync(join(dir, 'eve.json'), [
      alertLine('45.33.32.170', '2026-03-02T09:00:00Z'),
      alertLine('45.33.32.171', '9999-12-31T23:59:59Z'),
    ].join('\n') + '\n');
    writeFileSync(join(dir, 'signins.json'), `${signinLine('81.2.69.251', '2026-03-02T11:00:00Z')}\n`);
    for (const extra of [[], ['--full-scan']]) {
      const r = await runCli(['hunt', dir, '--format', 'ndjson', ...extra]);
      assert.equal(r.code, 0, r.stderr);
      const alerts = r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { source: { ip: string }; event: { start: string } });
      assert.deepEqual(alerts.map((a) => a.source.ip), ['81.2.69.251'], r.stderr);
      assert.equal(alerts[0]!.event.start, '2026-03-02T10:00:00.123456Z');
      assert.match(r.stderr, /1 record dated after the time of reading \(first: .*eve\.json:2, 9999-12-31T23:59:59\.000Z\): it dates no year-less stamp/);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
