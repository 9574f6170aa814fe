// What the CLI writes for people: text from records (file names, signatures,
// user agents, rejected lines) is attacker-controlled, so control characters are
// shown escaped, never sent to the terminal as commands; colour only on a
// terminal that wants it.
import { styleText } from 'node:util';

/**
 * C0 and C1 controls (ESC starts terminal commands; 8-bit CSI is U+009B), DEL,
 * line/paragraph separators and the bidirectional overrides that reorder what a
 * reader sees ("Trojan Source"). Newlines and tabs are kept only where `keepLines`.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex
const UNSAFE_WITH_LINES = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escape(ch: string): string {
  const c = ch.charCodeAt(0);
  return c <= 0xff ? `\\x${c.toString(16).padStart(2, '0')}` : `\\u${c.toString(16).padStart(4, '0')}`;
}

/** The text with every control character written as an escape (`\x1b`); newlines and tabs kept when keepLines. */
export function terminalSafe(s: string, keepLines = true): string {
  return s.replace(keepLines ? UNSAFE : UNSAFE_WITH_LINES, escape);
}

export type Style = 'bold' | 'dim' | 'red' | 'green' | 'yellow' | 'cyan';

/**
 * Colour for a stream: on a terminal, unless NO_COLOR is set or TERM is "dumb";
 * FORCE_COLOR=1 (or any value but 0) turns it on anywhere (https://no-color.org).
 */
export function colourFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): (style: Style, s: string) => string {
  const force = env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== '';
  const on = force || (stream.isTTY === true && env.NO_COLOR === undefined && env.TERM !== 'dumb');
  if (!on) return (_style, s) => s;
  // styleText (Node's own) knows the codes; whether to use them is decided above
  // (Node 22 would otherwise check stdout, not the stream written to).
  const style = styleText as (format: Style, text: string, options?: { validateStream?: boolean }) => string;
  return (name, s) => style(name, s, { validateStream: false });
}
