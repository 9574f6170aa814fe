// The batch pipeline behind `crosswatch hunt`: sources → framing → decoders →
// correlator → alert documents. Two passes over the files keep memory flat:
// pass 1 decodes everything (for the counters) and feeds only network alerts;
// the correlator is then sealed, and pass 2 feeds the sign-ins and mail
// accesses, which it keeps only for IPs that had an alert. Files that held no
// sign-in or mail access in pass 1 are not read again.
import type { RuleDefinition } from '../alerts/rules.js';
import { alertDocument, type AlertDocument } from '../alerts/document.js';
import type { CorrelatorConfig } from '../correlate/config.js';
import { Correlator, type CorrelatorStats } from '../correlate/correlator.js';
import { decodeRecord } from '../decoders/index.js';
import type { DecodeContext } from '../decoders/types.js';
import { frameFile, DEFAULT_FRAMING, type FramedItem, type FramingOptions } from '../sources/framing.js';
import { UnreadableInput, type InputFile } from '../sources/inputs.js';
import { Counters } from './counters.js';

export interface BatchOptions {
  config: CorrelatorConfig;
  rules: RuleDefinition[];
  decode: DecodeContext;
  framing?: Partial<FramingOptions>;
  /** Bytes read so far over both passes (for a progress bar); the total is 2 × input size at most. */
  onProgress?: (bytesDone: number) => void;
  /** When the alerts are raised (the documents' @timestamp). */
  now?: () => Date;
}

export interface BatchResult {
  alerts: AlertDocument[];
  counters: Counters;
  correlation: CorrelatorStats;
  files: number;
  bytes: number;
}

export async function runBatch(files: InputFile[], opts: BatchOptions): Promise<BatchResult> {
  const counters = new Counters();
  const correlator = new Correlator(opts.config);
  const framing: FramingOptions = { ...DEFAULT_FRAMING, ...opts.framing };
  const withQualifying = new Set<InputFile>();
  const withTextAlerts = new Set<InputFile>();
  let latestDated: number | null = null;
  let done = 0;

  // Pass 1: count everything, feed network alerts.
  for (const f of files) {
    const src = counters.source(f.display);
    const base = done;
    const frames = frameFile(f.path, f.display, {
      ...framing,
      onBytes: (n) => {
        src.bytes = n;
        opts.onProgress?.(base + n);
      },
      onFormat: (fmt) => {
        src.format = fmt;
      },
    });
    for await (const batch of guard(frames, f)) {
      for (const item of batch) {
        if (item.kind === 'problem') {
          if (item.reason === 'binary-file' || item.reason === 'empty-file' || item.reason === 'invalid-compression') counters.fileProblem(item.origin, item.reason, item.message);
          else counters.rejected(item.origin, null, item.reason, item.message);
          continue;
        }
        const { decoder, result } = decodeRecord(item, opts.decode);
        if (!result.ok) {
          counters.rejected(item.origin, decoder, result.error.reason, result.error.message);
          continue;
        }
        const role = result.event.event.crosswatch.role;
        counters.decoded(f.display, decoder ?? 'unknown', role);
        if (item.kind !== 'text') {
          if (latestDated === null || result.event.at.ms > latestDated) latestDated = result.event.at.ms;
        }
        if (role === 'network_alert') {
          // Text lines (fast.log, syslog) may lack the year: fed after this pass, once the data's own time is known.
          if (item.kind === 'text') withTextAlerts.add(f);
          else correlator.add(result.event);
        } else if (role === 'signin' || role === 'mail_access') withQualifying.add(f);
      }
    }
    done = base + f.size;
  }

  // Year-less stamps take their year from the data, not from today: the latest
  // time among records that carry a full date is the reference (DESIGN.md §2).
  const decode2: DecodeContext = latestDated === null ? opts.decode : { ...opts.decode, reference: { ms: latestDated, ns: 0 } };
  for (const f of files) {
    if (!withTextAlerts.has(f)) continue;
    for await (const batch of guard(frameFile(f.path, f.display, framing), f)) {
      for (const item of batch) {
        if (item.kind !== 'text') continue;
        const { result } = decodeRecord(item, decode2);
        if (result.ok && result.event.event.crosswatch.role === 'network_alert') correlator.add(result.event);
      }
    }
  }
  correlator.sealNetworkAlerts();

  // Pass 2: feed qualifying events; only IPs with network alerts keep state.
  if (correlator.stateSize > 0) {
    for (const f of files) {
      if (!withQualifying.has(f)) continue;
      const base = done;
      const frames = frameFile(f.path, f.display, { ...framing, onBytes: (n) => opts.onProgress?.(base + n) });
      for await (const batch of guard(frames, f)) {
        for (const item of batch) {
          if (item.kind === 'problem') continue;
          const { result } = decodeRecord(item, decode2);
          if (!result.ok) continue;
          const role = result.event.event.crosswatch.role;
          if (role === 'signin' || role === 'mail_access') correlator.add(result.event);
        }
      }
      done = base + f.size;
    }
  }

  const episodes = correlator.finish();
  const byId = new Map(opts.rules.map((r) => [r.id, r]));
  const now = opts.now ? opts.now() : new Date();
  const alerts = episodes.map((ep) => {
    const rule = byId.get(ep.rule);
    if (!rule) throw new Error(`no rule definition for ${ep.rule}`);
    return alertDocument(ep, rule, opts.config.windowMs, now);
  });
  return {
    alerts,
    counters,
    correlation: correlator.stats,
    files: files.length,
    bytes: files.reduce((n, f) => n + f.size, 0),
  };
}

/** Turns a file that vanished or cannot be opened mid-run into UnreadableInput. */
async function* guard(it: AsyncGenerator<FramedItem[]>, f: InputFile): AsyncGenerator<FramedItem[]> {
  try {
    yield* it;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT' || e.code === 'EACCES' || e.code === 'EPERM' || e.code === 'EISDIR' || e.code === 'EIO') {
      throw new UnreadableInput(f.display, e.message);
    }
    if (e.code === 'Z_DATA_ERROR' || e.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(e.message ?? '')) {
      // A cut-off .gz keeps what was read before the damage; the rest is reported.
      yield [{ kind: 'problem', origin: { source: f.display, line: 0 }, reason: 'invalid-compression', message: `corrupt or truncated gzip data: ${e.message}` }];
      return;
    }
    throw err;
  }
}
