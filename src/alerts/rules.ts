// Rules are data: one YAML file per rule in rules/, with its investigation guide.
// The loader validates every file, collects every problem (file and key) and
// refuses duplicate ids or names, naming both files.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { RULE_FOR_ROLE, type RuleId } from '../correlate/correlator.js';

export interface RuleDefinition {
  id: RuleId;
  name: string;
  description: string;
  qualifies: 'signin' | 'mail_access';
  severity: 'high';
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

export function loadRules(dir = RULES_DIR): RuleDefinition[] {
  const problems: string[] = [];
  const rules: RuleDefinition[] = [];
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml')).sort();
  const byId = new Map<string, string>();
  const byName = new Map<string, string>();
  const knownRoles = Object.keys(RULE_FOR_ROLE);
  for (const f of files) {
    const file = join(dir, f);
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
    for (const k of ['id', 'name', 'description', 'qualifies', 'severity', 'guide'] as const) need(problems, file, r, k, 'string');
    need(problems, file, r, 'risk_score', 'number');
    need(problems, file, r, 'threat', 'object');
    if (typeof r.qualifies === 'string' && !knownRoles.includes(r.qualifies)) {
      problems.push(`${file}: "qualifies" must be one of ${knownRoles.join(', ')}`);
    } else if (typeof r.qualifies === 'string' && RULE_FOR_ROLE[r.qualifies as keyof typeof RULE_FOR_ROLE] !== r.id) {
      problems.push(`${file}: "id" ${String(r.id)} does not match the correlator's rule for "${r.qualifies}"`);
    }
    if (problems.length > before) continue;
    const dupId = byId.get(r.id as string);
    if (dupId) problems.push(`duplicate rule id "${String(r.id)}" in ${dupId} and ${file}`);
    const dupName = byName.get(r.name as string);
    if (dupName) problems.push(`duplicate rule name "${String(r.name)}" in ${dupName} and ${file}`);
    byId.set(r.id as string, file);
    byName.set(r.name as string, file);
    rules.push({
      ...(r as unknown as RuleDefinition),
      references: Array.isArray(r.references) ? (r.references as string[]) : [],
      false_positives: Array.isArray(r.false_positives) ? (r.false_positives as string[]) : [],
      file,
    });
  }
  for (const role of knownRoles) {
    const id = RULE_FOR_ROLE[role as keyof typeof RULE_FOR_ROLE];
    if (!byId.has(id)) problems.push(`${dir}: no rule file defines "${id}"`);
  }
  if (problems.length > 0) throw new RuleLoadError(problems);
  return rules;
}
