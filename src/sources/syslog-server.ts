// Syslog listeners for `serve` (CEF, PAN-OS, FortiGate, Snort senders and the
// rsyslog / syslog-ng relays in front of them): UDP, one message per datagram;
// TCP with RFC 6587 framing, octet-counted ("123 <134>…") or newline-delimited,
// told apart per message. Messages become text records for the decoders, which
// read the syslog header themselves. TCP messages are batched for a few
// milliseconds so a busy sender costs one commit per batch.
//
// A TCP stream is never trusted to be well formed: a frame over the size limit
// is reported and its bytes skipped as they arrive; an octet count that does not
// match the data (the bytes after the frame cannot start a message) drops that
// frame and reading resumes at the next line or frame start. Memory per
// connection stays within one message's worth.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { frameLine, type FramedItem } from './framing.js';
import { CidrSet, canonicalIp } from '../events/ip.js';

export interface SyslogOptions {
  host: string;
  udpPort?: number;
  tcpPort?: number;
  /** Takes a batch of framed records; commits before returning. */
  ingest(items: FramedItem[]): void;
  /** Longest message kept (default 64 KiB); longer ones are reported and skipped. */
  maxMessageBytes?: number;
  /** Socket errors: the service's own trouble. */
  onError?(err: Error): void;
  /** A sender's broken TCP framing: its fault, not the service's (logged as a warning; onError when unset). */
  onSenderProblem?(message: string): void;
  /**
   * The networks senders may send from (`--syslog-allow`); default loopback only.
   * Anyone else is counted (`refused`) and dropped: the listeners need no token, and
   * anyone who can send a record could otherwise feed the detections.
   */
  allow?: CidrSet;
}

/** Senders accepted when no --syslog-allow is given. */
export const DEFAULT_SYSLOG_ALLOW = ['127.0.0.0/8', '::1/128'];
/** Refused senders logged (the rest are counted only): a flood must not flood the log. */
const REFUSALS_LOGGED = 10;

const FLUSH_MS = 20;
const FLUSH_COUNT = 1000;
const DEFAULT_MAX = 65536;
/** Framing problems logged per connection; later ones are only counted (a broken sender repeats itself). */
const LOGGED_PER_CONNECTION = 5;

/** What the TCP framer cut out of a stream: a message, or a problem to report. */
export type TcpFrame =
  | { kind: 'message'; text: string }
  | { kind: 'problem'; reason: 'record-too-large' | 'invalid-field'; message: string };

// "LEN SP": RFC 6587 §3.4.1 MSG-LEN is NONZERO-DIGIT *DIGIT; seven digits bound a frame to < 10 MB.
const OCTET_RE = /^([1-9]\d{0,6}) /;

/**
 * Splits one TCP stream into syslog messages (RFC 6587: octet counting or
 * newline/NUL framing, decided per message). Feed it chunks as they arrive.
 */
export class TcpSyslogFramer {
  private buf: Buffer = Buffer.alloc(0);
  /** Bytes of an oversize octet-counted frame still to drop. */
  private skipBytes = 0;
  /** After a bad frame or an over-long line: dropping bytes up to the next line or frame start. */
  private resync = false;

  constructor(private readonly max: number = DEFAULT_MAX) {}

  push(chunk: Buffer, out: TcpFrame[]): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    this.drain(out);
  }

  /** The peer closed the connection: what is left is a last unterminated line, or a truncated frame. */
  end(out: TcpFrame[]): void {
    const rest = this.buf;
    this.buf = Buffer.alloc(0);
    if (this.skipBytes > 0 || this.resync || rest.length === 0) return;
    const m = OCTET_RE.exec(rest.toString('latin1', 0, Math.min(rest.length, 8)));
    if (m) {
      const want = Number(m[1]);
      out.push({ kind: 'problem', reason: 'invalid-field', message: `connection closed inside an octet-counted frame (${rest.length - m[0].length} of ${want} bytes); dropped` });
      return;
    }
    out.push({ kind: 'message', text: rest.toString('utf8') });
  }

  private drain(out: TcpFrame[]): void {
    for (;;) {
      if (this.skipBytes > 0) {
        if (this.buf.length <= this.skipBytes) {
          this.skipBytes -= this.buf.length;
          this.buf = Buffer.alloc(0);
          return;
        }
        this.buf = this.buf.subarray(this.skipBytes);
        this.skipBytes = 0;
      }
      if (this.buf.length === 0) return;
      if (this.resync && !this.resynchronise()) return;
      const buf = this.buf;
      const m = OCTET_RE.exec(buf.toString('latin1', 0, Math.min(buf.length, 8)));
      if (m) {
        const len = Number(m[1]);
        const head = m[0].length;
        if (len > this.max) {
          out.push({ kind: 'problem', reason: 'record-too-large', message: `octet-counted frame of ${len} bytes is over the ${this.max}-byte limit; skipped` });
          this.buf = buf.subarray(head);
          this.skipBytes = len;
          continue;
        }
        const end = head + len;
        if (buf.length < end) return; // the rest of the frame is still on its way
        if (!this.canStartAt(end, false)) {
          // The count lied (too short or too long): the bytes after the frame start mid-message.
          out.push({
            kind: 'problem', reason: 'invalid-field',
            message: `octet count ${len} does not match the data (the frame is followed by ${JSON.stringify(buf.toString('latin1', end, end + 12))}); frame dropped, reading on from the next line or frame`,
          });
          this.buf = buf.subarray(head);
          this.resync = true;
          continue;
        }
        out.push({ kind: 'message', text: buf.toString('utf8', head, end) });
        this.buf = buf.subarray(end);
        continue;
      }
      // Newline (or NUL) delimited.
      let nl = buf.indexOf(0x0a);
      const nul = buf.indexOf(0x00);
      if (nul >= 0 && (nl < 0 || nul < nl)) nl = nul;
      if (nl < 0 || nl > this.max) {
        if (buf.length > this.max) {
          out.push({ kind: 'problem', reason: 'record-too-large', message: `line longer than ${this.max} bytes; skipped` });
          this.buf = buf.subarray(this.max);
          this.resync = true;
          continue;
        }
        return;
      }
      out.push({ kind: 'message', text: buf.toString('utf8', 0, nl) });
      this.buf = buf.subarray(nl + 1);
    }
  }

  /** Drops bytes up to the next line start or octet-counted frame start; false when none has arrived yet. */
  private resynchronise(): boolean {
    const step = this.max + 16;
    for (;;) {
      const window = this.buf.toString('latin1', 0, Math.min(this.buf.length, step));
      const nl = window.indexOf('\n');
      const frame = this.frameStart(nl >= 0 ? window.slice(0, nl) : window);
      const at = frame >= 0 ? frame : nl >= 0 ? nl + 1 : -1;
      if (at >= 0) {
        this.buf = this.buf.subarray(at);
        this.resync = false;
        return true;
      }
      // Keep a few bytes: a frame start may straddle this chunk and the next.
      const drop = Math.max(0, window.length - 12);
      this.buf = this.buf.subarray(drop);
      if (drop === 0 || this.buf.length <= 12) return false;
    }
  }

  /**
   * Where an octet-counted frame starts in `text` (latin1, so indexes are byte
   * offsets into buf), or -1. A message often ends in digits ("…src=45.33.32.156"),
   * so "…156155 <33>…" is read as the count 155: of the suffixes of a digit run,
   * the shortest whose frame ends where another message can start, else the
   * shortest that runs past the data received so far.
   */
  private frameStart(text: string): number {
    const re = /(?<!\d)(\d{1,32}) <\d/g; // linear: no match starts inside a digit run
    for (let m = re.exec(text); m; m = re.exec(text)) {
      const digits = m[1]!;
      let fallback = -1;
      for (let j = digits.length - 1; j >= Math.max(0, digits.length - 7); j--) {
        if (digits[j] === '0') continue;
        const end = m.index + digits.length + 1 + Number(digits.slice(j));
        if (end > this.buf.length) {
          if (fallback < 0) fallback = m.index + j;
        } else if (this.canStartAt(end, true)) {
          return m.index + j;
        }
      }
      if (fallback >= 0) return fallback;
    }
    return -1;
  }

  /**
   * Can a message start at byte `at`, just after a frame? Yes at the end of what
   * has arrived, at "<" (a PRI), a count ("LEN SP"), a line end or NUL. A letter,
   * "{" or "[" (a newline-framed line without PRI, JSON) only when the frame did
   * not end inside a word or number: "…45.3" + "3.32.156" is a count that lied.
   * `strict` (choosing where to resume after one) accepts only the first kind.
   */
  private canStartAt(at: number, strict: boolean): boolean {
    if (at >= this.buf.length) return true;
    const b = this.buf[at]!;
    if (b === 0x3c || b === 0x0a || b === 0x0d || b === 0x00) return true;
    if (b >= 0x30 && b <= 0x39) {
      // A digit starts only a count (or digits still arriving).
      const head = this.buf.toString('latin1', at, Math.min(this.buf.length, at + 8));
      return OCTET_RE.test(head) || /^[1-9]\d{0,6}$/.test(head);
    }
    if (strict || at === 0) return false;
    const letter = (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
    return (letter || b === 0x7b || b === 0x5b) && !isWordByte(this.buf[at - 1]!);
  }
}

/** ASCII letters and digits, "." ":" "=" "_" "-" and any byte of a multi-byte character: the inside of a token. */
function isWordByte(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x2e || b === 0x3a || b === 0x3d || b === 0x5f || b === 0x2d || b >= 0x80;
}

export class SyslogServer {
  private udp: UdpSocket | null = null;
  private tcp: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private pending: FramedItem[] = [];
  private flushTimer: NodeJS.Timeout | null = null;
  private seq = 0;

  private readonly allow: CidrSet;

  constructor(private readonly o: SyslogOptions) {
    this.allow = o.allow ?? new CidrSet(DEFAULT_SYSLOG_ALLOW);
  }

  get udpAddress(): { port: number } | null {
    return this.udp ? this.udp.address() : null;
  }

  get tcpAddress(): { port: number } | null {
    const a = this.tcp?.address();
    return a && typeof a === 'object' ? { port: a.port } : null;
  }

  private get max(): number {
    return this.o.maxMessageBytes ?? DEFAULT_MAX;
  }

  /** Datagrams and connections from senders outside the allowed networks, dropped. */
  refused = 0;

  /** Whether a sender may send; counts and (a few times) logs the ones that may not. */
  private allowed(address: string | undefined, via: string): boolean {
    const ip = canonicalIp(address);
    if (ip !== null && this.allow.match(ip) !== null) return true;
    this.refused++;
    if (this.refused <= REFUSALS_LOGGED) {
      const text = `syslog ${via} from ${address ?? '?'} refused: not in the allowed sender networks (--syslog-allow ${this.allow.cidrs.join(',')})${this.refused === REFUSALS_LOGGED ? '; further refusals are counted, not logged' : ''}`;
      if (this.o.onSenderProblem) this.o.onSenderProblem(text);
      else this.o.onError?.(new Error(text));
    }
    return false;
  }

  async start(): Promise<void> {
    if (this.o.udpPort !== undefined) {
      const udp = createSocket(this.o.host.includes(':') ? 'udp6' : 'udp4');
      udp.on('message', (msg, rinfo) => {
        if (!this.allowed(rinfo.address, 'udp')) return;
        const source = `syslog udp ${rinfo.address}`;
        if (msg.length > this.max) this.problem(source, 'record-too-large', `syslog datagram of ${msg.length} bytes is over the ${this.max}-byte limit; skipped`);
        else this.message(msg.toString('utf8'), source);
      });
      udp.on('error', (err) => this.o.onError?.(err));
      await new Promise<void>((resolve) => udp.bind(this.o.udpPort, this.o.host, resolve));
      this.udp = udp;
    }
    if (this.o.tcpPort !== undefined) {
      const tcp = createServer((sock) => this.connection(sock));
      tcp.on('error', (err) => this.o.onError?.(err));
      await new Promise<void>((resolve) => tcp.listen(this.o.tcpPort, this.o.host, resolve));
      this.tcp = tcp;
    }
  }

  async stop(): Promise<void> {
    this.udp?.close();
    for (const s of this.sockets) s.destroy();
    if (this.tcp) await new Promise<void>((resolve) => this.tcp!.close(() => resolve()));
    this.flush();
  }

  private message(raw: string, source: string): void {
    // A sender's line end, or the NUL some append, is not part of the message.
    const text = raw.replace(/[\r\n\0]+$/, '');
    if (text.trim().length === 0) return;
    this.seq++;
    frameLine(text, { source, line: this.seq }, this.pending);
    this.schedule();
  }

  private problem(source: string, reason: 'record-too-large' | 'invalid-field', message: string): void {
    this.seq++;
    this.pending.push({ kind: 'problem', origin: { source, line: this.seq }, reason, message });
    this.schedule();
  }

  private schedule(): void {
    if (this.pending.length >= FLUSH_COUNT) this.flush();
    else if (!this.flushTimer) this.flushTimer = setTimeout(() => this.flush(), FLUSH_MS);
  }

  private flush(): void {
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = null;
    }
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    try {
      this.o.ingest(batch);
    } catch (err) {
      this.o.onError?.(err as Error);
    }
  }

  private connection(sock: Socket): void {
    if (!this.allowed(sock.remoteAddress, 'tcp')) {
      sock.destroy();
      return;
    }
    this.sockets.add(sock);
    const peer = `${sock.remoteAddress ?? '?'}:${sock.remotePort ?? '?'}`;
    const source = `syslog tcp ${sock.remoteAddress ?? '?'}`;
    const framer = new TcpSyslogFramer(this.max);
    let logged = 0;
    const take = (frames: TcpFrame[]): void => {
      for (const f of frames) {
        if (f.kind === 'message') {
          this.message(f.text, source);
          continue;
        }
        this.problem(source, f.reason, f.message);
        if (logged < LOGGED_PER_CONNECTION) {
          logged++;
          const more = logged === LOGGED_PER_CONNECTION ? ' (further framing problems on this connection are counted, not logged)' : '';
          const text = `syslog tcp from ${peer}: ${f.message}${more}`;
          if (this.o.onSenderProblem) this.o.onSenderProblem(text);
          else this.o.onError?.(new Error(text));
        }
      }
    };
    sock.on('data', (chunk: Buffer) => {
      const frames: TcpFrame[] = [];
      framer.push(chunk, frames);
      take(frames);
    });
    sock.on('end', () => {
      const frames: TcpFrame[] = [];
      framer.end(frames);
      take(frames);
    });
    sock.on('close', () => this.sockets.delete(sock));
    sock.on('error', (err) => this.o.onError?.(err));
  }
}
