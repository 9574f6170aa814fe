// A cheap test on a record's raw text, run before it is parsed once every
// network alert is known (hunt's second pass): can this record name one of the
// alerted IPs, in any spelling? If not, it cannot matter to any detection and is
// not parsed at all.
//
// It must never say no to a record that names an alerted IP; saying yes too
// often only costs time. Spellings:
//  - IPv4 a.b.c.d: every spelling that canonicalises to it ("a.b.c.d:port",
//    "[a.b.c.d]", "::ffff:a.b.c.d", "host (a.b.c.d)") contains "a.b.c.d". The
//    one that does not, IPv4-mapped in hex ("::ffff:5102:45a0"), is caught by
//    letting any text with "ffff:" through.
//  - IPv6: public (global unicast) addresses lie in 2000::/3, so the first group
//    is four hex digits with no leading zero to drop: every spelling
//    (compressed, expanded, bracketed) contains it, in lower or upper case.
//    Another alerted IPv6 (rare: special ranges are excluded before) turns the
//    filter off.

/** Beyond this many alerted IPs, address-like tokens are looked up instead of searching for each IP. */
const MANY = 64;

export type Prefilter = (text: string) => boolean;

export function ipPrefilter(ips: Iterable<string>): Prefilter {
  const v4 = new Set<string>();
  const v6 = new Set<string>();
  for (const ip of ips) {
    if (ip.includes(':')) {
      const head = ip.split(':', 1)[0]!;
      if (!/^[23][0-9a-f]{3}$/.test(head)) return () => true;
      v6.add(head);
    } else {
      v4.add(ip);
    }
  }
  if (v4.size === 0 && v6.size === 0) return () => false;
  const v4List = [...v4];
  const v6List = [...v6];
  const v6Upper = v6List.map((h) => h.toUpperCase());
  if (v4List.length + v6List.length <= MANY) {
    return (text) => {
      for (let i = 0; i < v4List.length; i++) if (text.includes(v4List[i]!)) return true;
      for (let i = 0; i < v6List.length; i++) if (text.includes(v6List[i]!) || text.includes(v6Upper[i]!)) return true;
      return v4List.length > 0 && (text.includes('ffff:') || text.includes('FFFF:'));
    };
  }
  // Many alerted IPs: jump from dot to dot (a native search) and look up each
  // dotted-quad-shaped token, instead of searching the text once per IP.
  const v6Heads = [...v6];
  const v6HeadsUpper = v6Heads.map((h) => h.toUpperCase());
  return (text) => {
    if (v4.size > 0) {
      if (hasV4Token(text, v4)) return true;
      if (text.includes('ffff:') || text.includes('FFFF:')) return true;
    }
    for (let i = 0; i < v6Heads.length; i++) if (text.includes(v6Heads[i]!) || text.includes(v6HeadsUpper[i]!)) return true;
    return false;
  };
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/**
 * Does `text` hold a dotted quad that is in `ips`? Every maximal run of digits
 * and dots around a dot is examined once; within a run, every window of four
 * dot-separated numbers is tried ("181.2.69.160" holds "81.2.69.160" only as a
 * suffix of a number, so each start inside the first number is tried too).
 */
export function hasV4Token(text: string, ips: ReadonlySet<string>): boolean {
  let pos = 0;
  for (;;) {
    const dot = text.indexOf('.', pos);
    if (dot < 0) return false;
    let start = dot;
    while (start > 0 && (isDigit(text.charCodeAt(start - 1)) || text.charCodeAt(start - 1) === 46)) start--;
    let end = dot + 1;
    while (end < text.length && (isDigit(text.charCodeAt(end)) || text.charCodeAt(end) === 46)) end++;
    if (end - start >= 7) {
      const run = text.slice(start, end);
      const parts = run.split('.');
      for (let k = 0; k + 4 <= parts.length; k++) {
        const a = parts[k]!;
        const rest = `${parts[k + 1]}.${parts[k + 2]}.${parts[k + 3]}`;
        // The first number may be the tail of a longer one: try its last 1 to 3 digits.
        for (let len = 1; len <= 3 && len <= a.length; len++) {
          if (ips.has(`${a.slice(a.length - len)}.${rest}`)) return true;
        }
      }
    }
    pos = end + 1;
  }
}
