// Rules are data: one YAML file per rule in rules/ (and in the folders given with
// --rules), with its correlation (detect/rule.ts) and investigation guide.
// The loader validates every file, collects every problem (file and key) and
// refuses duplicate ids or names, naming both files.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { compileCorrelation, type DetectionRule } from './rule.js';

export interface RuleDefinition {
  id: string;
  name: string;
  description: string;
  /** What the correlator runs (the file's `correlation:` block, compiled). */
  correlation: DetectionRule;
  severity: 'low' | 'medium' | 'high' | 'critical';
  risk_score: number;
  threat: {
    framework: string;
    tactic: { id: string; name: string; reference: string };
    technique: { id: string; name: string; reference: string };
  };
  references: string[];
  false_positives: string[];
  guide: string;
  /** The file it was loaded from. */
  file: string;
}

/** rules/ at the package root, from src/alerts or dist/alerts alike. */
export const RULES_DIR = fileURLToPath(new URL('../../rules/', import.meta.url));

export class RuleLoadError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid rules:\n  ${problems.join('\n  ')}`);
    this.name = 'RuleLoadError';
  }
}

function need(problems: string[], file: string, obj: Record<string, unknown>, key: string, type: 'string' | 'number' | 'object'): void {
  const v = obj[key];
  if (typeof v !== type || v === null || (type === 'string' && (v as string).trim() === '')) {
    problems.push(`${file}: "${key}" must be a non-empty ${type}`);
  }
}

const SEVERITIES = ['low', 'medium', 'high', 'critical'];

/** The rules of rules/ and of each extra folder (`--rules DIR`), all checked together. */
export function loadRules(dir = RULES_DIR, extraDirs: readonly string[] = []): RuleDefinition[] {
  const problems: string[] = [];
  const rules: RuleDefinition[] = [];
  const files: string[] = [];
  for (const d of [dir, ...extraDirs]) {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch (err) {
      problems.push(`${d}: cannot read the rules folder: ${(err as Error).message}`);
      continue;
    }
    files.push(...names.filter((f) => f.endsWith('.yaml') || f.endsWith('.yml')).sort().map((f) => join(d, f)));
  }
  const byId = new Map<string, string>();
  const byName = new Map<string, string>();
  for (const file of files) {
    let doc: unknown;
    try {
      doc = parseYaml(readFileSync(file, 'utf8'));
    } catch (err) {
      problems.push(`${file}: not valid YAML: ${(err as Error).message}`);
      continue;
    }
    if (typeof doc !== 'object' || doc === null) {
      problems.push(`${file}: expected a mapping`);
      continue;
    }
    const r = doc as Record<string, unknown>;
    const before = problems.length;
    for (const k of ['id', 'name', 'description', 'severity', 'guide'] as const) need(problems, file, r, k, 'string');
    need(problems, file, r, 'risk_score', 'number');
    need(problems, file, r, 'threat', 'object');
    if (typeof r.severity === 'string' && !SEVERITIES.includes(r.severity)) problems.push(`${file}: "severity" must be one of ${SEVERITIES.join(', ')}`);
    if (typeof r.id === 'string' && !/^[\w.-]{1,128}$/.test(r.id)) problems.push(`${file}: "id" must be letters, digits, . _ - (at most 128)`);
    const correlation = compileCorrelation(String(r.id), r.correlation, file, problems);
    if (problems.length > before || !correlation) continue;
    const dupId = byId.get(r.id as string);
    if (dupId) problems.push(`duplicate rule id "${String(r.id)}" in ${dupId} and ${file}`);
    const dupName = byName.get(r.name as string);
    if (dupName) problems.push(`duplicate rule name "${String(r.name)}" in ${dupName} and ${file}`);
    byId.set(r.id as string, file);
    byName.set(r.name as string, file);
    rules.push({
      ...(r as unknown as RuleDefinition),
      correlation,
      references: Array.isArray(r.references) ? (r.references as string[]) : [],
      false_positives: Array.isArray(r.false_positives) ? (r.false_positives as string[]) : [],
      file,
    });
  }
  if (rules.length === 0 && problems.length === 0) problems.push(`${dir}: no rule files (*.yaml)`);
  if (problems.length > 0) throw new RuleLoadError(problems);
  return rules;
}
