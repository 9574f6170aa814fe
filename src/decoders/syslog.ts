// The syslog header in front of firewall and IDS lines (PAN-OS, FortiGate, CEF,
// Snort): RFC 5424 ("<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG"), RFC 3164
// ("<PRI>Mmm dd hh:mm:ss HOST MSG"), the same without a PRI (as files written by
// a syslog daemon hold them), and ISO timestamps in the 3164 position. Decoders
// call splitSyslog() on a text record and read the vendor payload from `message`.

export interface SyslogHeader {
  pri?: number;
  /** The header's timestamp text, when there is one (year-less for RFC 3164). */
  timestamp?: string;
  host?: string;
  app?: string;
  /** The payload after the header (the whole line when there is no header). */
  message: string;
}

const PRI_RE = /^<(\d{1,3})>/;
const RFC5424_RE = /^1 (\S+) (\S+) (\S+) (\S+) (\S+) (-|(?:\[(?:[^\]\\]|\\.)*\])+) ?([\s\S]*)$/;
const BSD_TS = /^([A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2}(?:\.\d+)?)(?: (\d{4}))? /;
// "Mar 04 2024 10:00:00": the year before the time, as ArcSight, Check Point and Trend Micro senders write it.
const BSD_YEAR_FIRST_TS = /^([A-Z][a-z]{2}) ([ \d]\d) (\d{4}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?) /;
const ISO_TS = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?) /;
// "HOST " then an optional "app[pid]: " tag.
const HOST_TAG = /^(\S+) (?:([\w./-]+)(?:\[\d+\])?: )?/;

export function splitSyslog(line: string): SyslogHeader {
  let rest = line;
  const out: SyslogHeader = { message: line };
  const pri = PRI_RE.exec(rest);
  if (pri) {
    const n = Number(pri[1]);
    if (n <= 191) out.pri = n;
    rest = rest.slice(pri[0].length);
  }
  const r5424 = pri ? RFC5424_RE.exec(rest) : null;
  if (r5424) {
    if (r5424[1] !== '-') out.timestamp = r5424[1];
    if (r5424[2] !== '-') out.host = r5424[2];
    if (r5424[3] !== '-') out.app = r5424[3];
    out.message = r5424[7] ?? '';
    return out;
  }
  const yf = BSD_YEAR_FIRST_TS.exec(rest);
  const ts = yf ? null : BSD_TS.exec(rest) ?? ISO_TS.exec(rest);
  if (yf) {
    // Normalised to the "Mmm dd hh:mm:ss yyyy" form the decoders read.
    out.timestamp = `${yf[1]} ${yf[2]} ${yf[4]} ${yf[3]}`;
    rest = rest.slice(yf[0].length);
  } else if (ts) {
    out.timestamp = ts[2] ? `${ts[1]} ${ts[2]}` : ts[1];
    rest = rest.slice(ts[0].length);
  } else {
    out.message = rest;
    return out;
  }
  const ht = HOST_TAG.exec(rest);
  // A payload that itself starts like "key=value" or "CEF:" has no host before it.
  if (ht && !ht[1]!.includes('=') && !ht[1]!.startsWith('CEF:') && !ht[1]!.startsWith('LEEF:')) {
    out.host = ht[1];
    if (ht[2]) out.app = ht[2];
    rest = rest.slice(ht[0].length);
  }
  out.message = rest;
  return out;
}
