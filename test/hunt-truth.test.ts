// Ground truth: for several seeds, `generate` writes raw vendor exports and a
// truth file computed by the reference implementation from the facts it wrote;
// `hunt` over those raw files must find exactly those (rule, IP) pairs, each
// once, whatever the machine's TZ.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from '../src/generate/generator.js';
import { loadRules } from '../src/detect/rules.js';
import { buildConfig } from '../src/detect/config.js';
import { runBatch } from '../src/hunt/batch.js';
import { scanFile } from '../src/hunt/batch-file.js';
import { DEFAULT_FRAMING } from '../src/inputs/framing.js';
import { expandInputs } from '../src/inputs/inputs.js';
import { alertLine, signinLine } from './scenario-lines.js';
import { FIXTURES_REQUIRED, fixturesAvailable, fixturesDir } from './fixtures-helpers.js';

const rules = loadRules();

for (const seed of [1, 2, 3, 42]) {
  test(`hunt finds exactly the ground truth (seed ${seed})`, async () => {
    const dir = mkdtempSync(join(tmpdir(), `cw-truth-${seed}-`));
    const gen = await generate({ outDir: dir, events: 30_000, seed });
    const truth = JSON.parse(readFileSync(gen.truthPath, 'utf8')) as { pairs: Array<{ rule: string; ip: string }> };
    const inputs = await expandInputs([gen.logsDir]);
    const res = await runBatch(inputs.files, {
      config: buildConfig({}),
      rules,
      decode: { defaultOffsetMinutes: 0, reference: { ms: Date.UTC(2026, 5, 1), ns: 0 } },
    });
    const found = [...new Set(res.alerts.map((a) => `${a.rule.id} ${a.source.ip}`))].sort();
    const want = truth.pairs.map((p) => `${p.rule} ${p.ip}`).sort();
    assert.ok(want.length >= 4, 'the generator plants attacks for both rules');
    assert.deepEqual(found, want);
    // One alert per episode: ids are unique, and two alerts for the same pair are
    // separated by more than a window without a qualifying event.
    assert.equal(new Set(res.alerts.map((a) => a.event.id)).size, res.alerts.length);
    const lastEnd = new Map<string, number>();
    for (const a of [...res.alerts].sort((x, y) => Date.parse(x.event.start) - Date.parse(y.event.start))) {
      const key = `${a.rule.id} ${a.source.ip}`;
      const prev = lastEnd.get(key);
      const firstEvent = Date.parse(a.crosswatch.evidence.events[0]!['@timestamp']);
      if (prev !== undefined) assert.ok(firstEvent - prev > 8 * 3_600_000, `${key}: a second alert within a window of the first`);
      lastEnd.set(key, Date.parse(a.event.end));
    }
    assert.equal(res.counters.totalRejected, 0, JSON.stringify(res.counters.rejectSamples.slice(0, 3)));
  });
}

test('fast path (prefilter, workers) gives exactly the straightforward answer, counters and summary', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-threads-'));
  const gen = await generate({ outDir: dir, events: 30_000, seed: 7 });
  const samples = fileURLToPath(new URL('../rules/samples/', import.meta.url));
  const corpus = fileURLToPath(new URL('./corpus/', import.meta.url));
  // The peer's vectors too where they are (CI requires them; a user's clone has none).
  const inputs = [gen.logsDir, samples, corpus, ...(fixturesAvailable() || FIXTURES_REQUIRED ? [fixturesDir()] : [])];
  for (const input of inputs) {
    const files = (await expandInputs([input])).files;
    const run = (threads: number, prefilter: boolean, fastScan = false, pieceBytes?: number) => runBatch(files, {
      config: buildConfig({}), rules, threads, prefilter, fastScan, now: () => new Date('2026-06-01T00:00:00Z'), ...(pieceBytes ? { pieceBytes } : {}),
      decode: { defaultOffsetMinutes: 0, reference: { ms: Date.UTC(2026, 5, 1), ns: 0 } },
    });
    const straight = await run(1, false);
    assert.equal(straight.fastScan, false);
    for (const [threads, prefilter] of [[1, true], [2, true], [2, false]] as const) {
      const fast = await run(threads, prefilter);
      assert.equal(fast.threads, threads);
      assert.deepEqual(fast.alerts, straight.alerts, `${input} threads=${threads} prefilter=${prefilter}`);
      assert.deepEqual(fast.counters.toData(), straight.counters.toData());
      assert.deepEqual(fast.correlation, straight.correlation);
    }
    // The fast first pass: same alerts and records; what it did not parse is counted as such.
    for (const threads of [1, 2]) {
      const scan = await run(threads, true, true);
      assert.equal(scan.fastScan, true);
      assert.deepEqual(scan.alerts, straight.alerts, `${input} fast scan, threads=${threads}`);
      assert.equal(scan.counters.totalRecords, straight.counters.totalRecords);
      assert.equal(scan.correlation.networkAlerts, straight.correlation.networkAlerts);
      assert.equal(scan.correlation.qualifyingEvents, straight.correlation.qualifyingEvents);
      if (input === gen.logsDir) assert.ok(scan.counters.totalUnparsed > straight.counters.totalRecords / 2, 'most records go unparsed');
    }
    // NDJSON files read in pieces by both threads: the same as one thread reading them whole,
    // to the counters. (Pieces hold more than the ten records each file's first is sampled by.)
    const whole = await run(1, true, true);
    const pieces = await run(2, true, true, 64 * 1024);
    assert.deepEqual(pieces.alerts, whole.alerts, `${input} in pieces`);
    assert.deepEqual(pieces.counters.toData(), whole.counters.toData(), `${input} in pieces`);
    assert.deepEqual(pieces.correlation, whole.correlation, `${input} in pieces`);
    if (input === gen.logsDir) assert.ok(straight.alerts.length > 0);
  }
});

test('a big eve.json read in pieces: the same alerts, counters and file:line of rejected records as read whole', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-pieces-'));
  const eve = join(dir, 'eve.json');
  const lines: string[] = [];
  for (let i = 0; i < 3000; i++) {
    const ip = `81.2.${i % 7}.${(i * 13) % 250 + 1}`;
    const at = new Date(Date.UTC(2026, 2, 2, 8, 0, i)).toISOString();
    if (i % 97 === 50) lines.push(i % 2 === 0 ? '{"event_type":"alert","src_ip": ' : 'neither JSON nor a log line we know');
    else if (i % 5 === 0) lines.push(alertLine(ip, at));
    else lines.push(JSON.stringify({ timestamp: at.replace('Z', '+0000'), event_type: 'flow', src_ip: ip, dest_ip: '10.0.0.5', proto: 'TCP' }));
  }
  writeFileSync(eve, lines.join('\n') + '\n');
  writeFileSync(join(dir, 'signins.json'), Array.from({ length: 400 }, (_, i) =>
    signinLine(`81.2.${i % 7}.${(i * 13) % 250 + 1}`, new Date(Date.UTC(2026, 2, 2, 9, 0, i)).toISOString())).join('\n') + '\n');
  const files = (await expandInputs([dir])).files;
  const run = (threads: number, pieceBytes?: number) => runBatch(files, {
    config: buildConfig({}), rules, threads, fastScan: true, now: () => new Date('2026-06-01T00:00:00Z'), ...(pieceBytes ? { pieceBytes } : {}),
    decode: { defaultOffsetMinutes: 0, reference: { ms: Date.UTC(2026, 5, 1), ns: 0 } },
  });
  const whole = await run(1);
  assert.ok(whole.alerts.length > 0);
  assert.ok(whole.counters.rejectSamples.length >= 5, 'some records are rejected, with their places');
  // (Three threads: two workers, each sent pieces ahead while it reads one.)
  for (const [threads, pieceBytes] of [[2, 20_000], [2, 64 * 1024], [3, 20_000]] as const) {
    const pieces = await run(threads, pieceBytes);
    const what = `${threads} threads, pieces of ${pieceBytes}`;
    assert.deepEqual(pieces.alerts, whole.alerts, what);
    assert.deepEqual(pieces.counters.toData(), whole.counters.toData(), what);
    assert.deepEqual(pieces.correlation, whole.correlation, what);
  }
});

test('sign-ins among an alert source\'s unparsed records: found, even with their keys escaped; a file without any is not read again', async () => {
  // The fast hunt reads the files that look like alert sources first, counting
  // their other records unparsed, and reads those again for the sign-ins of the
  // IPs they alert on only when their bytes hold an identity decoder's time key or
  // a backslash (kernel.mayHoldKeys). A sign-in whose keys are "\u" escapes shows
  // neither key, only the backslash; past the first records (which the sniff reads)
  // it is counted unparsed in the first pass.
  const ips = Array.from({ length: 5 }, (_, i) => `81.2.${i}.9`);
  const at = (h: number, i: number): string => new Date(Date.UTC(2026, 2, 2, h, i)).toISOString();
  const flows = Array.from({ length: 40 }, (_, i) =>
    JSON.stringify({ timestamp: at(7, i).replace('Z', '+0000'), event_type: 'flow', src_ip: ips[i % 5], dest_ip: '10.0.0.5', proto: 'TCP' }));
  const alerts = ips.map((ip, i) => alertLine(ip, at(8, i)));
  const escaped = (line: string): string => line.replace('"time"', '"\\u0074ime"').replace('"createdDateTime"', '"\\u0063reatedDateTime"');
  const cases = {
    'plain keys': ips.map((ip, i) => signinLine(ip, at(9, i))),
    'escaped keys': ips.map((ip, i) => escaped(signinLine(ip, at(9, i)))),
    'no sign-ins': [] as string[],
  };
  for (const [name, signins] of Object.entries(cases)) {
    const dir = mkdtempSync(join(tmpdir(), 'cw-eve-signins-'));
    const eve = join(dir, 'eve.json');
    writeFileSync(eve, [...flows, ...alerts, ...signins].join('\n') + '\n');
    const files = (await expandInputs([dir])).files;
    const decode = { defaultOffsetMinutes: 0, reference: { ms: Date.UTC(2026, 5, 1), ns: 0 } };
    const run = (fastScan: boolean, threads = 1, pieceBytes?: number) => runBatch(files, {
      config: buildConfig({}), rules, threads, fastScan, now: () => new Date('2026-06-01T00:00:00Z'), decode, ...(pieceBytes ? { pieceBytes } : {}),
    });
    const [fast, straight] = [await run(true), await run(false)];
    assert.equal(fast.alerts.length, signins.length, name);
    assert.deepEqual(fast.alerts, straight.alerts, name);
    assert.deepEqual(fast.correlation, straight.correlation, name);
    // Read in pieces by two threads (each piece says whether its own records may be sign-ins).
    const pieces = await run(true, 2, 4096);
    assert.deepEqual(pieces.alerts, straight.alerts, `${name}, in pieces`);
    // What the first pass says of the file: may its unparsed records be sign-ins?
    const scan = await scanFile(files[0]!, decode, { ...DEFAULT_FRAMING }, true);
    assert.ok(scan.counters.sources[0]![1].unparsed > 0, `${name}: records were counted unparsed`);
    assert.equal(scan.qualifying, signins.length > 0, name);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a sign-in export that turns out not to be NDJSON in a later piece: read whole, and every alerted IP read again', async () => {
  // Pieces hand their events over as each is done; a piece that cannot be read as
  // NDJSON (here a Zeek header further down) sends the file back to be read whole,
  // after earlier pieces' events went in: the answer must still be the whole read's.
  const dir = mkdtempSync(join(tmpdir(), 'cw-late-header-'));
  const ips = Array.from({ length: 7 }, (_, i) => `81.2.${i}.9`);
  writeFileSync(join(dir, 'eve.json'), ips.map((ip, i) => alertLine(ip, new Date(Date.UTC(2026, 2, 2, 8, i)).toISOString())).join('\n') + '\n');
  const signins: string[] = [];
  for (let i = 0; i < 600; i++) {
    if (i === 450) signins.push('#separator \\x09');
    signins.push(signinLine(ips[i % 7]!, new Date(Date.UTC(2026, 2, 2, 9, 0, i)).toISOString()));
  }
  writeFileSync(join(dir, 'signins.json'), signins.join('\n') + '\n');
  const files = (await expandInputs([dir])).files;
  const run = (threads: number, pieceBytes?: number) => runBatch(files, {
    config: buildConfig({}), rules, threads, fastScan: true, now: () => new Date('2026-06-01T00:00:00Z'), ...(pieceBytes ? { pieceBytes } : {}),
    decode: { defaultOffsetMinutes: 0, reference: { ms: Date.UTC(2026, 5, 1), ns: 0 } },
  });
  const whole = await run(1);
  assert.ok(whole.alerts.length >= 7, 'every alerted IP signed in');
  assert.ok(whole.correlation.qualifyingEvents > 0);
  const pieces = await run(2, 20_000);
  assert.deepEqual(pieces.alerts, whole.alerts);
  assert.deepEqual(pieces.correlation, whole.correlation);
  assert.deepEqual(pieces.counters.toData(), whole.counters.toData());
});

test('network alerts hiding in a file that starts like a sign-in export: the fast hunt still finds every case', async () => {
  // The fast hunt scans files that look like alert sources first and searches the
  // rest for their IPs in the same pass; alerts found only there must send the
  // files back for those IPs. Here every IDS alert is appended to an Entra export.
  const dir = mkdtempSync(join(tmpdir(), 'cw-hidden-'));
  const gen = await generate({ outDir: dir, events: 20_000, seed: 5 });
  const files = (await expandInputs([gen.logsDir])).files;
  const eve = files.filter((f) => f.path.endsWith('eve.json'));
  const entra = files.find((f) => f.path.endsWith('insights-logs-signinlogs.json'))!;
  assert.ok(eve.length > 0 && entra);
  appendFileSync(entra.path, eve.map((f) => readFileSync(f.path, 'utf8')).join(''));
  for (const f of eve) rmSync(f.path);
  const inputs = (await expandInputs([gen.logsDir])).files;
  const run = (fastScan: boolean) => runBatch(inputs, {
    config: buildConfig({}), rules, threads: 1, fastScan, now: () => new Date('2026-06-01T00:00:00Z'),
    decode: { defaultOffsetMinutes: 0, reference: { ms: Date.UTC(2026, 5, 1), ns: 0 } },
  });
  const straight = await run(false);
  const fast = await run(true);
  assert.ok(straight.alerts.length > 5);
  assert.deepEqual(fast.alerts, straight.alerts);
  const truth = JSON.parse(readFileSync(gen.truthPath, 'utf8')) as { pairs: Array<{ rule: string; ip: string }> };
  assert.deepEqual([...new Set(fast.alerts.map((a) => `${a.rule.id} ${a.source.ip}`))].sort(), truth.pairs.map((p) => `${p.rule} ${p.ip}`).sort());
});

test('an IP alerted early whose telling alert is found later: the fast hunt looks for it again in that alert\'s window', async () => {
  // The fast hunt keeps, from the second group of files, only the events of early
  // IPs that fall in a window of the alerts known so far. Here each true IP's
  // first-group alert is a decoy a day before, and its real alerts hide in an
  // Entra export: the events after the real alerts must still be found.
  const dir = mkdtempSync(join(tmpdir(), 'cw-late-window-'));
  const gen = await generate({ outDir: dir, events: 20_000, seed: 7 });
  const truth = JSON.parse(readFileSync(gen.truthPath, 'utf8')) as { pairs: Array<{ rule: string; ip: string }> };
  const trueIps = new Set(truth.pairs.map((p) => p.ip));
  const files = (await expandInputs([gen.logsDir])).files;
  const eve = files.filter((f) => f.path.endsWith('eve.json'));
  const entra = files.find((f) => f.path.endsWith('insights-logs-signinlogs.json'))!;
  const lines = eve.flatMap((f) => readFileSync(f.path, 'utf8').split('\n').filter((l) => l.trim() !== ''));
  const decoys: string[] = [];
  const hidden: string[] = [];
  for (const line of lines) {
    const r = JSON.parse(line) as { event_type: string; src_ip: string; timestamp: string };
    if (r.event_type !== 'alert' || !trueIps.has(r.src_ip)) continue;
    hidden.push(line);
    const day = new Date(Date.parse(r.timestamp.slice(0, 10)) - 86_400_000).toISOString().slice(0, 10);
    decoys.push(JSON.stringify({ ...r, timestamp: day + r.timestamp.slice(10) }));
  }
  assert.ok(decoys.length >= trueIps.size);
  for (const f of eve) writeFileSync(f.path, lines.filter((l) => !hidden.includes(l)).join('\n') + '\n');
  appendFileSync(eve[0]!.path, decoys.join('\n') + '\n');
  appendFileSync(entra.path, hidden.join('\n') + '\n');
  const inputs = (await expandInputs([gen.logsDir])).files;
  const run = (fastScan: boolean, threads: number) => runBatch(inputs, {
    config: buildConfig({}), rules, threads, fastScan, now: () => new Date('2026-06-01T00:00:00Z'),
    decode: { defaultOffsetMinutes: 0, reference: { ms: Date.UTC(2026, 5, 1), ns: 0 } },
  });
  const straight = await run(false, 1);
  for (const threads of [1, 2]) {
    const fast = await run(true, threads);
    assert.deepEqual(fast.alerts, straight.alerts);
    // The events found early for those IPs were dropped and read again: counted once.
    assert.equal(fast.correlation.qualifyingEvents, straight.correlation.qualifyingEvents, `threads ${threads}`);
    assert.equal(fast.correlation.duplicateRecords, straight.correlation.duplicateRecords, `threads ${threads}`);
  }
  const pairs = new Set(straight.alerts.map((a) => `${a.rule.id} ${a.source.ip}`));
  for (const p of truth.pairs) assert.ok(pairs.has(`${p.rule} ${p.ip}`), `${p.rule} ${p.ip}`);
});

// ECS CSV exports (Kibana's "Share → CSV" of an alerts table) carry network alerts:
// the fast pass counted every CSV row after the first ten unparsed, as if all CSV
// exports were sign-in exports, and lost those alerts.
test('the fast pass finds the network alerts of an ECS CSV export, every row of it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-ecs-csv-'));
  try {
    const header = '@timestamp,event.kind,event.dataset,source.ip,rule.name,observer.name';
    const rows = Array.from({ length: 40 }, (_, i) => `2026-03-02T10:${String(i).padStart(2, '0')}:00.000Z,alert,suricata.eve,81.2.71.${i + 1},ET SCAN test,ids01`);
    writeFileSync(join(dir, 'alerts.csv'), `${header}\n${rows.join('\n')}\n`);
    writeFileSync(join(dir, 'signins.json'), Array.from({ length: 40 }, (_, i) =>
      signinLine(`81.2.71.${i + 1}`, new Date(Date.UTC(2026, 2, 2, 11, i)).toISOString())).join('\n') + '\n');
    const files = (await expandInputs([dir])).files;
    const run = (fastScan: boolean) => runBatch(files, {
      config: buildConfig({}), rules, threads: 1, fastScan, now: () => new Date('2026-06-01T00:00:00Z'),
      decode: { defaultOffsetMinutes: 0, reference: { ms: Date.UTC(2026, 5, 1), ns: 0 } },
    });
    const full = await run(false);
    assert.equal(full.alerts.length, 40);
    const fast = await run(true);
    assert.deepEqual(fast.alerts.map((a) => a.source.ip).sort(), full.alerts.map((a) => a.source.ip).sort());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
