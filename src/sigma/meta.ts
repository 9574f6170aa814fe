// The metadata every Sigma document carries (rules specification v2, "Components";
// json-schema/sigma-detection-rule-schema.json), type-checked key by key. Keys the
// specification does not name are kept in `raw` untouched: it allows "arbitrary
// custom fields". Decisions where the specification leaves room:
// - `id` is required (the spec: optional): crosswatch derives alert ids from it.
//   Any 1-128 letters, digits, `.`, `_`, `:`, `-` (a UUID in SigmaHQ), so it is safe
//   in file names, URLs and logs.
// - `level` defaults to medium ("Relevant event that should be reviewed"): a rule
//   written without one still alerts, neither drowned out nor escalated.
// - `generate` is true here; load.ts takes it from the correlation block for
//   correlations, and the rule set lowers it for detections a correlation hides.
import type { SigmaDocument } from './source.js';
import type { RuleMeta, SigmaProblem } from './types.js';

const LEVELS = ['informational', 'low', 'medium', 'high', 'critical'] as const;
const STATUSES = ['stable', 'test', 'experimental', 'deprecated', 'unsupported'];
const RELATED_TYPES = ['derived', 'obsolete', 'merged', 'renamed', 'similar'];
const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const TAG = /^[a-z0-9_-]+\.[a-z0-9._-]+$/;
const DATE = /^\d{4}-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])$/;
const MAX_TITLE = 256;
const MAX_DESCRIPTION = 65_535;

type Path = (string | number)[];

/** Reads keys of one document, recording every type error as a problem at its line. */
class Checker {
  constructor(
    readonly doc: SigmaDocument,
    readonly data: Record<string, unknown>,
    readonly problems: SigmaProblem[],
  ) {}

  problem(path: Path, message: string): void {
    this.problems.push({ file: this.doc.file, line: this.doc.lineOf(path), field: path.join('.'), message });
  }

  has(key: string): boolean {
    return Object.hasOwn(this.data, key) && this.data[key] !== null;
  }

  string(key: string, max = Infinity): string | undefined {
    if (!this.has(key)) return undefined;
    const v = this.data[key];
    if (typeof v !== 'string') return void this.problem([key], `${key} must be a string`);
    if (v.length > max) return void this.problem([key], `${key} is longer than ${max} characters`);
    return v;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[]): T | undefined {
    if (!this.has(key)) return undefined;
    const v = this.data[key];
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
      return void this.problem([key], `${key} must be one of ${allowed.join(', ')}`);
    }
    return v as T;
  }

  strings(key: string, check?: (s: string, index: number) => string | null): string[] | undefined {
    if (!this.has(key)) return undefined;
    const v = this.data[key];
    if (!Array.isArray(v)) return void this.problem([key], `${key} must be a list of strings`);
    let ok = true;
    v.forEach((item, i) => {
      const why = typeof item !== 'string' ? `${key} must be a list of strings` : check?.(item, i) ?? null;
      if (why) {
        this.problem([key, i], why);
        ok = false;
      }
    });
    return ok ? (v as string[]) : undefined;
  }

  related(): void {
    if (!this.has('related')) return;
    const v = this.data['related'];
    if (!Array.isArray(v)) return this.problem(['related'], 'related must be a list of {id, type}');
    v.forEach((item, i) => {
      if (item === null || typeof item !== 'object' || Array.isArray(item)) return this.problem(['related', i], 'related must be a list of {id, type}');
      const r = item as Record<string, unknown>;
      if (typeof r['id'] !== 'string') this.problem(['related', i, 'id'], 'related id must be a string');
      if (typeof r['type'] !== 'string' || !RELATED_TYPES.includes(r['type'])) {
        this.problem(['related', i, 'type'], `related type must be one of ${RELATED_TYPES.join(', ')}`);
      }
    });
  }
}

/**
 * The metadata of a detection or correlation document; null when title or id is
 * unusable. Every other type error is a problem, but the metadata still comes
 * back, so the rest of the document is checked in the same pass.
 */
export function parseMeta(doc: SigmaDocument, problems: SigmaProblem[]): RuleMeta | null {
  const data = doc.data as Record<string, unknown>;
  const c = new Checker(doc, data, problems);
  let title: string | undefined;
  if (typeof data['title'] !== 'string' || data['title'].trim() === '') c.problem(['title'], 'title is required (a string)');
  else title = c.string('title', MAX_TITLE);
  let id: string | undefined;
  if (!c.has('id')) c.problem(['id'], 'id is required: crosswatch derives alert ids from it');
  else if (typeof data['id'] !== 'string' || !ID.test(data['id'])) c.problem(['id'], 'id must be a string of 1-128 letters, digits or . _ : - (a UUID in SigmaHQ)');
  else id = data['id'];

  const name = c.string('name', MAX_TITLE);
  const level = c.oneOf('level', LEVELS) ?? 'medium';
  const status = c.oneOf('status', STATUSES);
  const description = c.string('description', MAX_DESCRIPTION);
  const author = c.string('author');
  for (const key of ['license', 'taxonomy']) c.string(key);
  for (const key of ['date', 'modified']) {
    const d = c.string(key);
    if (d !== undefined && !DATE.test(d)) c.problem([key], `${key} must be YYYY-MM-DD`);
  }
  const references = c.strings('references');
  const tags = c.strings('tags', (t) => (TAG.test(t) ? null : `tag "${t}" is not namespace.name in lower case (a-z 0-9 _ - .)`));
  const falsepositives = c.strings('falsepositives');
  for (const key of ['fields', 'scope']) c.strings(key);
  c.related();

  if (title === undefined || id === undefined) return null;
  const meta: RuleMeta = { file: doc.file, line: doc.line, id, title, level, generate: true, raw: data };
  if (name !== undefined) meta.name = name;
  if (status !== undefined) meta.status = status;
  if (description !== undefined) meta.description = description;
  if (author !== undefined) meta.author = author;
  if (references !== undefined) meta.references = references;
  if (tags !== undefined) meta.tags = tags;
  if (falsepositives !== undefined) meta.falsepositives = falsepositives;
  return meta;
}
