// The connection the store's tables share (sqlite-store.ts opens it): one
// Database and one cache of prepared statements, so that each table object
// (events, alerts, outbox, quarantine, meta) prepares its SQL once and all of
// them write in the same transactions.
import type Database from 'better-sqlite3';

export class Statements {
  private readonly cache = new Map<string, Database.Statement>();

  constructor(readonly db: Database.Database) {}

  /** A prepared statement, prepared once. */
  st(sql: string): Database.Statement {
    let s = this.cache.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.cache.set(sql, s);
    }
    return s;
  }

  /** Runs fn in one transaction (nested calls become savepoints). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }
}
