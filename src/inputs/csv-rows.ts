// CSV rows the fast framing has already cut out (inputs/fast-frames.ts: the
// scan kernel finds the row ends, newlines outside quotes), split into cells
// for the common case only: every cell plain or quoted RFC 4180-style, as many
// cells as the header names, no line break anywhere. Anything else — a quote
// inside an unquoted cell, text after a closing quote, a quote left open, a
// different count of cells, a header csv-parse would read differently — is
// not split here (null), and csv-parse parses the row as before, with its
// errors. Why not csv-parse for these too: its parser reads a character at a
// time (~21 ns a character warm on the bench's rows, more before V8 has
// compiled it, which a hunt meets once, mid-run), and a Purview export's rows
// are ~2 KB of AuditData JSON each. Here a row costs an indexOf per plain cell
// and one sticky regular expression per quoted one (~3.7 ns a character; the
// Purview task of a 1M-record hunt, 50 % from alerted IPs, 317–451 → 260–320
// ms: docs/performance.md, eighteenth round).
// The test (test/csv-rows.test.ts) holds every answer to csv-parse's.

/**
 * Can rows be mapped onto this header here? Its names must be distinct (csv-parse
 * would let a later cell overwrite an earlier one) and not "__proto__" (which an
 * assignment would take for the object's prototype).
 */
export function plainHeader(header: readonly string[]): boolean {
  return header.length > 0 && new Set(header).size === header.length && !header.includes('__proto__');
}

const QUOTE = 0x22;
const COMMA = 0x2c;
/** A quoted cell at lastIndex: its text between the quotes, "" pairs still doubled (the loop unrolled: no backtracking per character). */
const QUOTED = /"([^"]*(?:""[^"]*)*)"/y;

/**
 * The cells of one CSV row (no line break in it) by the header's names, as
 * csv-parse gives them with `columns: header` — or null when the row is not of
 * the plain form this reads (then csv-parse must). The header must pass plainHeader.
 */
export function plainCsvRow(text: string, header: readonly string[]): Record<string, string> | null {
  const n = text.length;
  if (n === 0 || text.includes('\n') || text.includes('\r')) return null;
  const out: Record<string, string> = {};
  let p = 0;
  let c = 0;
  for (;;) {
    if (c >= header.length) return null;
    let value: string;
    if (text.charCodeAt(p) === QUOTE) {
      // A quoted cell: up to a quote that is not the first of a doubled pair ("" inside is one quote).
      QUOTED.lastIndex = p;
      const m = QUOTED.exec(text);
      if (m === null) return null;
      value = m[1]!;
      // (Not replaceAll('""', '"'): V8 builds its answer as a rope, three small strings a
      // pair; a Purview AuditData cell has ~150 pairs, ~13 KB of garbage a row, and the
      // ropes of rows waiting to be decoded outlived scavenges: the Purview task's
      // collector time fell by two thirds, the task by a third, with split and join.)
      if (value.includes('"')) value = value.split('""').join('"');
      p = QUOTED.lastIndex;
      if (p < n && text.charCodeAt(p) !== COMMA) return null;
    } else {
      let end = text.indexOf(',', p);
      if (end < 0) end = n;
      value = text.slice(p, end);
      if (value.includes('"')) return null;
      p = end;
    }
    out[header[c]!] = value;
    c++;
    if (p >= n) break;
    p++; // past the comma: a row ending in one has an empty last cell
  }
  return c === header.length ? out : null;
}
