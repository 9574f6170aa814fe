// Request bodies and POST /api/v1/ingest. Bodies are framed by crosswatch
// itself (NDJSON, arrays, envelopes, CSV, syslog lines), so every route's body
// arrives as the raw bytes (a Buffer), whatever its Content-Type: ingest decodes
// them, sign-in and triage read them as text.
import type { FastifyPluginAsync, FastifySchema } from 'fastify';
import type { Histogram } from 'prom-client';
import { decodeBody, type BodyError, type BodyTask, type DecodedBatch } from '../stream/stream-decode.js';
import type { StreamPipeline } from '../stream/stream.js';
import type { BodyBuffers } from './body-buffers.js';
import type { StoreHealth } from './faults.js';
import type { IngestPool } from './ingest-pool.js';
import { atRoot } from './root-plugin.js';

export interface RawBodyOptions {
  /** Largest request body accepted, compressed or not (413 beyond), unless the route says less. */
  bodyLimit: number;
  /** Where bodies are read into; ingest gives them back. */
  buffers: BodyBuffers;
}

/**
 * The one content-type parser, for every route (at the root, before any route's
 * plugin copies the root's parsers). Bodies are read into reused buffers
 * (body-buffers.ts), each its own ArrayBuffer so it can move to an ingest worker
 * and back.
 */
export const rawBodies = atRoot<RawBodyOptions>('crosswatch-raw-bodies', async (app, o) => {
  const { buffers } = o;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (req, payload, done) => {
    // The route's own limit: a few KiB for /login (read before anyone is signed in), else --body-limit.
    const limit = req.routeOptions.bodyLimit ?? o.bodyLimit;
    const tooLarge = (): Error => Object.assign(new Error(`request body larger than ${limit} bytes`), { statusCode: 413 });
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      done(tooLarge(), undefined);
      return;
    }
    let ab = buffers.take(Number.isFinite(declared) && declared > 0 ? declared : Math.min(64 * 1024, limit));
    let buf = new Uint8Array(ab);
    let n = 0;
    let failed = false;
    payload.on('data', (chunk: Buffer) => {
      if (failed) return;
      if (n + chunk.length > limit) {
        failed = true;
        done(tooLarge(), undefined);
        return;
      }
      if (n + chunk.length > buf.length) {
        // No (or a wrong) Content-Length: grow.
        const bigger = buffers.take(Math.max(n + chunk.length, buf.length * 2));
        new Uint8Array(bigger).set(buf.subarray(0, n));
        buffers.give(ab);
        ab = bigger;
        buf = new Uint8Array(ab);
      }
      buf.set(chunk, n);
      n += chunk.length;
    });
    payload.on('end', () => {
      if (!failed) done(null, Buffer.from(ab, 0, n));
    });
    payload.on('error', (err) => {
      if (!failed) {
        failed = true;
        done(err, undefined);
      }
    });
  });
});

export interface IngestOptions {
  pipeline: StreamPipeline;
  /** Ingest workers that decode request bodies; without, bodies are decoded on the main thread. */
  pool?: IngestPool | null;
  /** --body-limit: a gzipped body may grow to 8 times this, no more. */
  bodyLimit: number;
  /** The buffers rawBodies reads into: each body's goes back once decoded. */
  buffers: BodyBuffers;
  ingestLatency: Histogram;
  /** A commit that goes through clears the last store fault. */
  health: StoreHealth;
}

/** The ingest reply (200): what happened to the body's records. The reply is written from this schema: a field not named here is left out. */
const ingestReply = {
  type: 'object',
  properties: {
    accepted: { type: 'integer', description: 'Records decoded' },
    rejected: { type: 'integer', description: 'Records that could not be decoded' },
    stored: { type: 'integer', description: 'Correlatable records stored (new ones)' },
    duplicates: { type: 'integer', description: 'Correlatable records stored before (a retry), counted once' },
    quarantined: { type: 'integer', description: 'Correlatable records dated ahead of the clock, held until their time' },
    dropped: { type: 'object', additionalProperties: { type: 'integer' }, description: 'Accepted but not stored, by reason' },
    errors: {
      type: 'array',
      description: 'The first few rejects, with their place',
      items: { type: 'object', properties: { where: { type: 'string' }, reason: { type: 'string' }, message: { type: 'string' } } },
    },
    alerts: { type: 'object', properties: { created: { type: 'integer' }, updated: { type: 'integer' } } },
  },
} as const;
/** (Typed as a plain schema: the route's other replies are 400, 413, 415, 503 and 507 with {error}.) */
const ingestSchema: FastifySchema = { response: { 200: ingestReply } };

/** POST /api/v1/ingest: decode (on a worker, if any), store, correlate; say what happened. */
export const ingestRoute: FastifyPluginAsync<IngestOptions> = async (app, o) => {
  /** Bodies on the ingest workers now (their commits are near). */
  let decoding = 0;
  app.post('/api/v1/ingest', { schema: ingestSchema }, async (req, reply) => {
    const started = process.hrtime.bigint();
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.from(new ArrayBuffer(0));
    const enc = String(req.headers['content-encoding'] ?? '').toLowerCase();
    const gzip = enc === 'gzip' || enc === 'x-gzip';
    if (!gzip && enc !== '' && enc !== 'identity') return reply.code(415).send({ error: `unsupported Content-Encoding ${enc}` });
    // Framing and decoding run on an ingest worker when there are workers; the
    // main thread stores and correlates (grouped with the requests decoded meanwhile).
    const task: BodyTask = {
      body, gzip, display: `request ${req.id}`, source: 'http', decode: o.pipeline.decodeContext,
      watermarkMs: o.pipeline.watermark, maxBytes: o.bodyLimit * 8,
      ...(o.pipeline.generalSpec ? { general: o.pipeline.generalSpec } : {}),
    };
    let decoded: DecodedBatch | BodyError;
    if (o.pool) {
      decoding++;
      const d = await o.pool.decode(task).finally(() => { decoding--; });
      if (d.body) o.buffers.give(d.body);
      decoded = d.result;
    } else {
      decoded = await decodeBody(task);
      o.buffers.give(body.buffer as ArrayBuffer);
    }
    if ('status' in decoded) return reply.code(decoded.status).send({ error: decoded.error });
    // Bodies still on the workers will want a commit soon: this one may wait for them.
    const res = await o.pipeline.submit(decoded, decoding > 0);
    o.health.clear();
    o.ingestLatency.observe(Number(process.hrtime.bigint() - started) / 1e9);
    return reply.code(200).send({
      accepted: res.accepted,
      rejected: res.rejected,
      stored: res.stored,
      duplicates: res.duplicates,
      quarantined: res.quarantined,
      dropped: res.dropped,
      errors: res.errors,
      alerts: { created: res.alertsCreated, updated: res.alertsUpdated },
    });
  });
};
