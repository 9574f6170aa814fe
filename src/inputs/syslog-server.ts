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
//
// TLS (RFC 5425) reads the same framing over a TLS connection that must present
// a client certificate from the configured CA: a port that needs no token must
// not let anyone who can reach it feed the detections. The sender networks are
// checked on connect, before any handshake work; a failed handshake (no or a
// foreign certificate, plain TCP, too slow) is counted, logged a few times and
// closed.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { frameLine, type FramedItem } from './framing.js';
import { CidrSet, canonicalIp } from '../model/ip.js';

export interface SyslogOptions {
  host: string;
  udpPort?: number;
  tcpPort?: number;
  /** Syslog over TLS (RFC 5425) with client certificates. */
  tls?: SyslogTlsOptions;
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

export interface SyslogTlsOptions {
  port: number;
  /** PEM: the server's certificate chain and its key. */
  cert: Buffer | string;
  key: Buffer | string;
  /** PEM: the CA certificates client certificates must chain to (required: no client certificate, no connection). */
  ca: Buffer | string;
  /** Longest a handshake may take (default 10 s). */
  handshakeTimeoutMs?: number;
}

/** Senders accepted when no --syslog-allow is given. */
export const DEFAULT_SYSLOG_ALLOW = ['127.0.0.0/8', '::1/128'];
/** Refused senders logged (the rest are counted only): a flood must not flood the log. */
const REFUSALS_LOGGED = 10;
/** Failed TLS handshakes logged (the rest are counted only). */
const TLS_REJECTIONS_LOGGED = 10;
const HANDSHAKE_TIMEOUT_MS = 10_000;

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
  /** The TLS port's listener: checks the sender, then hands the connection over for the TLS handshake. */
  private tlsFront: Server | null = null;
  /** Open TCP and TLS connections, and TLS connections still in their handshake (closed by stop()). */
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

  get tlsAddress(): { port: number } | null {
    const a = this.tlsFront?.address();
    return a && typeof a === 'object' ? { port: a.port } : null;
  }

  private get max(): number {
    return this.o.maxMessageBytes ?? DEFAULT_MAX;
  }

  /** Datagrams and connections from senders outside the allowed networks, dropped. */
  refused = 0;

  /** TLS connections whose handshake failed (no or a foreign client certificate, not TLS, too slow), closed. */
  tlsRejected = 0;

  /** Whether a sender may send; counts and (a few times) logs the ones that may not. */
  private allowed(address: string | undefined, via: 'udp' | 'tcp' | 'tls'): boolean {
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
      const tcp = createServer((sock) => {
        if (!this.allowed(sock.remoteAddress, 'tcp')) {
          sock.destroy();
          return;
        }
        this.connection(sock, 'tcp', '');
      });
      tcp.on('error', (err) => this.o.onError?.(err));
      await new Promise<void>((resolve) => tcp.listen(this.o.tcpPort, this.o.host, resolve));
      this.tcp = tcp;
    }
    if (this.o.tls !== undefined) await this.startTls(this.o.tls);
  }

  /**
   * A plain listener checks the sender's address first (a refused sender costs no
   * handshake), then gives the connection to a TLS server that is not listening
   * itself. Node rejects a client without a certificate from `ca` in the
   * handshake (rejectUnauthorized); only verified connections reach connection().
   */
  private async startTls(t: SyslogTlsOptions): Promise<void> {
    const timeoutMs = t.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS;
    const secure = createTlsServer({
      cert: t.cert, key: t.key, ca: t.ca, requestCert: true, rejectUnauthorized: true, handshakeTimeout: timeoutMs, minVersion: 'TLSv1.2',
    }, (sock) => {
      if (!sock.authorized) { // (rejectUnauthorized already closed these; never read one)
        this.tlsRejection(sock.remoteAddress, sock.remotePort, `client certificate not accepted (${String(sock.authorizationError)})`);
        sock.destroy();
        return;
      }
      const cn = certificateName(sock);
      this.connection(sock, 'tls', cn ? ` (CN=${cn})` : '');
    });
    secure.on('tlsClientError', (err: NodeJS.ErrnoException, sock: TLSSocket) => {
      // A certificate refused after the handshake has closed the socket by now, and with it
      // its address; the connection it wraps (Node's _parent) still has it.
      const raw = (sock as unknown as { _parent?: Socket })._parent;
      this.tlsRejection(sock.remoteAddress ?? raw?.remoteAddress, sock.remoteAddress ? sock.remotePort : raw?.remotePort, handshakeFailure(err, sock.authorizationError, timeoutMs));
      // A handshake timeout leaves the socket open.
      sock.destroy();
    });
    const front = createServer((raw) => {
      if (!this.allowed(raw.remoteAddress, 'tls')) {
        raw.destroy();
        return;
      }
      this.sockets.add(raw);
      raw.on('close', () => this.sockets.delete(raw));
      // Its errors surface on the TLS socket that takes it over (tlsClientError, or connection()'s handler).
      raw.on('error', () => {});
      secure.emit('connection', raw);
    });
    front.on('error', (err) => this.o.onError?.(err));
    await new Promise<void>((resolve) => front.listen(t.port, this.o.host, resolve));
    this.tlsFront = front;
  }

  /** Counts a failed TLS handshake and (a few times) logs why. */
  private tlsRejection(address: string | undefined, port: number | undefined, why: string): void {
    this.tlsRejected++;
    if (this.tlsRejected > TLS_REJECTIONS_LOGGED) return;
    const text = `syslog tls from ${address ?? '?'}:${port ?? '?'} rejected: ${why}; connection closed${this.tlsRejected === TLS_REJECTIONS_LOGGED ? ' (further TLS rejections are counted, not logged)' : ''}`;
    if (this.o.onSenderProblem) this.o.onSenderProblem(text);
    else this.o.onError?.(new Error(text));
  }

  async stop(): Promise<void> {
    this.udp?.close();
    for (const s of this.sockets) s.destroy();
    const closing = [this.tcp, this.tlsFront].filter((x): x is Server => x !== null).map((srv) => new Promise<void>((resolve) => srv.close(() => resolve())));
    await Promise.all(closing);
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

  /**
   * Reads one TCP connection, or a TLS one after its handshake: RFC 6587 framing,
   * batched. `who` follows the peer in warnings (the client certificate's name).
   */
  private connection(sock: Socket, via: 'tcp' | 'tls', who: string): void {
    this.sockets.add(sock);
    const peer = `${sock.remoteAddress ?? '?'}:${sock.remotePort ?? '?'}${who}`;
    const source = `syslog ${via} ${sock.remoteAddress ?? '?'}`;
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
          const text = `syslog ${via} from ${peer}: ${f.message}${more}`;
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

/** The client certificate's subject CN, made printable and short (for warnings only). */
function certificateName(sock: TLSSocket): string {
  const cn = sock.getPeerCertificate().subject?.CN as string | string[] | undefined;
  const text = Array.isArray(cn) ? cn.join(',') : cn ?? '';
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x1f\x7f]/g, '?').slice(0, 128);
}

/** Why a TLS handshake failed, in words. */
function handshakeFailure(err: NodeJS.ErrnoException, authorizationError: Error | string | null | undefined, timeoutMs: number): string {
  if (authorizationError) return `client certificate not accepted (${String(authorizationError)}); it must chain to the --syslog-tls-ca bundle`;
  switch (err.code) {
    case 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE':
    case 'ERR_SSL_NO_CERTIFICATES_RETURNED':
      return 'no client certificate (one from the --syslog-tls-ca bundle is required)';
    case 'ERR_TLS_HANDSHAKE_TIMEOUT':
      return `TLS handshake not finished within ${timeoutMs / 1000} s`;
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
    case 'ERR_SSL_HTTP_REQUEST':
    case 'ERR_SSL_UNKNOWN_PROTOCOL':
    case 'ERR_SSL_PACKET_LENGTH_TOO_LONG':
      return `not a TLS handshake (${err.code}): plain TCP syslog to the TLS port?`;
    case 'ECONNRESET':
      return 'closed by the client during the TLS handshake';
    default:
      return `TLS handshake failed (${err.code ?? err.message})`;
  }
}
