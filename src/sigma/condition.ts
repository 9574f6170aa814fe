// The `condition:` language of Sigma detections (rules specification v2,
// "Condition"): search identifiers, `and`, `or`, `not`, brackets, and
// `1 of` / `any of` / `all of` a pattern or `them`. Precedence, least binding
// first: or, and, not, x of, ( ). Operators are lower-case, as the specification
// writes them and pySigma reads them; an upper-case one gets a hint. Names are
// resolved while parsing, so an unknown identifier is an error here, not a
// surprise at match time.
import type { ConditionNode } from './types.js';
import { compileWildcard } from './pattern.js';

/** Brackets and `not`s nested deeper than this are refused (the parser recurses). */
export const MAX_CONDITION_DEPTH = 64;

export type ConditionResult = { ok: true; node: ConditionNode } | { ok: false; message: string };

const KEYWORDS = new Set(['and', 'or', 'not', 'of']);
const WORD = /[A-Za-z0-9_\-*]/;

interface Token {
  text: string;
  /** 1-based column, for messages. */
  col: number;
}

class ConditionError extends Error {}

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if (c === '(' || c === ')') {
      out.push({ text: c, col: i + 1 });
      i++;
    } else if (WORD.test(c)) {
      const start = i;
      while (i < text.length && WORD.test(text[i]!)) i++;
      out.push({ text: text.slice(start, i), col: start + 1 });
    } else {
      throw new ConditionError(`unexpected character '${c}' at column ${i + 1}`);
    }
  }
  return out;
}

/** Names a `1 of <pattern>` reaches; `them` and patterns skip names starting with `_` unless the pattern does too (as pySigma). */
function resolvePattern(pattern: string, names: readonly string[]): string[] {
  const fits = pattern === 'them' ? () => true : compileWildcard(pattern, 'equals', false);
  const underscore = pattern.startsWith('_');
  return names.filter((n) => fits(n) && (underscore || !n.startsWith('_')));
}

class Parser {
  private pos = 0;
  private depth = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly names: readonly string[],
  ) {}

  parse(): ConditionNode {
    const node = this.or();
    const t = this.peek();
    if (t) {
      if (t.text === ')') throw new ConditionError(`unexpected ')' at column ${t.col}`);
      throw new ConditionError(`expected 'and', 'or' or end of condition at column ${t.col}, found '${t.text}'${this.caseHint(t.text)}`);
    }
    return node;
  }

  private peek(offset = 0): Token | undefined {
    return this.tokens[this.pos + offset];
  }

  private caseHint(word: string): string {
    return KEYWORDS.has(word.toLowerCase()) && !KEYWORDS.has(word) ? ` (operators are lower-case: '${word.toLowerCase()}')` : '';
  }

  private nest(): void {
    if (++this.depth > MAX_CONDITION_DEPTH) throw new ConditionError(`condition nested deeper than ${MAX_CONDITION_DEPTH} levels`);
  }

  private or(): ConditionNode {
    const args = [this.and()];
    while (this.peek()?.text === 'or') {
      this.pos++;
      args.push(this.and());
    }
    return args.length === 1 ? args[0]! : { op: 'or', args };
  }

  private and(): ConditionNode {
    const args = [this.unary()];
    while (this.peek()?.text === 'and') {
      this.pos++;
      args.push(this.unary());
    }
    return args.length === 1 ? args[0]! : { op: 'and', args };
  }

  private unary(): ConditionNode {
    if (this.peek()?.text !== 'not') return this.primary();
    this.pos++;
    this.nest();
    const arg = this.unary();
    this.depth--;
    return { op: 'not', arg };
  }

  private primary(): ConditionNode {
    const t = this.peek();
    if (!t) throw new ConditionError('expected a search identifier, found the end of the condition');
    this.pos++;
    if (t.text === '(') {
      this.nest();
      const node = this.or();
      this.depth--;
      const close = this.peek();
      if (close?.text !== ')') throw new ConditionError(`expected ')' for the '(' at column ${t.col}`);
      this.pos++;
      return node;
    }
    if (t.text === ')' || KEYWORDS.has(t.text)) throw new ConditionError(`expected a search identifier at column ${t.col}, found '${t.text}'`);
    const next = this.peek();
    if (next && next.text.toLowerCase() === 'of' && ['1', 'any', 'all'].includes(t.text.toLowerCase())) {
      if (next.text !== 'of' || !['1', 'any', 'all'].includes(t.text)) {
        throw new ConditionError(`'${t.text} ${next.text}' at column ${t.col}: operators are lower-case ('${t.text.toLowerCase()} of')`);
      }
      this.pos++;
      return this.quantified(t.text === 'all' ? 'all' : 'one', t);
    }
    if (this.names.includes(t.text)) return { op: 'ref', name: t.text };
    if (t.text.includes('*')) throw new ConditionError(`'${t.text}' at column ${t.col}: a pattern needs '1 of' or 'all of' before it`);
    throw new ConditionError(`unknown search identifier '${t.text}' at column ${t.col}${this.caseHint(t.text)}`);
  }

  private quantified(quantifier: 'one' | 'all', at: Token): ConditionNode {
    const p = this.peek();
    if (!p || p.text === '(' || p.text === ')' || KEYWORDS.has(p.text)) {
      throw new ConditionError(`expected a search identifier pattern or 'them' after '${at.text} of' at column ${at.col}`);
    }
    this.pos++;
    const names = resolvePattern(p.text, this.names);
    if (names.length === 0) throw new ConditionError(`'${at.text} of ${p.text}': '${p.text}' matches no search identifier`);
    return { op: 'of', quantifier, pattern: p.text, names };
  }
}

/**
 * Parses one condition against the detection's search identifiers (in their
 * order). Never throws: a problem comes back as a message.
 */
export function parseCondition(text: string, names: readonly string[]): ConditionResult {
  if (text.includes('|')) {
    return { ok: false, message: 'aggregations in the condition (`| count() ...`, `| near ...`) were removed in Sigma v2: write a correlation rule (correlation:) instead' };
  }
  try {
    const tokens = tokenize(text);
    if (tokens.length === 0) return { ok: false, message: 'the condition is empty' };
    return { ok: true, node: new Parser(tokens, names).parse() };
  } catch (err) {
    if (err instanceof ConditionError) return { ok: false, message: err.message };
    throw err;
  }
}
