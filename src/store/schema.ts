// The store's schema (every table and index, DDL as written on open) and the
// migration of stores an older version wrote; SqliteStore's constructor runs it.
import type Database from 'better-sqlite3';
import type { EventsTable } from './events-table.js';
import type { MetaTable } from './meta-table.js';

/** The store's schema version (meta key schema_version); older stores are migrated on open. */
export const SCHEMA_VERSION = '4';

/** Creates what is missing of the schema, and migrates an older store. */
export function openSchema(db: Database.Database, meta: MetaTable, events: EventsTable): void {
  // The schema, and the migration of an older store, in one transaction.
  db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    const version = meta.getMeta('schema_version');
    const hadEvents = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'").get() !== undefined;
    // Older events tables are copied into the current one: version 1 (events unique by
    // key alone, no ips table), 2 (indexed by IP alone), 3 (unique by time and key text).
    const migrating = hadEvents && version !== SCHEMA_VERSION;
    if (migrating) {
      // Its indexes keep their names through the rename: dropped, so the new table gets its own.
      db.exec(`ALTER TABLE events RENAME TO events_old; DROP INDEX IF EXISTS events_ip; DROP INDEX IF EXISTS events_at;
          DROP INDEX IF EXISTS events_alerts; DROP INDEX IF EXISTS events_key; DROP INDEX IF EXISTS events_hour_ip;`);
    }
    // A record is stored once per (time, key): the unique index (of the key's hash,
    // see recordKeyHash) leads with the time, so a commit's new entries land together
    // (a random key alone would spread every commit over the whole index). The same
    // record delivered again has the same time and key; copies of one id with
    // different times are both kept, and the correlator counts an id once per IP.
    // (The DDL is indented as first written: SQLite keeps its text in sqlite_master.)
    db.exec(`
        CREATE TABLE IF NOT EXISTS events (
          seq INTEGER PRIMARY KEY,
          record_key TEXT NOT NULL,
          key_hash INTEGER NOT NULL,
          ip TEXT NOT NULL,
          role TEXT NOT NULL,
          at_ms INTEGER NOT NULL,
          at_ns INTEGER NOT NULL,
          doc TEXT NOT NULL
        );
        CREATE UNIQUE INDEX IF NOT EXISTS events_key_hash ON events (at_ms, key_hash);
        -- By IP under the hour (HOUR_MS); the expression must be written the same in queries.
        CREATE INDEX IF NOT EXISTS events_hour_ip ON events (at_ms / 3600000, ip, at_ms);
        -- The network alerts (few among the events), for loading their times at start.
        CREATE INDEX IF NOT EXISTS events_alerts ON events (ip, at_ms) WHERE role = 'network_alert';
        -- Per IP: its stored events' count and time span, for eviction without scanning the events.
        CREATE TABLE IF NOT EXISTS ips (
          ip TEXT PRIMARY KEY,
          n INTEGER NOT NULL,
          min_ms INTEGER NOT NULL,
          max_ms INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS alerts (
          id TEXT PRIMARY KEY,
          rule TEXT NOT NULL,
          ip TEXT NOT NULL,
          start_ms INTEGER NOT NULL,
          end_ms INTEGER NOT NULL,
          users TEXT NOT NULL,
          status TEXT NOT NULL DEFAULT 'open',
          triage TEXT NOT NULL DEFAULT '[]',
          version INTEGER NOT NULL DEFAULT 1,
          doc TEXT NOT NULL,
          created_at TEXT NOT NULL,
          updated_at TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS alerts_rule_ip ON alerts (rule, ip, start_ms);
        CREATE INDEX IF NOT EXISTS alerts_ip ON alerts (ip, status);
        CREATE INDEX IF NOT EXISTS alerts_end ON alerts (end_ms, id);
        -- Per IP: events before this time were evicted, so alerts reaching back before it stand as they are.
        CREATE TABLE IF NOT EXISTS evicted (ip TEXT PRIMARY KEY, before_ms INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS outbox (
          -- AUTOINCREMENT: a delivery number is never reused, even after the outbox empties.
          seq INTEGER PRIMARY KEY AUTOINCREMENT,
          sink TEXT NOT NULL,
          alert_id TEXT NOT NULL,
          change TEXT NOT NULL,
          doc TEXT NOT NULL,
          attempts INTEGER NOT NULL DEFAULT 0,
          next_at INTEGER NOT NULL DEFAULT 0,
          last_error TEXT
        );
        CREATE INDEX IF NOT EXISTS outbox_sink ON outbox (sink, seq);
        -- Records dated ahead of the receiving clock (StreamPipeline): held apart from the
        -- events, so they move no watermark, window or eviction horizon, until their time comes.
        CREATE TABLE IF NOT EXISTS quarantine (
          seq INTEGER PRIMARY KEY,
          record_key TEXT NOT NULL,
          ip TEXT NOT NULL,
          role TEXT NOT NULL,
          at_ms INTEGER NOT NULL,
          at_ns INTEGER NOT NULL,
          doc TEXT NOT NULL,
          received_ms INTEGER NOT NULL
        );
        -- Once per record, as in events; led by the time, for releasing the earliest first.
        CREATE UNIQUE INDEX IF NOT EXISTS quarantine_key ON quarantine (at_ms, record_key);
        -- The records a rule of the general Sigma path took (src/stream/general-stream.ts),
        -- whole (its rules may read any field), by IP ('' when none), until eviction.
        CREATE TABLE IF NOT EXISTS general_events (
          seq INTEGER PRIMARY KEY,
          record_key TEXT NOT NULL,
          ip TEXT NOT NULL,
          at_ms INTEGER NOT NULL,
          at_ns INTEGER NOT NULL,
          doc TEXT NOT NULL
        );
        CREATE UNIQUE INDEX IF NOT EXISTS general_events_key ON general_events (at_ms, at_ns, record_key);
        CREATE INDEX IF NOT EXISTS general_events_ip ON general_events (ip, at_ms);
        -- Per IP, before when its general events were evicted: alerts reaching back before it stand.
        CREATE TABLE IF NOT EXISTS general_evicted (ip TEXT PRIMARY KEY, before_ms INTEGER NOT NULL) WITHOUT ROWID;
        -- Per IP, the time range of its new general records not yet recomputed (written in their
        -- commit, so a restart recomputes what a crash left).
        CREATE TABLE IF NOT EXISTS general_dirty (ip TEXT PRIMARY KEY, from_ms INTEGER NOT NULL, to_ms INTEGER NOT NULL) WITHOUT ROWID;
      `);
    // Added after version 4 (alerts re-keyed to their episode's id, see AlertsTable.upsertAlert): added in place.
    const alertColumns = db.prepare('PRAGMA table_info(alerts)').all() as Array<{ name: string }>;
    if (!alertColumns.some((c) => c.name === 'superseded_by')) db.exec('ALTER TABLE alerts ADD COLUMN superseded_by TEXT');
    if (version !== SCHEMA_VERSION) {
      if (migrating) {
        // In pages (a statement cannot write while another reads on this connection).
        const page = db.prepare('SELECT seq, record_key, ip, role, at_ms, at_ns, doc FROM events_old WHERE seq > ? ORDER BY seq LIMIT 10000');
        for (let after = -Infinity; ;) {
          const rows = page.all(after) as Array<{ seq: number; record_key: string; ip: string; role: string; at_ms: number; at_ns: number; doc: string }>;
          if (rows.length === 0) break;
          for (const r of rows) events.insertEvent(r.record_key, r.ip, r.role, r.at_ms, r.at_ns, r.doc, r.seq);
          after = rows[rows.length - 1]!.seq;
        }
        db.exec('DROP TABLE events_old');
      }
      // (Version 1 had no ips table; rebuilt for every older store, it is exact.)
      db.exec(`
          DELETE FROM ips;
          INSERT INTO ips (ip, n, min_ms, max_ms) SELECT ip, count(*), min(at_ms), max(at_ms) FROM events GROUP BY ip;
        `);
      meta.setMeta('schema_version', SCHEMA_VERSION);
    }
  })();
}
