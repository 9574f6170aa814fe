// The syslog header in front of firewall and IDS lines (PAN-OS, FortiGate, CEF,
// Snort), as devices send it and as relays (rsyslog, syslog-ng) forward or file it:
//   RFC 5424   "<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD [BOM]MSG" (SD "-" or [id k="v"]…)
//   RFC 3164   "<PRI>Mmm dd hh:mm:ss HOST TAG: MSG", with or without PRI, HOST or TAG
//   ISO time   "2024-03-04T10:00:00.123456+01:00 HOST TAG MSG" (rsyslog's RSYSLOG_FileFormat,
//              syslog-ng's ts-format(iso)) and "Mmm dd yyyy hh:mm:ss" (year first).
// A relay that could not parse a device's header keeps it inside its own message
// ("<134>… relay01 <134>Mar  4 09:59:59 fw01 CEF:…"): the inner header is the
// device's, so its time and host win. Decoders call splitSyslog() on a text
// record and read the vendor payload from `message`. Every pattern is anchored
// and linear, so a long or hostile line costs one pass.

export interface SyslogHeader {
  pri?: number;
  /** The header's timestamp text, when there is one (year-less for RFC 3164; "Mmm dd" space-padded). */
  timestamp?: string;
  host?: string;
  app?: string;
  /** Hosts of relays whose headers wrapped the device's own, outermost first. */
  relays?: string[];
  /** The payload after the header (the whole line when there is no header). */
  message: string;
}

const PRI_RE = /^<(\d{1,3})>/;
// SD elements: "[" … "]" where "]", '"' and "\" inside a value are escaped with "\".
const RFC5424_RE = /^1 (\S+) (\S+) (\S+) (\S+) (\S+) (-|(?:\[(?:[^\]\\]|\\.)*\])+)(?: ([\s\S]*))?$/;
// "Mar  4 10:00:00", also "Mar 4" and "Mar 04" (senders that pad differently), an optional year after the time.
const BSD_TS = /^([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)(?: (\d{4}))? +/;
// "Mar 04 2024 10:00:00": the year before the time, as ArcSight, Check Point and Trend Micro senders write it.
const BSD_YEAR_FIRST_TS = /^([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{4}) (\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?) +/;
const ISO_TS = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?) +/;
// A host name or address; "-" is the RFC 5424 NILVALUE, which rsyslog copies into 3164 output.
// Payloads never start with such a word followed by a space ("CEF:0|…", "date=…", "1,2024/…").
const HOST_RE = /^([\w.:%-]{1,255}) +/;
// The tag: "app[pid]: ", "app: ", "app[pid] " (rsyslog's tag for a 5424 message with a PROCID)
// and "- " (its tag for a NILVALUE APP-NAME).
const TAG_RE = /^(?:([^\s[\]:]{1,64})(?:\[[^\]\s]{0,32}\])?:(?: +|$)|([^\s[\]:]{1,64})\[[^\]\s]{0,32}\] +|- +)/;
// "CEF: 0|…": rsyslog took "CEF:" for a tag and put a space after it; the payload still starts here.
const CEF_TAG_RE = /^(?:CEF|LEEF): ?\d{1,3}\|/;
/** How many relay headers are peeled off one line, at most. */
const MAX_NESTED = 3;
// "1544 <14>1 2026-…": an RFC 6587 octet count a relay kept in the message when it
// wrote the TCP frame it received (Palo Alto's cloud log forwarder through a syslog relay).
const KEPT_OCTET_COUNT = /^\d{1,6} (?=<\d{1,3}>)/;

export function splitSyslog(line: string): SyslogHeader {
  let out = splitOne(line);
  for (let depth = 0; depth < MAX_NESTED && (out.pri !== undefined || out.timestamp !== undefined); depth++) {
    const c = out.message.charCodeAt(0);
    // Only "<PRI>…" or a digit / capital (a timestamp) can start an inner header.
    if (!(c === 0x3c || (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a))) break;
    const counted = KEPT_OCTET_COUNT.exec(out.message);
    const inner = splitOne(counted ? out.message.slice(counted[0].length) : out.message);
    // An inner PRI is a header; a bare time is one only with a host after it and no tag before it
    // (a message text may well start with a date).
    const isHeader = inner.pri !== undefined
      || (out.app === undefined && inner.timestamp !== undefined && inner.host !== undefined);
    if (!isHeader) break;
    const relays = [...(out.relays ?? []), ...(out.host !== undefined ? [out.host] : [])];
    const merged: SyslogHeader = { message: inner.message };
    const pri = inner.pri ?? out.pri;
    if (pri !== undefined) merged.pri = pri;
    // The device's own time; the relay's only when the device sent none (a FortiGate's bare "<189>date=…").
    const timestamp = inner.timestamp ?? out.timestamp;
    if (timestamp !== undefined) merged.timestamp = timestamp;
    if (inner.host !== undefined) merged.host = inner.host;
    if (inner.app !== undefined) merged.app = inner.app;
    if (relays.length > 0) merged.relays = relays;
    out = merged;
  }
  return out;
}

function splitOne(line: string): SyslogHeader {
  let rest = line;
  const out: SyslogHeader = { message: line };
  const pri = PRI_RE.exec(rest);
  if (pri) {
    const n = Number(pri[1]);
    if (n <= 191) out.pri = n;
    rest = rest.slice(pri[0].length);
    const r5424 = RFC5424_RE.exec(rest);
    if (r5424) return from5424(r5424, out);
    // "<134> Mar  4 …": a few senders put a space after the PRI.
    rest = rest.replace(/^ +/, '');
  }
  const yf = BSD_YEAR_FIRST_TS.exec(rest);
  const bsd = yf ? null : BSD_TS.exec(rest);
  const iso = yf || bsd ? null : ISO_TS.exec(rest);
  if (yf) {
    // Normalised to the "Mmm dd hh:mm:ss yyyy" form the decoders read.
    out.timestamp = `${yf[1]} ${yf[2]!.padStart(2, ' ')} ${yf[4]} ${yf[3]}`;
    rest = rest.slice(yf[0].length);
  } else if (bsd) {
    const ts = `${bsd[1]} ${bsd[2]!.padStart(2, ' ')} ${bsd[3]}`;
    out.timestamp = bsd[4] ? `${ts} ${bsd[4]}` : ts;
    rest = rest.slice(bsd[0].length);
  } else if (iso) {
    out.timestamp = iso[1];
    rest = rest.slice(iso[0].length);
  } else {
    out.message = rest;
    return out;
  }
  const host = HOST_RE.exec(rest);
  // A word ending in ":" is a tag ("sshd: …" from a sender that wrote no host).
  if (host && !host[1]!.endsWith(':')) {
    if (host[1] !== '-') out.host = host[1];
    rest = rest.slice(host[0].length);
  }
  if (!CEF_TAG_RE.test(rest)) {
    const tag = TAG_RE.exec(rest);
    if (tag) {
      const app = tag[1] ?? tag[2];
      if (app !== undefined) out.app = app;
      rest = rest.slice(tag[0].length);
    }
  }
  out.message = lead(rest);
  return out;
}

function from5424(r: RegExpExecArray, out: SyslogHeader): SyslogHeader {
  const [, ts, host, app, procid, msgid] = r;
  if (ts !== '-') out.timestamp = ts;
  if (host !== '-') out.host = host;
  const msg = r[7] ?? '';
  // A relay that turned a 3164 message into 5424 made its first word the APP-NAME (rsyslog's
  // RSYSLOG_SyslogProtocol23Format, syslog-ng's syslog() driver): "CEF - - - 0|…",
  // "date=2024-03-04 - - -  time=…", "<134>Mar - - -   4 …". A word no program is named
  // like goes back in front of the payload (rsyslog keeps the space after it in MSG).
  if (app !== undefined && procid === '-' && msgid === '-') {
    const payload = lead(msg);
    if ((app === 'CEF' || app === 'LEEF') && /^\d{1,3}\|/.test(payload)) {
      out.message = `${app}:${payload}`;
      return out;
    }
    if (/[=,]|^<\d/.test(app)) {
      out.message = msg.startsWith(' ') ? `${app}${msg}` : `${app} ${msg}`;
      return out;
    }
  }
  if (app !== '-') out.app = app;
  out.message = lead(msg);
  return out;
}

/** The message without the spaces a relay leaves in front of it and without a UTF-8 BOM (RFC 5424 §6.4). */
function lead(msg: string): string {
  let i = 0;
  while (msg.charCodeAt(i) === 0x20) i++;
  if (msg.charCodeAt(i) === 0xfeff) i++;
  return i === 0 ? msg : msg.slice(i);
}
