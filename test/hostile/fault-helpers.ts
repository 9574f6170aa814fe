// Helpers for the fault tests (faults.test.ts): file systems mounted for the
// store (a small tmpfs that fills up, an ext4 image that goes read-only), the
// real service with its logs kept, ingest bodies whose records are known, and
// the store read directly with better-sqlite3 once the service is stopped.
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, ftruncateSync, fstatSync, mkdtempSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { TestContext } from 'node:test';
import Database from 'better-sqlite3';
import { alertLine, signinLine } from '../scenario-lines.js';
import { startServe, type Served } from '../serve-process.js';

export const TOKEN = 'fault-tests-token-0123456789abcdefghijkl';
export const auth = { authorization: `Bearer ${TOKEN}` };
export const MIN = 60_000;
export const H = 3_600_000;
export const iso = (ms: number): string => new Date(ms).toISOString();
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A fault test that cannot run here is skipped with its reason; with CROSSWATCH_REQUIRE_FAULTS=1 (CI) it fails instead. */
export function skipOrFail(t: TestContext, reason: string): void {
  if (process.env.CROSSWATCH_REQUIRE_FAULTS === '1') assert.fail(`${reason} (CROSSWATCH_REQUIRE_FAULTS=1: the fault tests must run)`);
  t.skip(reason);
}

/** Runs a command; its output (stdout, stderr) in one string. */
/**
 * Fills the file system holding `dir` with the file `path` until about `leave`
 * bytes are free. The service writes to the same disk meanwhile (its WAL, the
 * sink's outbox), so the free space read once can shrink before the filler is
 * written: the filler grows in pieces, and if the disk fills first it is cut
 * back to leave the margin.
 */
export function fillLeaving(path: string, leave: number): void {
  const piece = Buffer.alloc(256 * 1024);
  const fd = openSync(path, 'w');
  try {
    for (;;) {
      const fs = statfsSync(path);
      const room = fs.bavail * fs.bsize - leave;
      if (room <= 0) break;
      try {
        writeSync(fd, piece, 0, Math.min(piece.length, room));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
        ftruncateSync(fd, Math.max(0, fstatSync(fd).size - leave));
        break;
      }
    }
  } finally {
    closeSync(fd);
  }
}

export function run(cmd: string, args: string[]): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000 });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? r.error.message : ''}`.trim() };
}

function must(cmd: string, args: string[]): string {
  const r = run(cmd, args);
  assert.ok(r.ok, `${cmd} ${args.join(' ')}: ${r.out}`);
  return r.out;
}

let mountProbe: string | null | undefined;
/** Why file systems cannot be mounted here, or null when they can (root, and a tmpfs mounts). */
export function cannotMount(): string | null {
  if (mountProbe !== undefined) return mountProbe;
  if (process.getuid?.() !== 0) return (mountProbe = 'mounting file systems needs root');
  const dir = mkdtempSync(join(tmpdir(), 'cw-mount-probe-'));
  const m = run('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir]);
  if (m.ok) run('umount', [dir]);
  rmSync(dir, { recursive: true, force: true });
  return (mountProbe = m.ok ? null : `cannot mount a tmpfs: ${m.out}`);
}

/** Why an ext4 image cannot be loop-mounted here, or null when it can. */
export function cannotLoopMount(): string | null {
  const m = cannotMount();
  if (m) return m;
  for (const tool of ['mkfs.ext4', 'e2fsck', 'losetup']) {
    if (!run('sh', ['-c', `command -v ${tool} || test -x /sbin/${tool} || test -x /usr/sbin/${tool}`]).ok) return `${tool} is not installed (e2fsprogs, mount)`;
  }
  if (!existsSync('/dev/loop-control')) return 'no loop devices (/dev/loop-control)';
  return null;
}

/**
 * The file systems a test mounted; cleanup() unmounts whatever is left (lazily if
 * something still holds it), so a failing test leaves no mount behind.
 */
export class Mounts {
  private readonly dirs: string[] = [];

  /** A tmpfs of `size` (e.g. "8m") on a new folder. */
  tmpfs(size: string, opts = ''): string {
    const dir = mkdtempSync(join(tmpdir(), 'cw-fault-tmpfs-'));
    must('mount', ['-t', 'tmpfs', '-o', `size=${size}${opts ? `,${opts}` : ''}`, 'tmpfs', dir]);
    this.dirs.push(dir);
    return dir;
  }

  /**
   * A new ext4 image of `mb` MB loop-mounted with errors=remount-ro (what a
   * server's data disk uses): writeReadOnly() makes the kernel take it read-only
   * under the running service, as after an I/O error.
   */
  ext4(mb: number): { dir: string; image: string; device: () => string } {
    const dir = mkdtempSync(join(tmpdir(), 'cw-fault-ext4-'));
    const image = join(tmpdir(), `${basename(dir)}.img`);
    must('truncate', ['-s', `${mb}M`, image]);
    must('mkfs.ext4', ['-q', '-F', image]);
    this.mountExt4(image, dir);
    return { dir, image, device: () => basename(must('findmnt', ['-n', '-o', 'SOURCE', dir]).trim()) };
  }

  mountExt4(image: string, dir: string): void {
    must('mount', ['-o', 'loop,errors=remount-ro', image, dir]);
    if (!this.dirs.includes(dir)) this.dirs.push(dir);
  }

  remount(dir: string, mode: 'ro' | 'rw'): { ok: boolean; out: string } {
    return run('mount', ['-o', `remount,${mode}`, dir]);
  }

  umount(dir: string): void {
    must('umount', [dir]);
    this.dirs.splice(this.dirs.indexOf(dir), 1);
  }

  cleanup(): void {
    for (const dir of this.dirs.splice(0).reverse()) {
      if (!run('umount', [dir]).ok) run('umount', ['-l', dir]);
      rmSync(dir, { recursive: true, force: true });
      rmSync(`${dir}.img`, { force: true });
    }
  }
}

/** The service, and what it has written to stderr since it started listening (its last 256 KB). */
export interface Service extends Served {
  logs(): string;
}

export async function serve(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Service> {
  const served = await startServe(['--token', TOKEN, ...args], env);
  let logs = '';
  served.proc.stderr!.on('data', (c: Buffer) => {
    logs = (logs + c.toString()).slice(-256 * 1024);
  });
  return { ...served, logs: () => logs };
}

export function running(proc: ChildProcess): boolean {
  return proc.exitCode === null && proc.signalCode === null;
}

/** Sends `signal` and waits for the exit (SIGKILL and a failure after `ms`). */
export async function stop(proc: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', ms = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (!running(proc)) resolve({ code: proc.exitCode, signal: proc.signalCode });
    else proc.once('exit', (code, sig) => resolve({ code, signal: sig }));
  });
  if (running(proc)) proc.kill(signal);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
  });
  const r = await Promise.race([exited, late]);
  clearTimeout(timer);
  if (r) return r;
  proc.kill('SIGKILL');
  await exited;
  assert.fail(`the service did not exit within ${ms} ms of ${signal}`);
}

export interface Reply {
  status: number;
  body: { error?: string; accepted?: number; stored?: number; duplicates?: number; quarantined?: number; alerts?: { created: number } } & Record<string, unknown>;
}

/** POST /api/v1/ingest; a reply must come within `ms` (a hang fails). */
export async function ingest(base: string, body: string, ms = 20_000): Promise<Reply> {
  const r = await fetch(`${base}/api/v1/ingest`, {
    method: 'POST', headers: { ...auth, 'content-type': 'application/x-ndjson' }, body, signal: AbortSignal.timeout(ms),
  });
  const text = await r.text();
  let json: Reply['body'];
  try {
    json = JSON.parse(text) as Reply['body'];
  } catch {
    json = { error: text };
  }
  return { status: r.status, body: json };
}

export async function getJson<T>(base: string, path: string): Promise<T> {
  const r = await fetch(`${base}${path}`, { headers: auth, signal: AbortSignal.timeout(20_000) });
  assert.equal(r.status, 200, `GET ${path}: ${r.status}`);
  return (await r.json()) as T;
}

export interface Status {
  state_events: number;
  watermark_lag_s: number | null;
  quarantine?: { events: number };
}

export const status = (base: string): Promise<Status> => getJson<Status>(base, '/api/v1/status');

export async function metric(base: string, name: string): Promise<number> {
  const r = await fetch(`${base}/metrics`, { headers: auth, signal: AbortSignal.timeout(20_000) });
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(await r.text());
  return m ? Number(m[1]) : NaN;
}

/** Polls `probe` until it is true (every 50 ms, `ms` at most); false if it never was. */
export async function until(probe: () => Promise<boolean> | boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() > end) return false;
    await sleep(50);
  }
}

/** The i-th address of a block: 81.<block>.x.y (public, one per pair). */
export function ipOf(block: number, i: number): string {
  return `81.${block}.${Math.floor(i / 250)}.${1 + (i % 250)}`;
}

/**
 * A body of network alert + sign-in pairs, one pair per address (the sign-in ten
 * minutes after the alert, at `atMs`): each address alerts once.
 */
export function pairsBody(ips: string[], atMs: number): string {
  return ips.map((ip) => `${alertLine(ip, iso(atMs - 10 * MIN))}\n${signinLine(ip, iso(atMs))}\n`).join('');
}

/** A short successful Entra sign-in record (~250 bytes): stored, alerting on nothing without a network alert. */
export function shortSignin(ip: string, ms: number, id: string): string {
  return JSON.stringify({
    time: iso(ms), category: 'SignInLogs', operationName: 'Sign-in activity',
    properties: { id, createdDateTime: iso(ms), userPrincipalName: 'adele.vance@contoso.com', ipAddress: ip, status: { errorCode: 0 } },
  });
}

/** Every (non-withdrawn) alert's address. */
export async function alertIps(base: string): Promise<Set<string>> {
  const out = new Set<string>();
  let cursor: string | null = null;
  do {
    const page: { alerts: Array<{ source: { ip: string } }>; next: string | null } = await getJson(base, `/api/v1/alerts?limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
    for (const a of page.alerts) out.add(a.source.ip);
    cursor = page.next;
  } while (cursor);
  return out;
}

export interface StoreCheck {
  events: number;
  alerts: number;
  /** What does not agree: per address, the ips table's count or span against the events. */
  mismatches: string[];
  quickCheck: string;
}

/** The stopped service's store, read directly: its counts, and whether the per-IP table agrees with the events. */
export function checkStore(dataDir: string): StoreCheck {
  const db = new Database(join(dataDir, 'crosswatch.sqlite'), { readonly: true, fileMustExist: true });
  try {
    const byIp = new Map<string, { c: number; lo: number; hi: number }>();
    for (const r of db.prepare('SELECT ip, count(*) AS c, min(at_ms) AS lo, max(at_ms) AS hi FROM events GROUP BY ip').all() as Array<{ ip: string; c: number; lo: number; hi: number }>) {
      byIp.set(r.ip, r);
    }
    const mismatches: string[] = [];
    const listed = new Set<string>();
    for (const r of db.prepare('SELECT ip, n, min_ms, max_ms FROM ips').all() as Array<{ ip: string; n: number; min_ms: number; max_ms: number }>) {
      listed.add(r.ip);
      const e = byIp.get(r.ip);
      if ((e?.c ?? 0) !== r.n) mismatches.push(`${r.ip}: ips.n ${r.n}, events ${e?.c ?? 0}`);
      else if (e && (r.min_ms > e.lo || r.max_ms < e.hi)) mismatches.push(`${r.ip}: ips span ${r.min_ms}..${r.max_ms} narrower than its events ${e.lo}..${e.hi}`);
    }
    for (const [ip, e] of byIp) if (!listed.has(ip)) mismatches.push(`${ip}: ${e.c} events, not in ips`);
    return {
      events: (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n,
      alerts: (db.prepare("SELECT count(*) AS n FROM alerts WHERE status != 'withdrawn'").get() as { n: number }).n,
      mismatches,
      quickCheck: String(db.pragma('quick_check', { simple: true })),
    };
  } finally {
    db.close();
  }
}

/** The libfaketime library, where Debian's package puts it, or null. */
export function libfaketime(): string | null {
  for (const arch of ['x86_64-linux-gnu', 'aarch64-linux-gnu']) {
    for (const p of [`/usr/lib/${arch}/faketime/libfaketime.so.1`, `/usr/lib/${arch}/faketimeMT/libfaketimeMT.so.1`]) if (existsSync(p)) return p;
  }
  return null;
}
