// Canonical IP form (DESIGN.md §2): IPv4 dotted quad; IPv6 lower-case RFC 5952;
// IPv4-mapped IPv6 becomes the IPv4; ports, brackets, zone ids and whitespace are
// stripped; anything that is not an IP is no IP. Parsing is ipaddr.js's; this file
// only peels the vendor wrappings off before handing the string over.
import ipaddr from 'ipaddr.js';

// Vendors wrap addresses in many ways: "1.2.3.4:5678", "[2a02::1]:443",
// "host.example (1.2.3.4)", "[NAME (1.2.3.4)]", "fe80::1%eth0", " 1.2.3.4 ".
// A bounded input keeps attacker-sized strings out of the parser.
const MAX_IP_TEXT = 256;

/** Returns the canonical form of an IP written in any common vendor spelling, or null. */
export function canonicalIp(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  // Logs name the same few addresses over and over, and IPv6 parsing is dear:
  // answers are remembered, up to a bound (a flood of distinct addresses only
  // empties the memory sooner).
  if (value.length > CANONICAL_MEMO_CHARS) return canonicalIpOf(value);
  const known = canonicalMemo.get(value);
  if (known !== undefined) return known;
  const ip = canonicalIpOf(value);
  if (canonicalMemo.size >= CANONICAL_MEMO_MAX) canonicalMemo.clear();
  canonicalMemo.set(value, ip);
  return ip;
}
const canonicalMemo = new Map<string, string | null>();
const CANONICAL_MEMO_MAX = 4096;
const CANONICAL_MEMO_CHARS = 64;

function canonicalIpOf(value: string): string | null {
  let s = value.trim();
  if (s.length === 0 || s.length > MAX_IP_TEXT) return null;
  // "NAME (ip)" and "[NAME (ip)]": the address is inside the last parentheses.
  if (s.endsWith(')') || s.endsWith(')]')) {
    const open = s.lastIndexOf('(');
    const close = s.lastIndexOf(')');
    if (open >= 0 && close > open) s = s.slice(open + 1, close).trim();
  }
  // "[v6]:port", "[v6]", "[v4]:port"
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0) return null;
    s = s.slice(1, close);
  } else {
    const firstColon = s.indexOf(':');
    // "v4:port": exactly one colon, and a dot before it.
    if (firstColon > 0 && firstColon === s.lastIndexOf(':') && s.lastIndexOf('.', firstColon) > 0) {
      s = s.slice(0, firstColon);
    }
  }
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  return canonicalBareIp(s);
}

/** An IPv6 address (canonical, as canonicalIp gives it) as four 32-bit words, most significant first; null for IPv4 or anything else. */
export function ipv6Words(ip: string): [number, number, number, number] | null {
  if (!ip.includes(':') || !ipaddr.IPv6.isValid(ip)) return null;
  const p = ipaddr.IPv6.parse(ip).parts;
  return [0, 1, 2, 3].map((i) => ((p[2 * i]! << 16) | p[2 * i + 1]!) >>> 0) as [number, number, number, number];
}

/** A canonical dotted quad (no leading zeros) as a 32-bit number, or null for anything else. */
export function ipv4Number(s: string): number | null {
  let n = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x2e) {
      if (digits === 0 || dots === 3) return null;
      n = n * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits > 0 && part === 0) return null; // a leading zero
      part = part * 10 + (c - 0x30);
      if (++digits > 3 || part > 255) return null;
    } else {
      return null;
    }
  }
  return dots === 3 && digits > 0 ? n * 256 + part : null;
}

function canonicalBareIp(s: string): string | null {
  // A dotted quad already in canonical form: most addresses in logs.
  if (ipv4Number(s) !== null) return s;
  if (s.includes(':')) {
    if (!ipaddr.IPv6.isValid(s)) return null;
    const v6 = ipaddr.IPv6.parse(s);
    if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().toString();
    return v6.toRFC5952String();
  }
  // Only the four-part decimal form: "10.1" or "0x7f.0.0.1" are not how logs write addresses.
  if (!ipaddr.IPv4.isValidFourPartDecimal(s)) return null;
  return ipaddr.IPv4.parse(s).toString();
}

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

/**
 * Parses "a.b.c.d/n", "v6/n" or a bare address. ipaddr.js alone would read the
 * shorthand "10/8" as 0.0.0.10/8 and "10.1" as 10.0.0.1; here an IPv4 prefix with
 * fewer than four parts is zero-padded ("10/8" = 10.0.0.0/8, "192.168/16"), and
 * addresses must be four-part decimal IPv4 or IPv6 without a zone.
 */
function parseStrictCidr(text: string): Cidr | null {
  const m = /^([^/\s]+)(?:\/(\d{1,3}))?$/.exec(text);
  if (!m) return null;
  let addrText = m[1]!;
  const bitsText = m[2];
  if (addrText.includes(':')) {
    if (addrText.includes('%') || !ipaddr.IPv6.isValid(addrText)) return null;
  } else {
    if (bitsText !== undefined && /^\d{1,3}(?:\.\d{1,3}){0,2}$/.test(addrText)) {
      addrText = [...addrText.split('.'), '0', '0', '0'].slice(0, 4).join('.');
    }
    if (!ipaddr.IPv4.isValidFourPartDecimal(addrText)) return null;
  }
  const addr = ipaddr.parse(addrText);
  const max = addr.kind() === 'ipv4' ? 32 : 128;
  const bits = bitsText === undefined ? max : Number(bitsText);
  return bits <= max ? [addr, bits] : null;
}

/** A set of CIDR ranges that canonical IPs are tested against. */
export class CidrSet {
  /** IPv4 ranges as numbers: a canonical dotted quad is matched without ipaddr.js (which costs microseconds an address). */
  private readonly v4: Array<{ net: number; mask: number; text: string }> = [];
  private readonly v6: Array<[ipaddr.IPv6, number]> = [];
  readonly cidrs: string[] = [];

  constructor(cidrs: Iterable<string>) {
    for (const c of cidrs) this.add(c);
  }

  /** Adds a CIDR ("1.2.3.0/24") or a bare address; throws with the offending text. */
  add(cidr: string): void {
    const text = cidr.trim();
    const parsed = parseStrictCidr(text);
    if (!parsed) throw new Error(`not an IP address or CIDR range: "${text}"`);
    let [addr, bits] = parsed;
    if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
      addr = (addr as ipaddr.IPv6).toIPv4Address();
      bits -= 96;
    }
    if (addr.kind() === 'ipv4') {
      const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
      const net = (ipv4Number(addr.toString())! & mask) >>> 0;
      this.v4.push({ net, mask, text: `${addr.toString()}/${bits}` });
    } else {
      this.v6.push([addr as ipaddr.IPv6, bits]);
    }
    this.cidrs.push(text);
  }

  /** Returns the first range containing the canonical IP, or null. */
  match(ip: string): string | null {
    let n = ipv4Number(ip);
    let addr: ipaddr.IPv4 | ipaddr.IPv6 | null = null;
    if (n === null) {
      try {
        addr = ipaddr.parse(ip);
      } catch {
        return null;
      }
      if (addr.kind() === 'ipv4') n = ipv4Number(addr.toString());
    }
    if (n !== null) {
      for (const r of this.v4) if (((n & r.mask) >>> 0) === r.net) return r.text;
    } else if (addr) {
      const list = this.v6;
      for (let i = 0; i < list.length; i++) {
        const [net, bits] = list[i]!;
        if ((addr as ipaddr.IPv6).match(net, bits)) return `${net.toRFC5952String()}/${bits}`;
      }
    }
    return null;
  }
}

/**
 * IANA special-purpose ranges (DESIGN.md §2 list, plus the rest of the IANA
 * registries' non-global entries): an alert keyed on one of these is not a
 * public attacker.
 */
export const SPECIAL_PURPOSE_RANGES: readonly string[] = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.0.2.0/24',
  '192.31.196.0/24',
  '192.52.193.0/24',
  '192.88.99.0/24',
  '192.168.0.0/16',
  '192.175.48.0/24',
  '198.18.0.0/15',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '224.0.0.0/4',
  '240.0.0.0/4',
  '255.255.255.255/32',
  '::/128',
  '::1/128',
  '64:ff9b:1::/48',
  '100::/64',
  '2001::/23',
  '2001:db8::/32',
  'fc00::/7',
  'fe80::/10',
  'ff00::/8',
];

export const specialPurpose = new CidrSet(SPECIAL_PURPOSE_RANGES);
