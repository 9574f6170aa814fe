// Real faults under the real service (issue #15, item 8): the store's disk full
// (a small tmpfs), its file system gone read-only under the service (an ext4
// image taken read-only by the kernel, as after an I/O error) and at start,
// SIGKILL during eviction and during commits (repeatedly), and the clock jumping
// a year forward and back (libfaketime). Each time: no acknowledged record is
// lost (a 200 reply means committed), a failed commit gets an error reply (never
// a 200, never a hang), and the service either keeps running or exits with a
// clear message, and restarts cleanly. The store is read directly afterwards:
// the per-IP table agrees with the events.
//
// Mounting needs root (the CI machine runs tests as root); elsewhere these tests
// skip with the reason, and with CROSSWATCH_REQUIRE_FAULTS=1 (.ci/run) they fail
// instead. Run alone: node --import tsx --test test/hostile/faults.test.ts
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { alertLine, signinLine } from '../scenario-lines.js';
import { BIN } from '../serve-process.js';
import {
  H, MIN, Mounts, TOKEN, alertIps, fillLeaving, cannotLoopMount, cannotMount, checkStore, ingest, ipOf, iso, libfaketime, metric, pairsBody, run, running, serve,
  shortSignin, skipOrFail, sleep, status, stop, until, type Reply, type Service,
} from './fault-helpers.js';

const mounts = new Mounts();
after(() => mounts.cleanup());

/** A body sent, and what became of it. */
interface Sent {
  body: string;
  ips: string[];
  /** Correlatable records in it. */
  records: number;
  reply?: Reply;
}

/**
 * A sender of numbered bodies of 20 alert + sign-in pairs (addresses from `block`)
 * to the service `svc()` gives; every body sent, and its reply, lands in `sent`.
 */
function pairSender(block: number, svc: () => Service): { sent: Sent[]; send(n: number): Promise<Sent> } {
  const now = Date.now() - H;
  const sent: Sent[] = [];
  return {
    sent,
    async send(n: number): Promise<Sent> {
      const ips = Array.from({ length: 20 }, (_, i) => ipOf(block, n * 20 + i));
      const s: Sent = { body: pairsBody(ips, now + n), ips, records: ips.length * 2 };
      s.reply = await ingest(svc().base, s.body);
      sent.push(s);
      return s;
    },
  };
}

/** Sends each acknowledged body again: everything it stored is still there (nothing new is stored). */
async function assertAcknowledgedKept(base: string, sent: Sent[], what: string): Promise<void> {
  for (const s of sent) {
    if (s.reply?.status !== 200) continue;
    const again = await ingest(base, s.body);
    assert.equal(again.status, 200, `${what}: ${JSON.stringify(again.body)}`);
    assert.equal(again.body.stored, 0, `${what}: a body acknowledged before is all still stored (${s.ips[0]}…)`);
    assert.equal(again.body.duplicates, s.records);
  }
}

/** The bodies refused during a fault stored none of their records (sent again, all are new); then every address alerts. */
async function assertRefusedStoredNothing(base: string, sent: Sent[]): Promise<void> {
  for (const s of sent.filter((x) => x.reply!.status !== 200)) {
    const again = await ingest(base, s.body);
    assert.equal(again.status, 200);
    assert.equal(again.body.stored, s.records, 'a failed commit stored none of its records');
  }
  const alerted = await alertIps(base);
  for (const s of sent) for (const ip of s.ips) assert.ok(alerted.has(ip), `alert for ${ip}`);
}

test('disk full: a commit that does not fit gets 507, never a 200; freed space, the service goes on; nothing acknowledged is lost', { timeout: 60_000 }, async (t) => {
  const why = cannotMount();
  if (why) return skipOrFail(t, why);
  const disk = mounts.tmpfs('8m');
  const dataDir = join(disk, 'data');
  let svc: Service | null = await serve(['--data-dir', dataDir]);
  try {
    const { sent, send } = pairSender(10, () => svc!);
    assert.equal((await send(0)).reply!.status, 200);
    // Leave the store a megabyte, then send until commits fail.
    const filler = join(disk, 'filler');
    fillLeaving(filler, 1024 * 1024);
    let failures = 0;
    for (let n = 1; n < 400 && failures < 5; n++) {
      const r = (await send(n)).reply!;
      if (r.status === 200) continue;
      failures++;
      assert.equal(r.status, 507, `a commit that does not fit: ${r.status} ${JSON.stringify(r.body)}`);
      assert.match(r.body.error ?? '', /disk holding the store is full.*nothing of this request was stored/, 'the reply says why');
      if (failures === 1) t.diagnostic(`body ${n}: ${r.status} ${r.body.error}`);
    }
    assert.ok(failures >= 5, `the disk filled up (${sent.length} bodies sent)`);
    const acked = sent.filter((s) => s.reply!.status === 200).length;
    t.diagnostic(`${acked} of ${sent.length} bodies acknowledged on the full disk`);
    assert.ok(acked >= 2, `${acked} bodies acknowledged before the disk was full`);
    assert.ok(running(svc.proc), 'the service keeps running while the disk is full');
    assert.match(svc.logs(), /disk holding the store is full/, 'and says why in its log');
    const notReady = await fetch(`${svc.base}/readyz`);
    assert.equal(notReady.status, 503, '/readyz: not ready while commits fail');
    assert.match(await notReady.text(), /disk holding the store is full/);
    // Reads go on meanwhile.
    const during = await alertIps(svc.base);
    for (const s of sent) if (s.reply!.status === 200) for (const ip of s.ips) assert.ok(during.has(ip), `alert for ${ip} while the disk is full`);

    // Space again: the next commit goes through, without a restart.
    unlinkSync(filler);
    const next = await send(1000);
    assert.equal(next.reply!.status, 200, JSON.stringify(next.reply!.body));
    assert.equal((await fetch(`${svc.base}/readyz`)).status, 200, 'ready again');
    await assertAcknowledgedKept(svc.base, sent, 'after the disk had room again');
    // A failed body was not stored in part: sent again, all of it is new.
    await assertRefusedStoredNothing(svc.base, sent);
    assert.equal((await status(svc.base)).state_events, sent.length * 40);

    assert.deepEqual(await stop(svc.proc), { code: 0, signal: null });
    svc = null;
    const store = checkStore(dataDir);
    assert.equal(store.quickCheck, 'ok');
    assert.deepEqual(store.mismatches, []);
    assert.equal(store.events, sent.length * 40);
    assert.equal(store.alerts, sent.length * 20);
    // And it starts again on it.
    svc = await serve(['--data-dir', dataDir]);
    assert.equal((await status(svc.base)).state_events, sent.length * 40);
  } finally {
    if (svc) await stop(svc.proc, 'SIGKILL');
    rmSync(join(disk, 'filler'), { force: true });
  }
});

test('read-only under the service: the kernel takes the store\'s ext4 read-only (errors=remount-ro); ingest gets 503, never a 200; after fsck and a restart nothing acknowledged is lost', { timeout: 60_000 }, async (t) => {
  // (A tmpfs cannot be remounted read-only under the service: the kernel refuses,
  // EBUSY, while a file is open for writing. A disk's file system goes read-only
  // under a running process when the kernel meets an error on it: ext4's
  // errors=remount-ro, made here with its trigger_fs_error switch.)
  const why = cannotLoopMount();
  if (why) return skipOrFail(t, why);
  const disk = mounts.ext4(32);
  const dataDir = join(disk.dir, 'data');
  let svc: Service | null = await serve(['--data-dir', dataDir]);
  try {
    const { sent, send } = pairSender(11, () => svc!);
    for (let n = 0; n < 5; n++) assert.equal((await send(n)).reply!.status, 200);
    writeFileSync(`/sys/fs/ext4/${disk.device()}/trigger_fs_error`, '1');
    for (let n = 5; n < 10; n++) {
      const r = (await send(n)).reply!;
      assert.equal(r.status, 503, `ingest on a read-only store: ${r.status} ${JSON.stringify(r.body)}`);
      assert.match(r.body.error ?? '', /is on a read-only file system\); nothing of this request was stored/, 'the reply says why');
      if (n === 5) t.diagnostic(`reply: 503 ${r.body.error}`);
    }
    assert.ok(running(svc.proc), 'the service keeps running');
    assert.match(svc.logs(), /read-only file system/, 'and says why in its log');
    const alerted = await alertIps(svc.base);
    for (const s of sent.slice(0, 5)) for (const ip of s.ips) assert.ok(alerted.has(ip), `alert for ${ip}, read while the store is read-only`);
    assert.equal((await fetch(`${svc.base}/readyz`)).status, 503, '/readyz: not ready');
    // Writable again without a restart, if the kernel lets it be remounted read-write;
    // else (the journal aborted) the administrator's way: stop, unmount, check, mount, start.
    const rw = mounts.remount(disk.dir, 'rw');
    if (!rw.ok || (await send(10)).reply!.status !== 200) {
      t.diagnostic(`mount -o remount,rw: ${rw.ok ? 'done, but the store still cannot be written' : rw.out.split('\n')[0]}; so stop, e2fsck, mount, start`);
      assert.deepEqual(await stop(svc.proc), { code: 0, signal: null }, 'SIGTERM stops the service on a read-only store');
      svc = null;
      mounts.umount(disk.dir);
      const fsck = run('e2fsck', ['-f', '-y', disk.image]);
      assert.ok(/FILE SYSTEM WAS MODIFIED|clean/.test(fsck.out), fsck.out);
      mounts.mountExt4(disk.image, disk.dir);
      svc = await serve(['--data-dir', dataDir]);
    }
    await assertAcknowledgedKept(svc.base, sent, 'after the read-only store was checked and the service restarted');
    await assertRefusedStoredNothing(svc.base, sent);
    assert.deepEqual(await stop(svc.proc), { code: 0, signal: null });
    svc = null;
    const store = checkStore(dataDir);
    assert.equal(store.quickCheck, 'ok');
    assert.deepEqual(store.mismatches, []);
    assert.equal(store.events, sent.length * 40);
  } finally {
    if (svc) await stop(svc.proc, 'SIGKILL');
  }
});

test('serve on a read-only data dir exits 1 with one line naming it, no stack trace; writable again, it starts on the same store', { timeout: 60_000 }, async (t) => {
  const why = cannotMount();
  if (why) return skipOrFail(t, why);
  const disk = mounts.tmpfs('8m');
  const dataDir = join(disk, 'data');
  // A store with something in it, then the file system read-only (the service stopped: nothing holds it open).
  let svc: Service | null = await serve(['--data-dir', dataDir]);
  const ips = Array.from({ length: 10 }, (_, i) => ipOf(12, i));
  try {
    assert.equal((await ingest(svc.base, pairsBody(ips, Date.now() - H))).status, 200);
  } finally {
    await stop(svc.proc);
    svc = null;
  }
  const ro = mounts.remount(disk, 'ro');
  assert.ok(ro.ok, ro.out);
  try {
    for (const dir of [dataDir, disk, join(disk, 'new', 'data')]) {
      const r = spawnSync(process.execPath, [BIN, 'serve', '--port', '0', '--token', TOKEN, '--data-dir', dir], { encoding: 'utf8', timeout: 20_000 });
      assert.equal(r.status, 1, `${dir}: exit ${r.status} ${r.signal ?? ''}: ${r.stderr}`);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `one line: ${r.stderr}`);
      assert.ok(lines[0]!.startsWith(`crosswatch serve: cannot open the store in ${dir}: `), lines[0]);
      assert.match(lines[0]!, /read-only file system/, lines[0]);
      if (dir === dataDir) t.diagnostic(lines[0]!);
    }
  } finally {
    assert.ok(mounts.remount(disk, 'rw').ok);
  }
  svc = await serve(['--data-dir', dataDir]);
  try {
    assert.deepEqual([...await alertIps(svc.base)].sort(), [...ips].sort());
    assert.equal((await status(svc.base)).state_events, 20);
  } finally {
    await stop(svc.proc);
  }
});

test('SIGKILL during eviction, again and again: the store opens, alerts are all there, the per-IP counts agree with the events, eviction and ingest go on', { timeout: 90_000 }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cw-fault-evict-'));
  // Per IP, events more than window (8 h) + lateness (1 h) behind its newest are evicted; eviction every 20 ms.
  const start = (): Promise<Service> => serve(['--data-dir', dataDir, '--allowed-lateness', '1h'], { ...process.env, CROSSWATCH_EVICT_INTERVAL_MS: '20' });
  let svc: Service | null = await start();
  const now = Date.now();
  const old = now - 3 * 24 * H;
  const PER_ROUND_IPS = 500;
  const PER_IP = 100;
  try {
    // Alerts three days back; their events will be evicted, the alerts stay.
    const alerted = Array.from({ length: 20 }, (_, i) => ipOf(13, i));
    assert.equal((await ingest(svc.base, pairsBody(alerted, old))).status, 200);
    let kept = 40; // events that stay after every eviction so far
    let mid = 0;
    const kills: string[] = [];
    for (let round = 0; round < 10 && (round < 4 || mid < 2); round++) {
      const ips = Array.from({ length: PER_ROUND_IPS }, (_, i) => ipOf(20 + round, i));
      // Many old events of fresh addresses: nothing to evict yet (each address's newest is among them).
      for (let k = 0; k < PER_IP; k += 10) {
        const lines: string[] = [];
        for (let j = k; j < k + 10; j++) for (const [i, ip] of ips.entries()) lines.push(shortSignin(ip, old + j * MIN + i, `r${round}-${i}-${j}`));
        const r = await ingest(svc.base, `${lines.join('\n')}\n`);
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.equal(r.body.stored, lines.length);
      }
      // One newer event per address: its old ones are now stale, and eviction starts on them within 20 ms.
      const newer = [...ips, ...(round === 0 ? alerted : [])];
      const beforeEviction = kept + ips.length * PER_IP + newer.length;
      const r = await ingest(svc.base, `${newer.map((ip, i) => shortSignin(ip, now - H + i, `new-${round}-${i}`)).join('\n')}\n`);
      assert.equal(r.status, 200);
      // Every other round the kill waits until the first deletions are committed (read from
      // the store beside the service); the others kill at a random moment.
      const t0 = Date.now();
      if (round % 2 === 0) {
        const db = new Database(join(dataDir, 'crosswatch.sqlite'), { readonly: true });
        try {
          const count = db.prepare('SELECT count(*) FROM events').pluck();
          assert.ok(await until(() => (count.get() as number) < beforeEviction, 10_000), 'eviction starts');
        } finally {
          db.close();
        }
        await sleep(Math.random() * 30);
      } else {
        await sleep(Math.random() * 300);
      }
      const delay = Date.now() - t0;
      await stop(svc.proc, 'SIGKILL');
      svc = null;
      const afterEviction = kept + newer.length - (round === 0 ? 40 : 0);
      const check = checkStore(dataDir);
      const where = check.events >= beforeEviction ? 'before eviction' : check.events <= afterEviction ? 'after eviction' : `mid-eviction (${beforeEviction - check.events} of ${beforeEviction - afterEviction} deleted)`;
      if (where.startsWith('mid')) mid++;
      kills.push(`${where}, ${delay} ms after the events became stale`);
      assert.deepEqual(check.mismatches.slice(0, 5), [], `killed ${where}: the ips table agrees with the events`);
      assert.equal(check.quickCheck, 'ok');
      kept = afterEviction;
      // Restarted, eviction finishes what the kill interrupted.
      svc = await start();
      const base = svc.base;
      assert.ok(await until(async () => (await status(base)).state_events === kept, 20_000), `eviction completes after the restart (${(await status(base)).state_events} events held, ${kept} expected)`);
    }
    t.diagnostic(`SIGKILL landed: ${kills.join('; ')}`);
    assert.ok(mid >= 1, `at least one SIGKILL landed mid-eviction (${kills.join('; ')})`);
    // The alerts stand, a new pair alerts, eviction goes on.
    const ips = await alertIps(svc.base);
    for (const ip of alerted) assert.ok(ips.has(ip), `alert for ${ip}`);
    const fresh = ipOf(13, 100);
    const r = await ingest(svc.base, pairsBody([fresh], now - H / 2));
    assert.equal(r.status, 200);
    assert.equal(r.body.alerts?.created, 1);
    const runs = await metric(svc.base, 'crosswatch_eviction_last_run_timestamp_seconds');
    const base = svc.base;
    assert.ok(await until(async () => (await metric(base, 'crosswatch_eviction_last_run_timestamp_seconds')) > runs, 5_000), 'eviction keeps running');
    assert.deepEqual(await stop(svc.proc), { code: 0, signal: null });
    svc = null;
    const check = checkStore(dataDir);
    assert.deepEqual(check.mismatches, []);
    assert.equal(check.events, kept + 2);
    assert.equal(check.alerts, alerted.length + 1);
  } finally {
    if (svc) await stop(svc.proc, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('SIGKILL during commits, again and again: every acknowledged record is there after each restart; a body in flight is stored whole or not at all', { timeout: 90_000 }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cw-fault-commit-'));
  let sync: 'full' | 'normal' = 'full';
  const start = (): Promise<Service> => serve(['--data-dir', dataDir, '--synchronous', sync]);
  let svc: Service | null = null;
  const all: Sent[] = [];
  let next = 0;
  const body = (): Sent => {
    const ips = Array.from({ length: 25 }, () => ipOf(40 + Math.floor(next / 250), next++ % 250));
    return { body: pairsBody(ips, Date.now() - H), ips, records: ips.length * 2 };
  };
  try {
    for (let round = 0; round < 4; round++) {
      sync = round % 2 === 0 ? 'full' : 'normal';
      svc = await start();
      const base = svc.base;
      const proc = svc.proc;
      // Six clients post bodies as fast as they are answered; the kill comes at a random moment.
      let killed = false;
      const roundSent: Sent[] = [];
      const client = async (): Promise<void> => {
        while (!killed) {
          const s = body();
          roundSent.push(s);
          try {
            const r = await ingest(base, s.body);
            if (!killed) s.reply = r; // (a reply read after the kill is not counted as one)
            if (r.status !== 200) assert.fail(`ingest: ${r.status} ${JSON.stringify(r.body)}`);
          } catch (err) {
            if (!killed) throw err;
            return;
          }
        }
      };
      const clients = Array.from({ length: 6 }, client);
      // The first answer, then the random moment: on a busy machine the first commit
      // can take longer than the whole random wait, and a kill before it tests nothing.
      await until(() => roundSent.some((s) => s.reply?.status === 200), 30_000);
      await sleep(200 + Math.random() * 600);
      killed = true;
      await stop(proc, 'SIGKILL');
      svc = null;
      await Promise.all(clients);
      all.push(...roundSent);
      const acked = roundSent.filter((s) => s.reply?.status === 200);
      t.diagnostic(`round ${round} (synchronous=${sync}): SIGKILL with ${acked.length} of ${roundSent.length} bodies answered`);
      assert.ok(acked.length > 0 && acked.length < roundSent.length, `round ${round}: killed mid-stream (${acked.length} of ${roundSent.length} answered)`);
      const check = checkStore(dataDir);
      assert.equal(check.quickCheck, 'ok');
      assert.deepEqual(check.mismatches.slice(0, 5), []);
      assert.ok(check.events >= acked.length * 50, `round ${round}: ${check.events} events stored, ${acked.length * 50} acknowledged`);
      svc = await start();
      await assertAcknowledgedKept(svc.base, acked, `round ${round} (synchronous=${sync}), restarted after SIGKILL`);
      await stop(svc.proc);
      svc = null;
    }
    // What was in flight at a kill: all of it stored, or none (then it is stored now).
    svc = await start();
    for (const s of all.filter((x) => x.reply?.status !== 200)) {
      const again = await ingest(svc.base, s.body);
      assert.equal(again.status, 200);
      assert.ok(again.body.stored === 0 || again.body.stored === s.records, `a body in flight at the kill was stored whole or not at all (${again.body.stored} of ${s.records} new)`);
    }
    const alerted = await alertIps(svc.base);
    for (const s of all) for (const ip of s.ips) assert.ok(alerted.has(ip), `alert for ${ip}`);
    assert.deepEqual(await stop(svc.proc), { code: 0, signal: null });
    svc = null;
    const check = checkStore(dataDir);
    assert.deepEqual(check.mismatches, []);
    assert.equal(check.events, all.length * 50);
    assert.equal(check.alerts, all.length * 25);
  } finally {
    if (svc) await stop(svc.proc, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('the clock jumps a year forward and back under the service (libfaketime): records sent before, during and after all alert, nothing acknowledged is lost, eviction deletes nothing current, the service keeps running and restarts', { timeout: 90_000 }, async (t) => {
  const lib = libfaketime();
  if (!lib) return skipOrFail(t, 'libfaketime is not installed (Debian package faketime)');
  const dir = mkdtempSync(join(tmpdir(), 'cw-fault-clock-'));
  const dataDir = join(dir, 'data');
  const clockFile = join(dir, 'faketime');
  const DAY = 24 * H;
  // The service's wall clock is real time plus the offset in clockFile, read at every
  // call (FAKETIME_NO_CACHE); its monotonic clock (timers) stays true, as it does when
  // a system clock is stepped.
  const env = {
    ...process.env, LD_PRELOAD: lib, FAKETIME_TIMESTAMP_FILE: clockFile, FAKETIME_NO_CACHE: '1', FAKETIME_DONT_FAKE_MONOTONIC: '1', NO_FAKE_STAT: '1',
    CROSSWATCH_EVICT_INTERVAL_MS: '200',
  };
  /** The service's clock minus the real one (ms), from its replies' Date header. */
  const offset = async (base: string): Promise<number> => Date.parse((await fetch(`${base}/healthz`)).headers.get('date') ?? '') - Date.now();
  const setClock = async (base: string, text: string, ms: number): Promise<void> => {
    writeFileSync(clockFile, `${text}\n`);
    assert.ok(await until(async () => Math.abs((await offset(base)) - ms) < 5 * MIN, 5_000), `the service's clock is ${text} (libfaketime took effect): ${await offset(base)} ms`);
  };
  /** Waits for two more eviction runs (whatever the clock says, the run's stamp changes). */
  const evictionRuns = async (base: string): Promise<void> => {
    for (let i = 0; i < 2; i++) {
      const last = await metric(base, 'crosswatch_eviction_last_run_timestamp_seconds');
      assert.ok(await until(async () => (await metric(base, 'crosswatch_eviction_last_run_timestamp_seconds')) !== last, 5_000), 'eviction runs');
    }
  };
  const held = async (base: string): Promise<number> => {
    const s = await status(base);
    return s.state_events + (s.quarantine?.events ?? 0);
  };
  writeFileSync(clockFile, '+0\n');
  let svc: Service | null = await serve(['--data-dir', dataDir], env);
  try {
    const now = Date.now();
    const ip = (i: number): string => ipOf(50, i);
    const send = async (body: string): Promise<Reply> => {
      const r = await ingest(svc!.base, body);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r;
    };
    await setClock(svc.base, '+0', 0);
    // Before: a pair, and a hundred sign-ins of the last hours.
    assert.equal((await send(pairsBody([ip(0)], now - H))).body.alerts?.created, 1);
    await send(`${Array.from({ length: 100 }, (_, i) => shortSignin(ipOf(51, i), now - 2 * H + i * 1000, `cur-${i}`)).join('\n')}\n`);
    let events = 102;

    // A year and more ahead: records sent at real time alert as ever; eviction, which
    // goes by event time, deletes none of them.
    await setClock(svc.base, '+400d', 400 * DAY);
    assert.equal((await send(pairsBody([ip(1)], now - H / 2))).body.alerts?.created, 1);
    await send(`${alertLine(ip(2), iso(now - 40 * MIN))}\n`);
    events += 3;
    await evictionRuns(svc.base);
    assert.equal((await status(svc.base)).state_events, events, 'nothing evicted by the jump forward');

    // 400 days behind: records at real time are now "from the future" to the service:
    // accepted, held (in quarantine, or stored), none lost; a restart under this clock too.
    await setClock(svc.base, '-400d', -400 * DAY);
    let r = await send(`${signinLine(ip(2), iso(now - 30 * MIN))}\n`);
    assert.deepEqual([r.body.stored, r.body.quarantined], [0, 1], 'quarantined until the clock reaches it');
    r = await send(pairsBody([ip(3)], now - 20 * MIN));
    assert.deepEqual([r.body.stored, r.body.quarantined], [0, 2]);
    events += 3;
    await evictionRuns(svc.base);
    assert.equal(await held(svc.base), events, 'nothing evicted or lost while the clock is behind');
    assert.deepEqual(await stop(svc.proc), { code: 0, signal: null });
    svc = await serve(['--data-dir', dataDir], env);
    assert.equal(await held(svc.base), events, 'restarted under the clock 400 days behind: all there');
    for (const i of [0, 1]) assert.ok((await alertIps(svc.base)).has(ip(i)));

    // The clock right again: what waited is released and alerts; a new pair alerts.
    await setClock(svc.base, '+0', 0);
    const base = svc.base;
    assert.ok(await until(async () => {
      const a = await alertIps(base);
      return a.has(ip(2)) && a.has(ip(3));
    }, 10_000), 'the pairs sent while the clock was behind alert once it is right');
    assert.equal((await send(pairsBody([ip(4)], now))).body.alerts?.created, 1);
    events += 2;
    await evictionRuns(svc.base);
    const s = await status(svc.base);
    assert.equal(s.state_events, events, 'every event held, none evicted');
    assert.equal(s.quarantine?.events ?? 0, 0);
    assert.deepEqual([...await alertIps(svc.base)].sort(), [0, 1, 2, 3, 4].map(ip).sort());
    assert.ok(running(svc.proc), 'the service ran through every jump');
    assert.deepEqual(await stop(svc.proc), { code: 0, signal: null });
    svc = null;

    // A restart on the true clock (no libfaketime): the same.
    svc = await serve(['--data-dir', dataDir]);
    assert.equal((await status(svc.base)).state_events, events);
    assert.deepEqual([...await alertIps(svc.base)].sort(), [0, 1, 2, 3, 4].map(ip).sort());
    assert.deepEqual(await stop(svc.proc), { code: 0, signal: null });
    svc = null;
    const check = checkStore(dataDir);
    assert.deepEqual(check.mismatches, []);
    assert.equal(check.events, events);
  } finally {
    if (svc) await stop(svc.proc, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SIGTERM with requests in flight on keep-alive connections, and with an upload stalled half-way: the service drains and exits 0 (it waited 72 s on a kept-alive connection); every answered record is stored', { timeout: 60_000 }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cw-fault-term-'));
  let svc: Service | null = null;
  try {
    for (let round = 0; round < 3; round++) {
      svc = await serve(['--data-dir', dataDir]);
      const { base, proc } = svc;
      const sent: Sent[] = [];
      let stopping = false;
      // fetch keeps its connections alive between requests, as shippers do.
      const client = async (c: number): Promise<void> => {
        for (let n = 0; !stopping || n < 1; n++) {
          const ips = Array.from({ length: 10 }, (_, i) => ipOf(70 + round, (c * 1000 + n * 10 + i) % 25_000));
          const s: Sent = { body: pairsBody(ips, Date.now() - H), ips, records: 20 };
          sent.push(s);
          try {
            s.reply = await ingest(base, s.body);
          } catch {
            return; // the connection closed under it: not acknowledged
          }
          if (s.reply.status !== 200) return; // 503 while closing
        }
      };
      const clients = Array.from({ length: 4 }, (_, c) => client(c));
      await sleep(100 + Math.random() * 300);
      stopping = true;
      const t0 = Date.now();
      const exit = await stop(proc, 'SIGTERM', 8_000);
      const ms = Date.now() - t0;
      assert.deepEqual(exit, { code: 0, signal: null }, 'exits 0');
      await Promise.all(clients);
      const acked = sent.filter((s) => s.reply?.status === 200);
      t.diagnostic(`round ${round}: exit 0 ${ms} ms after SIGTERM, ${acked.length} of ${sent.length} bodies answered 200`);
      svc = null;
      const check = checkStore(dataDir);
      assert.deepEqual(check.mismatches, []);
      svc = await serve(['--data-dir', dataDir]);
      await assertAcknowledgedKept(svc.base, acked, `round ${round}: after SIGTERM`);
      await stop(svc.proc);
      svc = null;
    }
    // A client that sends half a body and stops: after 10 s of draining the service closes it and exits.
    svc = await serve(['--data-dir', dataDir]);
    const port = Number(new URL(svc.base).port);
    const sock = connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => sock.once('connect', () => resolve()));
    sock.on('error', () => undefined);
    sock.write(`POST /api/v1/ingest HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${TOKEN}\r\ncontent-length: 100000\r\n\r\n${'x'.repeat(1000)}`);
    await sleep(200);
    const t0 = Date.now();
    const exit = await stop(svc.proc, 'SIGTERM', 20_000);
    const ms = Date.now() - t0;
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.ok(ms >= 9_000 && ms < 15_000, `exit ${ms} ms after SIGTERM`);
    assert.match(svc.logs(), /still draining after 10 s; closing the connections left/);
    t.diagnostic(`stalled upload: exit 0 ${ms} ms after SIGTERM`);
    sock.destroy();
    svc = null;
  } finally {
    if (svc) await stop(svc.proc, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
});

// The outbox's bookkeeping write failing with SQLITE_FULL used to be an unhandled
// rejection: exit 1 with a stack trace.
test('disk full with an alert sink: the service keeps running', { timeout: 60_000 }, async (t) => {
  const why = cannotMount();
  if (why) return skipOrFail(t, why);
  const disk = mounts.tmpfs('8m');
  const out = mkdtempSync(join(tmpdir(), 'cw-fault-sink-'));
  let svc: Service | null = await serve(['--data-dir', join(disk, 'data'), '--alerts-file', join(out, 'alerts.ndjson')]);
  try {
    assert.equal((await ingest(svc.base, pairsBody([ipOf(14, 0)], Date.now() - H))).status, 200);
    const acknowledged = [ipOf(14, 0)];
    fillLeaving(join(disk, 'filler'), 300 * 1024);
    let refused = 0;
    for (let n = 1; n < 40 && running(svc.proc); n++) {
      const ips = Array.from({ length: 20 }, (_, i) => ipOf(14, n * 20 + i));
      const r = await ingest(svc.base, pairsBody(ips, Date.now() - H)).catch(() => null);
      if (r?.status === 200) acknowledged.push(...ips);
      else refused++;
      await sleep(50);
    }
    await sleep(1_000);
    assert.ok(running(svc.proc), `the service exited ${svc.proc.exitCode}: ${svc.logs().split('\n').filter((l) => !l.startsWith('{')).slice(-6).join(' | ')}`);
    assert.ok(refused > 0, 'the disk did fill');
    // Space again: every acknowledged alert reaches the sink (at least once), without a restart.
    rmSync(join(disk, 'filler'));
    const delivered = (): Set<string> => new Set(readFileSync(join(out, 'alerts.ndjson'), 'utf8').split('\n').filter(Boolean)
      .map((l) => (JSON.parse(l) as { alert: { source: { ip: string } } }).alert.source.ip));
    assert.ok(await until(() => acknowledged.every((ip) => delivered().has(ip)), 20_000),
      `${acknowledged.filter((ip) => !delivered().has(ip)).length} of ${acknowledged.length} acknowledged alerts never reached the sink`);
    t.diagnostic(`alert sink, disk full: ${acknowledged.length} addresses acknowledged, ${refused} bodies refused, every acknowledged alert delivered once space was back`);
  } finally {
    if (svc) await stop(svc.proc, 'SIGKILL');
    svc = null;
    rmSync(out, { recursive: true, force: true });
  }
});

test('disk full under hunt --out: the hunt says which file could not be written and why, and fails; a file with room is written whole', { timeout: 60_000 }, async (t) => {
  const why = cannotMount();
  if (why) return skipOrFail(t, why);
  const disk = mounts.tmpfs('4m');
  // Alerts: a sign-in after each of 60 network alerts, ~3 KB of alert document each.
  const logs = mkdtempSync(join(tmpdir(), 'cw-out-full-'));
  const at = Date.UTC(2026, 2, 2, 8);
  writeFileSync(join(logs, 'eve.json'), Array.from({ length: 60 }, (_, i) => alertLine(`81.2.3.${i + 1}`, iso(at + i * MIN))).join('\n') + '\n');
  writeFileSync(join(logs, 'signins.json'), Array.from({ length: 60 }, (_, i) => signinLine(`81.2.3.${i + 1}`, iso(at + i * MIN + 30 * MIN))).join('\n') + '\n');
  const hunt = (out: string) => spawnSync(process.execPath, [BIN, 'hunt', logs, '--quiet', '--no-progress', '--format', 'ndjson', '--out', out], { encoding: 'utf8' });

  const roomy = join(disk, 'alerts.ndjson');
  const ok = hunt(roomy);
  assert.equal(ok.status, 0, ok.stderr);
  const lines = readFileSync(roomy, 'utf8').split('\n');
  assert.equal(lines.pop(), '', 'the last line ends');
  assert.equal(lines.length, 60);
  for (const l of lines) assert.equal((JSON.parse(l) as { rule: { id: string } }).rule.id, 'cw-entra-signin-after-network-alert');
  const whole = lines.join('\n').length;
  unlinkSync(roomy);

  // Room for a few alerts, not all of them.
  fillLeaving(join(disk, 'filler'), 16 * 1024);
  const full = hunt(join(disk, 'cramped.ndjson'));
  assert.ok(whole > 64 * 1024, `more alerts than room (${whole} bytes)`);
  assert.notEqual(full.status, 0, 'a hunt whose alerts could not all be written fails');
  assert.match(full.stderr, /--out .*cramped\.ndjson: cannot write: no space left on device/);
  assert.doesNotMatch(full.stderr, /\n\s+at /, 'a message, not a stack trace');
});
