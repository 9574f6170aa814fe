// Unit tests for the canonical forms (DESIGN.md §2): src/model/ip.ts and
// src/model/time.ts, including a check in child processes that parseTime does
// not depend on the machine's TZ.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CidrSet, SPECIAL_PURPOSE_RANGES, canonicalIp, ipv4Number, specialPurpose } from '../src/model/ip.js';
import {
  addMs, compareInstants, diffMs, formatDuration, formatInstant, parseDuration, parseEpoch, parseTime, parseTimeByPattern,
} from '../src/model/time.js';
import fc from 'fast-check';

// --- IP ------------------------------------------------------------------

test('canonicalIp: ports, brackets, wrappers, whitespace', () => {
  const cases: Array<[unknown, string | null]> = [
    ['81.2.69.160', '81.2.69.160'],
    [' 81.2.69.160 ', '81.2.69.160'],
    ['81.2.69.160\n', '81.2.69.160'],
    ['81.2.69.160:5678', '81.2.69.160'],
    ['[81.2.69.160]:5678', '81.2.69.160'],
    ['[81.2.69.160]', '81.2.69.160'],
    ['[2a02:cf40::1]:443', '2a02:cf40::1'],
    ['[2a02:cf40::1]', '2a02:cf40::1'],
    ['host.example (81.2.69.160)', '81.2.69.160'],
    ['EXCH01 (81.2.69.160)\n', '81.2.69.160'],
    ['[NAME (81.2.69.160)]', '81.2.69.160'],
    ['NAME (2A02:CF40::1)', '2a02:cf40::1'],
  ];
  for (const [input, want] of cases) assert.equal(canonicalIp(input), want, JSON.stringify(input));
});

test('canonicalIp: IPv6 RFC 5952 compression and case, IPv4-mapped, zone ids', () => {
  const cases: Array<[string, string]> = [
    ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // first longest zero run is compressed
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group is not
    ['2A02:CF40:0:0::1', '2a02:cf40::1'],
    ['::1', '::1'],
    ['::', '::'],
    ['::ffff:81.2.69.160', '81.2.69.160'],
    ['::FFFF:81.2.69.160', '81.2.69.160'],
    ['::ffff:5102:45a0', '81.2.69.160'],
    ['0:0:0:0:0:ffff:5102:45a0', '81.2.69.160'],
    ['[::ffff:81.2.69.160]:12345', '81.2.69.160'],
    ['fe80::1%eth0', 'fe80::1'],
    ['[fe80::1%25eth0]:443', 'fe80::1'],
    ['fe80::1%', 'fe80::1'],
  ];
  for (const [input, want] of cases) assert.equal(canonicalIp(input), want, input);
});

test('canonicalIp: non-addresses are no IP', () => {
  const none: unknown[] = ['', '   ', '-', 'Unknown', 'unknown', 'localhost', 'localhost:12345', '[localhost]:12345',
    'cool.client.local', '[cool.client.local]:12345', '10.1', '0x7f.0.0.1', '01.2.3.4', '1.2.3.256', '10.9000.0.1',
    'NOTANIPV4 (10.9000.0.1)', '[1.2.3.4', '1.2.3.4/24', 'x)', '1:2:3:4:5:6:7:8:9', 'a'.repeat(10_000),
    null, undefined, 42, 0x5102_45a0, ['81.2.69.160'], { ip: '81.2.69.160' }, true];
  for (const input of none) assert.equal(canonicalIp(input), null, typeof input === 'string' ? JSON.stringify(input.slice(0, 40)) : String(input));
});

test('special-purpose ranges: DESIGN.md §1.2 list is excluded, public addresses are not', () => {
  const special = ['0.1.2.3', '10.1.2.3', '100.64.0.1', '100.127.255.255', '127.0.0.1', '169.254.1.1', '172.16.0.1', '172.31.255.255',
    '192.0.0.1', '192.0.2.1', '192.31.196.1', '192.52.193.1', '192.88.99.1', '192.168.1.1', '192.175.48.1', '198.18.0.1', '198.19.255.255',
    '198.51.100.1', '203.0.113.1', '224.0.0.1', '239.255.255.255', '240.0.0.1', '255.255.255.255',
    '::', '::1', 'fc00::1', 'fd12:3456::1', 'fe80::1', 'ff02::1', '2001:db8::abcd'];
  for (const ip of special) assert.notEqual(specialPurpose.match(ip), null, ip);
  const pub = ['81.2.69.160', '8.8.8.8', '1.128.3.4', '100.63.255.255', '100.128.0.0', '172.15.255.255', '172.32.0.0', '175.16.199.1',
    '198.17.255.255', '198.20.0.0', '2a02:cf40::1', '2606:4700::1111', '2001:db9::1'];
  for (const ip of pub) assert.equal(specialPurpose.match(ip), null, ip);
  // Every range of the design's list is in the table.
  for (const r of ['0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.0.0.0/24', '192.0.2.0/24',
    '192.31.196.0/24', '192.52.193.0/24', '192.88.99.0/24', '192.168.0.0/16', '192.175.48.0/24', '198.18.0.0/15', '198.51.100.0/24',
    '203.0.113.0/24', '224.0.0.0/4', '240.0.0.0/4', '::/128', '::1/128', 'fc00::/7', 'fe80::/10', 'ff00::/8', '2001:db8::/32']) {
    assert.ok(SPECIAL_PURPOSE_RANGES.includes(r), r);
  }
  assert.equal(specialPurpose.match('not an ip'), null);
});

test('CidrSet: CIDRs, bare addresses, mapped v6, shorthand prefixes; bad input throws', () => {
  const set = new CidrSet(['81.2.69.0/24', '2a02:cf40::/32', '8.8.8.8', '::ffff:10.0.0.0/104', ' 203.0.114.0/23 ']);
  assert.equal(set.match('81.2.69.160'), '81.2.69.0/24');
  assert.equal(set.match('81.2.70.1'), null);
  assert.equal(set.match('2a02:cf40:1::9'), '2a02:cf40::/32');
  assert.equal(set.match('2a02:cf41::9'), null);
  assert.equal(set.match('8.8.8.8'), '8.8.8.8/32');
  assert.equal(set.match('8.8.4.4'), null);
  assert.equal(set.match('10.9.9.9'), '10.0.0.0/8');
  assert.equal(set.match('203.0.115.1'), '203.0.114.0/23');
  assert.equal(set.match('garbage'), null);
  assert.deepEqual(set.cidrs, ['81.2.69.0/24', '2a02:cf40::/32', '8.8.8.8', '::ffff:10.0.0.0/104', '203.0.114.0/23']);
  // The shorthand the design itself uses ("10/8", "100.64/10", "192.168/16") means what it says.
  const short = new CidrSet(['10/8', '100.64/10', '192.168/16']);
  assert.equal(short.match('10.1.2.3'), '10.0.0.0/8');
  assert.equal(short.match('0.0.0.10'), null);
  assert.equal(short.match('100.100.1.1'), '100.64.0.0/10');
  assert.equal(short.match('192.168.7.7'), '192.168.0.0/16');
  for (const bad of ['nope', '10.1', '0x7f.0.0.1', '1.2.3.4/33', '2001:db8::/129', '1.2.3.4/', 'fe80::1%eth0', '1.2.3.4/24/8', '']) {
    assert.throws(() => new CidrSet([bad]), /not an IP address or CIDR range/, bad);
  }
});

test('ipv4Number: canonical dotted quads only; CidrSet matches other spellings as ipaddr.js reads them', () => {
  assert.equal(ipv4Number('0.0.0.0'), 0);
  assert.equal(ipv4Number('255.255.255.255'), 0xffffffff);
  assert.equal(ipv4Number('81.2.69.160'), (81 << 24 | 2 << 16 | 69 << 8 | 160) >>> 0);
  for (const bad of ['010.1.2.3', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1..2.3', '1.2.3.', '.1.2.3', '1.2.3.4 ', '1234.1.1.1', '::1', '']) {
    assert.equal(ipv4Number(bad), null, bad);
  }
  // Not canonical, so not the fast path: matched as ipaddr.js reads it (a leading zero is octal: 8.1.2.3).
  const set = new CidrSet(['10.0.0.0/8', '8.0.0.0/8']);
  assert.equal(set.match('010.1.2.3'), '8.0.0.0/8');
  assert.equal(new CidrSet(['0.0.0.0/0']).match('203.0.113.9'), '0.0.0.0/0');
  assert.equal(new CidrSet(['128.0.0.0/1']).match('200.1.1.1'), '128.0.0.0/1');
  assert.equal(new CidrSet(['128.0.0.0/1']).match('127.255.255.255'), null);
});

// --- Time ------------------------------------------------------------------

function iso(v: unknown, opts?: Parameters<typeof parseTime>[1]): string | null {
  const t = parseTime(v, opts);
  return t === null ? null : formatInstant(t);
}

test('parseTime: ISO 8601 forms, fractions kept to 100 ns and beyond, offsets with or without colon', () => {
  const cases: Array<[string, string]> = [
    ['2024-01-02T03:04:05Z', '2024-01-02T03:04:05.000Z'],
    ['2024-01-02T03:04:05.1234567Z', '2024-01-02T03:04:05.1234567Z'],
    ['2019-10-18T04:45:48.0729893-05:00', '2019-10-18T09:45:48.0729893Z'],
    ['2024-01-02T03:04:05.123456+0000', '2024-01-02T03:04:05.123456Z'],
    ['2021-01-27T01:28:11.488362+0100', '2021-01-27T00:28:11.488362Z'],
    ['2018-07-05T15:07:20.910626-0400', '2018-07-05T19:07:20.910626Z'],
    ['2024-01-02T03:04:05+05:30', '2024-01-01T21:34:05.000Z'],
    ['2024-01-02T03:04:05+01', '2024-01-02T02:04:05.000Z'],
    ['2024-01-02 03:04:05Z', '2024-01-02T03:04:05.000Z'],
    ['2024-01-02T03:04:05.22Z', '2024-01-02T03:04:05.220Z'],
    ['2007-01-09T09:41:00.535404056Z', '2007-01-09T09:41:00.535404056Z'],
    ['2024-01-02T03:04Z', '2024-01-02T03:04:00.000Z'],
    ['2024-01-02', '2024-01-02T00:00:00.000Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    ['0050-01-01T00:00:00Z', '0050-01-01T00:00:00.000Z'],
  ];
  for (const [input, want] of cases) assert.equal(iso(input), want, input);
  assert.deepEqual(parseTime('2024-01-02T03:04:05.1234567Z'), { ms: Date.UTC(2024, 0, 2, 3, 4, 5, 123), ns: 456700 });
});

test('parseTime: zone-less times are UTC unless an offset is configured', () => {
  assert.equal(iso('2020-02-28T09:42:45'), '2020-02-28T09:42:45.000Z');
  assert.equal(iso('2020-02-28T09:42:45', { defaultOffsetMinutes: 0 }), '2020-02-28T09:42:45.000Z');
  assert.equal(iso('2020-02-28T09:42:45', { defaultOffsetMinutes: 60 }), '2020-02-28T08:42:45.000Z');
  assert.equal(iso('2020-02-28T09:42:45', { defaultOffsetMinutes: -300 }), '2020-02-28T14:42:45.000Z');
  // An explicit zone wins over the configured one.
  assert.equal(iso('2020-02-28T09:42:45Z', { defaultOffsetMinutes: 60 }), '2020-02-28T09:42:45.000Z');
});

test('parseTime: US forms of Azure records', () => {
  const cases: Array<[string, string]> = [
    ['01/09/2007 09:41:00', '2007-01-09T09:41:00.000Z'],
    ['1/9/2007 9:41:00 AM', '2007-01-09T09:41:00.000Z'],
    ['1/9/2007 10:41:00 AM +01:00', '2007-01-09T09:41:00.000Z'],
    ['12/12/2025 3:03:58 PM', '2025-12-12T15:03:58.000Z'],
    ['1/9/2007 12:41:00 AM', '2007-01-09T00:41:00.000Z'],
    ['1/9/2007 12:41:00 PM', '2007-01-09T12:41:00.000Z'],
  ];
  for (const [input, want] of cases) assert.equal(iso(input), want, input);
});

test('parseTime: epoch seconds, milliseconds, microseconds, fractions, numbers and strings', () => {
  assert.equal(iso(1_700_000_000), '2023-11-14T22:13:20.000Z');
  assert.equal(iso('1700000000'), '2023-11-14T22:13:20.000Z');
  assert.equal(iso(1_700_000_000_123), '2023-11-14T22:13:20.123Z');
  assert.equal(iso('1700000000.123456'), '2023-11-14T22:13:20.123456Z');
  assert.equal(iso('1700000000123456'), '2023-11-14T22:13:20.123456Z');
  assert.equal(iso(1_580_000_000.5), '2020-01-26T00:53:20.500Z');
  assert.equal(iso(0), '1970-01-01T00:00:00.000Z');
  assert.deepEqual(parseTime('-0'), { ms: 0, ns: 0 });
  assert.deepEqual(parseEpoch('-1.5'), { ms: -1500, ns: 0 });
  assert.deepEqual(parseEpoch('-0.0000001'), { ms: -1, ns: 999_900 });
});

test('parseTime: year-less syslog stamps take the year from the reference', () => {
  const reference = { ms: Date.UTC(2024, 0, 1, 12), ns: 0 };
  assert.equal(iso('Jan  1 03:04:05', { reference }), '2024-01-01T03:04:05.000Z');
  assert.equal(iso('Dec 31 23:59:59', { reference }), '2023-12-31T23:59:59.000Z');
  assert.equal(iso('Jan  2 03:04:05.250', { reference }), '2024-01-02T03:04:05.250Z');
});

test('parseTime: rejects what is not a time, never throws, and never returns an unprintable instant', () => {
  const bad: unknown[] = ['', 'soon', 'NaN', 'Infinity', '1e10', '2024-02-30T00:00:00Z', '2023-02-29T00:00:00Z', '2024-13-01T00:00:00Z',
    '2024-01-02T03:04:05+24:00', '13/12/2025 3:03:58 PM', '1/9/2007 0:41:00 AM', '2024-01-02T03:04:05.Z', 'Foo  2 03:04:05',
    '99999999999999999999999', 'x'.repeat(100_000), NaN, Infinity, -Infinity, 1e300, null, undefined, {}, [], true];
  for (const v of bad) {
    const t = parseTime(v);
    assert.equal(t, null, typeof v === 'string' ? v.slice(0, 40) : String(v));
  }
  // Anything parsed can be formatted.
  for (const v of [9.99e15, '99999999999', '9999-12-31T23:59:59.9999999Z', -62135596800]) {
    const t = parseTime(v);
    if (t !== null) assert.doesNotThrow(() => formatInstant(t));
  }
});

test('instant helpers and durations', () => {
  const a = parseTime('2024-01-01T00:00:00.0000001Z')!;
  const b = parseTime('2024-01-01T00:00:00.0000002Z')!;
  assert.ok(compareInstants(a, b) < 0);
  assert.equal(compareInstants(a, a), 0);
  assert.ok(Math.abs(diffMs(b, a) - 0.0001) < 1e-9);
  assert.equal(formatInstant(addMs(a, 8 * 3_600_000)), '2024-01-01T08:00:00.0000001Z');
  assert.equal(parseDuration('8h'), 28_800_000);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('eight'), null);
  assert.equal(formatDuration(28_800_000), '8h');
});

test('parseTime gives identical results under TZ=America/New_York and TZ=Asia/Kolkata', () => {
  const inputs = ['2020-02-28T09:42:45', '2024-07-01T12:00:00', '01/09/2007 09:41:00', '1/9/2007 9:41:00 PM', '2021-01-27T01:28:11.488362+0100',
    '2019-10-18T04:45:48.0729893-05:00', '2024-03-10T02:30:00', '2024-11-03T01:30:00', 'Jan  2 03:04:05', '1700000000.5'];
  const timeModule = new URL('../src/model/time.ts', import.meta.url).href;
  const script = `
    const { parseTime, formatInstant } = await import(${JSON.stringify(timeModule)});
    const inputs = ${JSON.stringify(inputs)};
    const reference = { ms: ${Date.UTC(2024, 5, 1)}, ns: 0 };
    const out = inputs.map((s) => { const t = parseTime(s, { reference }); return t && [formatInstant(t), t.ms, t.ns]; });
    console.log(JSON.stringify({ tz: process.env.TZ, offset: new Date(${Date.UTC(2024, 0, 15)}).getTimezoneOffset(), out }));
  `;
  const root = fileURLToPath(new URL('..', import.meta.url));
  const run = (tz: string) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: root, env: { ...process.env, TZ: tz }, encoding: 'utf8', timeout: 60_000,
    });
    assert.equal(r.status, 0, `child under TZ=${tz} failed: ${r.stderr}`);
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as { tz: string; offset: number; out: unknown[] };
  };
  const ny = run('America/New_York');
  const kol = run('Asia/Kolkata');
  // The children really ran in those zones (January offsets: UTC-5 and UTC+5:30).
  assert.equal(ny.offset, 300);
  assert.equal(kol.offset, -330);
  assert.deepEqual(ny.out, kol.out);
  // ...and agree with this process and with UTC.
  const here = inputs.map((s) => { const t = parseTime(s, { reference: { ms: Date.UTC(2024, 5, 1), ns: 0 } }); return t && [formatInstant(t), t.ms, t.ns]; });
  assert.deepEqual(ny.out, here);
  assert.deepEqual((ny.out[0] as unknown[])[0], '2020-02-28T09:42:45.000Z');
});

test('formatInstant writes what Date.toISOString writes, in any order of calls (its per-day cache never leaks)', () => {
  // The plain form: toISOString, with the sub-millisecond digits the source had.
  const plain = (t: { ms: number; ns: number }): string => {
    const iso = new Date(t.ms).toISOString();
    if (t.ns === 0) return iso;
    return `${iso.slice(0, -1)}${String(t.ns).padStart(6, '0').replace(/0+$/, '')}Z`;
  };
  let seed = 11;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const base = [0, -1, 999, 1000, -1000, -1001, Date.UTC(2026, 2, 2, 9), 8.64e15, -8.64e15, 253_402_300_799_999, 253_402_300_800_000];
  const instants: Array<{ ms: number; ns: number }> = [];
  for (const b of base) for (const d of [0, 1, -1, 999, 1000]) instants.push({ ms: b + d, ns: 0 }, { ms: b + d, ns: 100 });
  // Runs within one second, across seconds and days, and back again.
  for (let i = 0; i < 20000; i++) {
    const b = base[rnd(base.length)]!;
    const spread = [3000, 200_000_000, 2_000_000_000][rnd(3)]!;
    instants.push({ ms: b + rnd(spread) - spread / 2, ns: rnd(4) === 0 ? rnd(1_000_000) : [0, 100, 1000, 500_000][rnd(4)]! });
  }
  let checked = 0;
  for (const t of instants) {
    if (Math.abs(t.ms) > 8.64e15) {
      assert.throws(() => formatInstant(t), RangeError);
      continue;
    }
    assert.equal(formatInstant(t), plain(t), `${t.ms} ${t.ns}`);
    checked++;
  }
  assert.ok(checked > 15000);
});

test('parseTime reads the common ISO form without its patterns, to the same instant as the patterns read it', () => {
  // parseTime takes `YYYY-MM-DDThh:mm:ss[.f](Z|±hh:mm|±hhmm)` straight from the characters
  // (plainIso) and leaves every other text to the patterns: on any text, near that
  // form or in it, under any options, the two must agree (or the fast read is wrong).
  const two = (lo: number, hi: number): fc.Arbitrary<string> => fc.integer({ min: lo, max: hi }).map((n) => String(n).padStart(2, '0'));
  const text = fc.record({
    y: fc.oneof(fc.constantFrom('1969', '1970', '2000', '2024', '2100', '9999', '0099', '2026'), fc.integer({ min: 1000, max: 9999 }).map(String)),
    mo: two(0, 13),
    d: two(0, 32),
    t: fc.constantFrom('T', ' ', 't'),
    h: two(0, 25),
    mi: two(0, 60),
    s: two(0, 61),
    frac: fc.oneof(fc.constant(''), fc.stringMatching(/^[.,][0-9]{1,12}$/), fc.constantFrom('.', '.5x', '.0000000000001')),
    zone: fc.constantFrom('', 'Z', 'z', 'UTC', ' Z', '+00:00', '-05:00', '+14:00', '+23:59', '+24:00', '-00:60', '+0530', '+0000', '-0800', '+2359', '+2400', '-0060', '+05', '+05:3', '+053', '+05300', 'X', '+05:30 ', '+0530 '),
  }).map((p) => `${p.y}-${p.mo}-${p.d}${p.t}${p.h}:${p.mi}:${p.s}${p.frac}${p.zone}`);
  const opts = fc.constantFrom<TimeOptionsUnderTest>(
    undefined, {}, { defaultOffsetMinutes: 0 }, { defaultOffsetMinutes: 330 }, { defaultOffsetMinutes: -600 },
    { zone: '+09:30' }, { zone: 'America/Chicago' }, { zone: 'UTC', defaultOffsetMinutes: 60 },
  );
  fc.assert(fc.property(text, opts, (t, o) => {
    assert.deepEqual(parseTime(t, o), parseTimeByPattern(t.trim(), o), `${t} ${JSON.stringify(o)}`);
  }), { numRuns: 20000 });
  // The edges by name: leap days, month ends, the last instant of year 9999 and past it.
  for (const t of [
    '2024-02-29T00:00:00Z', '2023-02-29T00:00:00Z', '2100-02-29T00:00:00Z', '2000-02-29T12:00:00Z', '2026-04-31T00:00:00Z',
    '2026-12-31T23:59:59.9999999Z', '9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999-00:01', '1970-01-01T00:00:00+01:00',
    '2026-03-02T09:00:00.1234567890Z', '2026-03-02T09:00:00', '2026-03-02T09:00:00.000000001+05:30',
  ]) {
    for (const o of [undefined, { defaultOffsetMinutes: 120 }, { zone: 'Europe/Paris' }]) assert.deepEqual(parseTime(t, o), parseTimeByPattern(t, o), t);
  }
  assert.deepEqual(parseTime('2026-03-02T09:00:00.1234567+01:00'), { ms: Date.UTC(2026, 2, 2, 8, 0, 0, 123), ns: 456_700 });
  // Suricata's EVE form, its zone without a colon.
  assert.deepEqual(parseTime('2026-03-02T00:00:10.823046+0000'), { ms: Date.UTC(2026, 2, 2, 0, 0, 10, 823), ns: 46_000 });
  assert.deepEqual(parseTime('2026-03-02T00:00:10.823046-0130'), { ms: Date.UTC(2026, 2, 2, 1, 30, 10, 823), ns: 46_000 });
});
type TimeOptionsUnderTest = Parameters<typeof parseTime>[1];
