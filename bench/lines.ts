// Line-by-line reading of large files without holding them in one string.
import { closeSync, openSync, readSync } from 'node:fs';

const NL = 0x0a;

/**
 * Calls onLine for every non-empty line (without the \n, nor a trailing \r) of the
 * file, read in buf-sized chunks; onLine returning false stops the reading.
 */
export function forEachLine(path: string, buf: Buffer, onLine: (b: Buffer, start: number, end: number) => boolean | void): void {
  const fd = openSync(path, 'r');
  let carry: Buffer | null = null;
  try {
    for (;;) {
      const got = readSync(fd, buf, 0, buf.length, null);
      if (got === 0) break;
      let data = buf.subarray(0, got);
      if (carry !== null) {
        data = Buffer.concat([carry, data]);
        carry = null;
      }
      let start = 0;
      let i = data.indexOf(NL);
      while (i !== -1) {
        const end = i > start && data[i - 1] === 0x0d ? i - 1 : i;
        if (end > start && onLine(data, start, end) === false) return;
        start = i + 1;
        i = data.indexOf(NL, start);
      }
      if (start < data.length) carry = Buffer.from(data.subarray(start));
    }
    if (carry !== null && carry.length > 0) onLine(carry, 0, carry.length);
  } finally {
    closeSync(fd);
  }
}
