// Small builders for the Sigma tests: a rule text around a detection block, a
// compile that returns the rule and its problems, and an event accessor over a
// plain object (dotted names: the exact key first, then nested objects).
import { readSigmaText } from '../../src/sigma/source.js';
import { parseMeta } from '../../src/sigma/meta.js';
import { compileDetection } from '../../src/sigma/detection.js';
import { compileMatcher, type FieldGetter } from '../../src/sigma/match.js';
import type { DetectionRule, SigmaProblem } from '../../src/sigma/types.js';

export const FILE = 'rules/test.yml';
export const RULE_ID = '5f9c2a51-3c1e-4f7a-9d2b-000000000001';

/** The lines before `detection:`'s body: the body's first line is line 7. */
const HEAD = `title: Test rule
id: ${RULE_ID}
logsource:
    product: azure
    service: signinlogs
detection:
`;
export const DETECTION_FIRST_LINE = 7;

/** A full rule whose `detection:` body is `body` (written at column 0; indented here). */
export function ruleText(body: string, tail = ''): string {
  const indented = body.replace(/^\n/, '').split('\n').map((l) => (l.trim() === '' ? l : `    ${l}`)).join('\n');
  return `${HEAD}${indented}\n${tail}`;
}

export function compile(text: string, file = FILE): { rule: DetectionRule | null; problems: SigmaProblem[] } {
  const { documents, problems } = readSigmaText(text, file);
  const doc = documents[0];
  if (!doc) return { rule: null, problems };
  const meta = parseMeta(doc, problems);
  const rule = meta ? compileDetection(doc, meta, problems) : null;
  return { rule: problems.length === 0 ? rule : null, problems };
}

/** Compiles a detection body, failing the test with the problems when it does not compile. */
export function mustCompile(body: string): DetectionRule {
  const { rule, problems } = compile(ruleText(body));
  if (!rule || problems.length > 0) throw new Error(`expected no problem, got ${JSON.stringify(problems, null, 2)}`);
  return rule;
}

/** The problems of a detection body (the rule must not compile). */
export function problemsOf(body: string): SigmaProblem[] {
  const { rule, problems } = compile(ruleText(body));
  if (rule) throw new Error('expected the rule to be refused');
  return problems;
}

export function getter(event: Record<string, unknown>): FieldGetter {
  return (field) => {
    if (Object.hasOwn(event, field)) return event[field];
    let cur: unknown = event;
    for (const part of field.split('.')) {
      if (cur === null || typeof cur !== 'object' || Array.isArray(cur) || !Object.hasOwn(cur, part)) return undefined;
      cur = (cur as Record<string, unknown>)[part];
    }
    return cur;
  };
}

/** Whether the detection body matches the event. */
export function fires(body: string | DetectionRule, event: Record<string, unknown>, keywords?: string[]): boolean {
  const rule = typeof body === 'string' ? mustCompile(body) : body;
  return compileMatcher(rule)(getter(event), keywords ? () => keywords : undefined);
}
