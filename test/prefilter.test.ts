// The second-pass prefilter must never drop a record that names an alerted IP in
// any spelling canonicalIp accepts (no false negatives), for few and many IPs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ipPrefilter } from '../src/detect/prefilter.js';
import { canonicalIp } from '../src/model/ip.js';

const SPELLINGS = (ip: string): string[] => {
  if (!ip.includes(':')) {
    const [a, b, c, d] = ip.split('.').map(Number) as [number, number, number, number];
    const hex = `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
    return [ip, `${ip}:51234`, `[${ip}]:443`, `[${ip}]`, `::ffff:${ip}`, `::FFFF:${ip}`, `::ffff:${hex}`, `0:0:0:0:0:FFFF:${hex.toUpperCase()}`, `host.example (${ip})`, ` ${ip} `];
  }
  const groups = ip.split(':');
  const expanded = (() => {
    const i = groups.indexOf('');
    if (i < 0) return groups;
    const fill = 8 - groups.filter((g) => g !== '').length;
    const head = groups.slice(0, i).filter((g) => g !== '');
    const tail = groups.slice(i).filter((g) => g !== '');
    return [...head, ...Array(fill).fill('0'), ...tail];
  })();
  const full = expanded.map((g) => g.padStart(4, '0')).join(':');
  return [ip, ip.toUpperCase(), full, full.toUpperCase(), `[${ip}]:443`, `[${full}]`, `${ip}%eth0`];
};

const v4 = fc.tuple(fc.integer({ min: 1, max: 223 }), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'));
const v6 = fc.tuple(fc.integer({ min: 0x2000, max: 0x3fff }), fc.array(fc.nat(0xffff), { minLength: 7, maxLength: 7 }))
  .map(([h, rest]) => canonicalIp([h, ...rest].map((x) => x.toString(16)).join(':'))!);

test('property: every spelling of an alerted IP passes, with few or many alerted IPs', () => {
  fc.assert(fc.property(fc.array(fc.oneof(v4, v6), { minLength: 1, maxLength: 5 }), fc.boolean(), (alerted, many) => {
    const ips = many ? [...alerted, ...Array.from({ length: 100 }, (_, i) => `81.3.${i}.9`)] : alerted;
    const pass = ipPrefilter(ips);
    for (const ip of alerted) {
      for (const s of SPELLINGS(ip)) {
        assert.equal(canonicalIp(s), ip, `test spelling ${s} must canonicalise to ${ip}`);
        const record = JSON.stringify({ Operation: 'MailItemsAccessed', ClientIPAddress: s, UserId: 'a@contoso.com' });
        assert.ok(pass(record), `${s} (${ip}) was dropped`);
      }
    }
  }), { numRuns: 300 });
});

test('records naming no alerted IP are dropped', () => {
  for (const ips of [['81.2.69.160'], Array.from({ length: 100 }, (_, i) => `81.2.${i}.160`)]) {
    const pass = ipPrefilter(ips);
    assert.equal(pass(JSON.stringify({ ClientIP: '81.2.69.16', UserId: 'a@contoso.com' })), false);
    assert.equal(pass(JSON.stringify({ ClientIP: '93.184.216.34' })), false);
  }
  assert.equal(ipPrefilter([])('{"ClientIP":"81.2.69.160"}'), false);
  // An alerted IPv6 outside 2000::/3 cannot be prefiltered: everything passes.
  assert.equal(ipPrefilter(['fd00::1'])('{}'), true);
});
