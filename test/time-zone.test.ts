// Configured zones for zone-less device times: fixed offsets and IANA names with
// daylight saving, independent of the machine's TZ; written zones always win.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkZone, formatInstant, parseTime, zoneOffsetMinutes } from '../src/model/time.js';

const iso = (v: string, zone?: string): string | null => {
  const t = parseTime(v, zone === undefined ? {} : { zone });
  return t && formatInstant(t);
};

test('zone-less times take the configured zone; written zones win', () => {
  assert.equal(iso('2018-11-30T16:44:36'), '2018-11-30T16:44:36.000Z');
  assert.equal(iso('2018-11-30T16:44:36', '+09:30'), '2018-11-30T07:14:36.000Z');
  assert.equal(iso('2018-11-30T16:44:36Z', '+09:30'), '2018-11-30T16:44:36.000Z');
  // America/Chicago: CST (-06:00) in winter, CDT (-05:00) in summer.
  assert.equal(iso('2026-01-15 10:00:00', 'America/Chicago'), '2026-01-15T16:00:00.000Z');
  assert.equal(iso('2026-07-15 10:00:00.123456', 'America/Chicago'), '2026-07-15T15:00:00.123456Z');
  // Just after the spring-forward gap and in the repeated autumn hour, the offsets in force apply.
  assert.equal(iso('2026-03-08 03:30:00', 'America/Chicago'), '2026-03-08T08:30:00.000Z');
  assert.equal(iso('2026-11-01 00:30:00', 'America/Chicago'), '2026-11-01T05:30:00.000Z');
});

test('zone offsets and zone validation', () => {
  assert.equal(zoneOffsetMinutes('Asia/Kolkata', Date.UTC(2026, 0, 1)), 330);
  assert.equal(zoneOffsetMinutes('-05:00', 0), -300);
  assert.equal(checkZone('Europe/Berlin'), null);
  assert.equal(checkZone('+0930'), null);
  assert.match(checkZone('Mars/Olympus') ?? '', /unknown time zone/);
});
