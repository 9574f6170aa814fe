// Syslog listeners for `serve` (CEF, PAN-OS, FortiGate, Snort senders): UDP, one
// message per datagram; TCP with RFC 6587 framing, octet-counted ("123 <134>…")
// or newline-delimited, told apart per message. Messages become text records for
// the decoders, which read the syslog header themselves. TCP messages are
// batched for a few milliseconds so a busy sender costs one commit per batch.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { frameLine, type FramedItem } from './framing.js';

export interface SyslogOptions {
  host: string;
  udpPort?: number;
  tcpPort?: number;
  /** Takes a batch of framed records; commits before returning. */
  ingest(items: FramedItem[]): void;
  /** Longest message kept (default 64 KiB); longer TCP frames are reported and skipped. */
  maxMessageBytes?: number;
  onError?(err: Error): void;
}

const FLUSH_MS = 20;
const FLUSH_COUNT = 1000;

export class SyslogServer {
  private udp: UdpSocket | null = null;
  private tcp: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private pending: FramedItem[] = [];
  private flushTimer: NodeJS.Timeout | null = null;
  private seq = 0;

  constructor(private readonly o: SyslogOptions) {}

  get udpAddress(): { port: number } | null {
    return this.udp ? this.udp.address() : null;
  }

  get tcpAddress(): { port: number } | null {
    const a = this.tcp?.address();
    return a && typeof a === 'object' ? { port: a.port } : null;
  }

  async start(): Promise<void> {
    if (this.o.udpPort !== undefined) {
      const udp = createSocket(this.o.host.includes(':') ? 'udp6' : 'udp4');
      udp.on('message', (msg, rinfo) => this.push(msg.toString('utf8'), `syslog udp ${rinfo.address}`));
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

  private push(message: string, source: string): void {
    const text = message.replace(/[\r\n\0]+$/, '');
    if (text.length === 0) return;
    this.seq++;
    const max = this.o.maxMessageBytes ?? 65536;
    if (text.length > max) {
      this.pending.push({ kind: 'problem', origin: { source, line: this.seq }, reason: 'record-too-large', message: `syslog message longer than ${max} bytes; skipped` });
    } else {
      frameLine(text, { source, line: this.seq }, this.pending);
    }
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
    this.sockets.add(sock);
    const source = `syslog tcp ${sock.remoteAddress ?? '?'}`;
    const max = this.o.maxMessageBytes ?? 65536;
    let buf: Buffer = Buffer.alloc(0);
    sock.on('data', (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      for (;;) {
        if (buf.length === 0) break;
        // Octet counting: "LEN SP MSG" where LEN is digits (RFC 6587 §3.4.1).
        const m = /^(\d{1,7}) /.exec(buf.subarray(0, 8).toString('latin1'));
        if (m) {
          const len = Number(m[1]);
          const head = m[0].length;
          if (len > max) {
            this.push('x'.repeat(max + 1), source); // reported as too large
            if (buf.length < head + len) {
              sock.destroy(); // cannot resynchronise a stream with a bogus length
              return;
            }
            buf = buf.subarray(head + len);
            continue;
          }
          if (buf.length < head + len) break;
          this.push(buf.toString('utf8', head, head + len), source);
          buf = buf.subarray(head + len);
          continue;
        }
        // Newline (or NUL) delimited.
        let nl = buf.indexOf(0x0a);
        const nul = buf.indexOf(0x00);
        if (nul >= 0 && (nl < 0 || nul < nl)) nl = nul;
        if (nl < 0) {
          if (buf.length > max) {
            this.push('x'.repeat(max + 1), source);
            buf = Buffer.alloc(0);
          }
          break;
        }
        this.push(buf.toString('utf8', 0, nl), source);
        buf = buf.subarray(nl + 1);
      }
    });
    sock.on('end', () => {
      if (buf.length > 0) this.push(buf.toString('utf8'), source);
      buf = Buffer.alloc(0);
    });
    sock.on('close', () => this.sockets.delete(sock));
    sock.on('error', (err) => this.o.onError?.(err));
  }
}
