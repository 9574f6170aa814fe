// `crosswatch generate` and `crosswatch demo`: sample data with known answers.
import { colourFor } from './terminal.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from '../generate/generator.js';
import type { Mix } from '../generate/generator.js';
import { ConfigError } from '../detect/config.js';
import { runHunt } from './hunt.js';
import { loadSettings } from './options.js';
import type { Io } from './io.js';

function count(key: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(key, `expected a whole number, got ${JSON.stringify(v)}`);
  return n;
}

export async function generateCommand(flags: { out: string; events: string; seed: string; mix?: Mix }, io: Io): Promise<number> {
  const res = await generate({ outDir: flags.out, events: count('--events', flags.events), seed: count('--seed', flags.seed), mix: flags.mix ?? 'mixed' });
  for (const f of res.files) io.stderr.write(`  ${f.path} (${f.format}, ${f.records} records)\n`);
  io.stderr.write(`crosswatch generate: ${res.records} records in ${res.files.length} files; ground truth (${res.pairs.length} alerts) in ${res.truthPath}\n`);
  io.stderr.write(`hunt them with: crosswatch hunt ${res.logsDir}\n`);
  return 0;
}

export async function demoCommand(
  flags: { events: string; seed: string; keep?: string; format?: 'ndjson' | 'table' },
  io: Io,
): Promise<number> {
  const dir = flags.keep ?? (await mkdtemp(join(tmpdir(), 'crosswatch-demo-')));
  try {
    const gen = await generate({ outDir: dir, events: count('--events', flags.events), seed: count('--seed', flags.seed) });
    io.stderr.write(`crosswatch demo: generated ${gen.records} records with ${gen.pairs.length} planted attacks in ${dir}\n\n`);
    // As hunt: a table on a terminal, NDJSON when piped, unless --format says.
    const result = await runHunt([gen.logsDir], flags.format ? { format: flags.format } : {}, io, loadSettings({}));
    const found = new Set(result.alerts.map((a) => `${a.rule.id} ${a.source.ip}`));
    const expected = new Set(gen.pairs.map((p) => `${p.rule} ${p.ip}`));
    const missed = [...expected].filter((k) => !found.has(k));
    const extra = [...found].filter((k) => !expected.has(k));
    const exact = missed.length === 0 && extra.length === 0;
    io.stderr.write(
      `\n${colourFor(io.stderr)(exact ? 'green' : 'red', `ground truth: ${expected.size} expected, ${found.size} found, ${missed.length} missed, ${extra.length} unexpected`)}\n`,
    );
    return exact ? 0 : 1;
  } finally {
    if (!flags.keep) await rm(dir, { recursive: true, force: true });
  }
}
