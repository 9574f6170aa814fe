// Nothing acknowledged is lost on SIGKILL, with requests in flight (with
// synchronous=full, the default, and with synchronous=normal): several
// clients post at once (bodies decoded on ingest workers, committed in groups),
// the server is killed without warning in the middle, and after a restart every
// record of every request that had been answered is already there — sending
// those requests again stores nothing new. Then the rest is sent, and the
// alerts are exactly the ground truth.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatedLines } from './scenario-lines.js';
import { startServe } from './serve-process.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TOKEN = 'test-token-durability-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

type Reply = { accepted: number; stored: number; duplicates: number };

for (const synchronous of ['full', 'normal'] as const) test(`serve (synchronous=${synchronous}): SIGKILL with requests in flight loses no acknowledged record`, { timeout: 180_000 }, async () => {
  if (!existsSync(join(ROOT, 'dist', 'cli', 'serve.js'))) {
    const b = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(b.status, 0, b.stderr);
  }
  const { lines, truthPath } = await generatedLines(mkdtempSync(join(tmpdir(), 'cw-dur-gen-')), 5000, 21);
  const chunks: string[] = [];
  for (let i = 0; i < lines.length; i += 80) chunks.push(lines.slice(i, i + 80).join('\n') + '\n');
  const dataDir = mkdtempSync(join(tmpdir(), 'cw-dur-data-'));
  const config = join(dataDir, '..', `${basename(dataDir)}.yaml`);
  writeFileSync(config, `serve:\n  synchronous: ${synchronous}\n`);
  const start = (): ReturnType<typeof startServe> => startServe(['--data-dir', dataDir, '--token', TOKEN, '--config', config]);
  let served = await start();
  const post = async (base: string, body: string): Promise<Reply> => {
    const r = await fetch(`${base}/api/v1/ingest`, { method: 'POST', headers: { ...auth, 'content-type': 'application/x-ndjson' }, body });
    assert.equal(r.status, 200);
    return (await r.json()) as Reply;
  };

  // Four clients; the kill comes once a third of the requests are answered, others still in flight.
  const acked = new Map<number, Reply>();
  let next = 0;
  let killed = false;
  const killAt = Math.floor(chunks.length / 3);
  const { base } = served;
  const client = async (): Promise<void> => {
    while (!killed && next < chunks.length) {
      const i = next++;
      try {
        const r = await post(base, chunks[i]!);
        if (!killed) acked.set(i, r);
      } catch {
        return; // the server is gone
      }
      if (acked.size >= killAt && !killed) {
        killed = true;
        served.proc.kill('SIGKILL');
      }
    }
  };
  await Promise.all([client(), client(), client(), client()]);
  await new Promise((r) => (served.proc.exitCode !== null || served.proc.signalCode !== null ? r(null) : served.proc.once('exit', r)));
  assert.ok(acked.size >= killAt && acked.size < chunks.length, `killed mid-way (${acked.size} of ${chunks.length} answered)`);

  served = await start();
  try {
    let storedBefore = 0;
    for (const [i, first] of acked) {
      const again = await post(served.base, chunks[i]!);
      assert.equal(again.stored, 0, `request ${i}: everything it stored is still there`);
      assert.equal(again.duplicates, first.stored + first.duplicates);
      storedBefore += first.stored;
    }
    assert.ok(storedBefore > 0);
    // The rest (and what was in flight): afterwards, exactly the ground truth.
    for (let i = 0; i < chunks.length; i++) if (!acked.has(i)) await post(served.base, chunks[i]!);
    const alerts: Array<{ rule: { id: string }; source: { ip: string } }> = [];
    let cursor: string | null = null;
    do {
      const page = (await (await fetch(`${served.base}/api/v1/alerts?limit=1000${cursor ? `&cursor=${cursor}` : ''}`, { headers: auth })).json()) as { alerts: typeof alerts; next: string | null };
      alerts.push(...page.alerts);
      cursor = page.next;
    } while (cursor);
    const truth = JSON.parse(readFileSync(truthPath, 'utf8')) as { pairs: Array<{ rule: string; ip: string }> };
    assert.deepEqual([...new Set(alerts.map((a) => `${a.rule.id} ${a.source.ip}`))].sort(), truth.pairs.map((p) => `${p.rule} ${p.ip}`).sort());
  } finally {
    served.proc.kill('SIGTERM');
    await new Promise((r) => served.proc.once('exit', r));
  }
});
