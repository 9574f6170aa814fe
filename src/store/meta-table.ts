// The meta table: the store's own settings and positions, by key — the schema
// version, the retention horizon (evicted_before_ms), the stream's watermark,
// and the tailer's file offsets (inputs/tail.ts stores them through the store).
import type { Statements } from './statements.js';

export class MetaTable {
  constructor(private readonly s: Statements) {}

  getMeta(key: string): string | undefined {
    return (this.s.st('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  setMeta(key: string, value: string): void {
    this.s.st('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }
}
