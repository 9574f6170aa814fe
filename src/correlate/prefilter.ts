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
  const V4_TOKEN = /\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}/g;
  const V6_HEAD = /[23][0-9A-Fa-f]{3}:/g;
  return (text) => {
    if (v4.size > 0) {
      V4_TOKEN.lastIndex = 0;
      for (let m = V4_TOKEN.exec(text); m; m = V4_TOKEN.exec(text)) {
        if (v4.has(m[0])) return true;
        // Overlapping candidates: "181.2.69.160" also holds "81.2.69.160".
        V4_TOKEN.lastIndex = m.index + 1;
      }
      if (text.includes('ffff:') || text.includes('FFFF:')) return true;
    }
    if (v6.size > 0) {
      V6_HEAD.lastIndex = 0;
      for (let m = V6_HEAD.exec(text); m; m = V6_HEAD.exec(text)) {
        if (v6.has(m[0].slice(0, 4).toLowerCase())) return true;
        V6_HEAD.lastIndex = m.index + 1;
      }
    }
    return false;
  };
}
