// Alert sinks for `serve`, fed from the store's outbox: every alert change is
// queued in the same transaction as the alert, then delivered here, in order,
// per sink, with retries and exponential backoff until the sink takes it —
// at-least-once; receivers de-duplicate on the deterministic alert id and
// version. Sinks: a webhook (JSON POST, HMAC-SHA256 signature), an NDJSON file,
// stdout.
import { createHmac } from 'node:crypto';
import { appendFile } from 'node:fs/promises';
import type { SqliteStore } from '../store/sqlite-store.js';

export interface Delivery {
  /** The outbox sequence number: unique per delivery, stable across retries. */
  seq: number;
  alertId: string;
  change: string;
  /** JSON: {"change", "status", "version", "at", "alert"}. */
  body: string;
}

export interface Sink {
  readonly name: string;
  /** Resolves when the sink has the delivery; throws to have it retried. */
  deliver(d: Delivery): Promise<void>;
}

export interface WebhookOptions {
  url: string;
  /** Secret for the X-Crosswatch-Signature header (HMAC-SHA256 of the body). */
  secret?: string;
  timeoutMs?: number;
}

export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export class WebhookSink implements Sink {
  readonly name: string;
  constructor(private readonly o: WebhookOptions) {
    this.name = `webhook:${o.url}`;
  }

  async deliver(d: Delivery): Promise<void> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'crosswatch',
      'x-crosswatch-event': d.change,
      'x-crosswatch-alert-id': d.alertId,
      'x-crosswatch-delivery': String(d.seq),
    };
    if (this.o.secret) headers['x-crosswatch-signature'] = signBody(this.o.secret, d.body);
    const res = await fetch(this.o.url, {
      method: 'POST', headers, body: d.body, signal: AbortSignal.timeout(this.o.timeoutMs ?? 10_000),
    });
    // Drain the body so the connection can be reused.
    await res.arrayBuffer().catch(() => undefined);
    if (res.status < 200 || res.status >= 300) throw new Error(`webhook answered HTTP ${res.status}`);
  }
}

export class NdjsonFileSink implements Sink {
  readonly name: string;
  constructor(private readonly path: string) {
    this.name = `file:${path}`;
  }

  async deliver(d: Delivery): Promise<void> {
    await appendFile(this.path, `${d.body}\n`);
  }
}

export class StdoutSink implements Sink {
  readonly name = 'stdout';
  constructor(private readonly out: NodeJS.WritableStream = process.stdout) {}

  async deliver(d: Delivery): Promise<void> {
    await new Promise<void>((resolve, reject) => this.out.write(`${d.body}\n`, (err) => (err ? reject(err) : resolve())));
  }
}

export interface DispatcherOptions {
  pollMs?: number;
  /** First retry delay; doubles per attempt up to maxBackoffMs. */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  onError?(sink: string, err: Error, attempts: number): void;
  /** The store failed under the dispatcher (disk full, read-only): it tries again on the next tick. */
  onStoreError?(err: Error): void;
  onDelivered?(sink: string, d: Delivery): void;
}

/** Delivers the outbox to the sinks; one loop, each sink in order. */
export class OutboxDispatcher {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  readonly delivered = new Map<string, number>();
  readonly failures = new Map<string, number>();

  constructor(private readonly store: SqliteStore, private readonly sinks: Sink[], private readonly o: DispatcherOptions = {}) {
    store.sinks = sinks.map((s) => s.name);
  }

  start(): void {
    const tick = (): void => {
      if (this.stopped) return;
      // The outbox's own bookkeeping can fail (a full or read-only disk): reported, and
      // tried again on the next tick; the entries stay queued, nothing is lost or crashes.
      this.running = this.drain().catch((err: unknown) => this.o.onStoreError?.(err as Error)).finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, this.o.pollMs ?? 200);
      });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** One pass: every due delivery of every sink, oldest first, stopping a sink at its first failure. */
  async drain(): Promise<void> {
    for (const sink of this.sinks) {
      for (;;) {
        const due = this.store.pendingOutbox(sink.name, Date.now(), 100, this.o.maxBackoffMs ?? 300_000);
        if (due.length === 0) break;
        let failed = false;
        for (const d of due) {
          try {
            await sink.deliver(d);
          } catch (err) {
            const backoff = Math.min(this.o.maxBackoffMs ?? 300_000, (this.o.baseBackoffMs ?? 1000) * 2 ** Math.min(d.attempts, 20));
            this.store.outboxFailed(d.seq, Date.now() + backoff, (err as Error).message);
            this.failures.set(sink.name, (this.failures.get(sink.name) ?? 0) + 1);
            this.o.onError?.(sink.name, err as Error, d.attempts + 1);
            failed = true;
            break;
          }
          // Delivered; if recording that fails (the store's fault, thrown to start()), it is
          // delivered again later: at least once, as promised.
          this.store.outboxDelivered(d.seq);
          this.delivered.set(sink.name, (this.delivered.get(sink.name) ?? 0) + 1);
          this.o.onDelivered?.(sink.name, d);
        }
        if (failed || this.stopped) break;
      }
    }
  }
}
