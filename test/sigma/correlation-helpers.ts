// Builds rules for the correlation tests: correlation documents through
// readSigmaText + compileCorrelation, detection documents by hand (their
// detection: section is not read; events say which rules they matched).
import { compileCorrelation } from '../../src/sigma/correlation.js';
import { readSigmaText } from '../../src/sigma/source.js';
import type { CorrelationRule, DetectionRule, SigmaProblem, SigmaRule } from '../../src/sigma/types.js';

export function detection(id: string, name?: string, file = 'det.yml', line = 1): DetectionRule {
  return {
    kind: 'detection', id, ...(name !== undefined ? { name } : {}), title: name ?? id, level: 'low', generate: true,
    raw: {}, file, line, logsource: {}, selections: new Map(), condition: { op: 'ref', name: 'selection' }, conditionText: ['selection'],
  };
}

/** Every document of a text: correlations compiled, the others taken as detections. */
export function parseRules(text: string, file = 'mr.yml'): { rules: SigmaRule[]; problems: SigmaProblem[] } {
  const { documents, problems } = readSigmaText(text, file);
  const rules: SigmaRule[] = [];
  for (const doc of documents) {
    const data = doc.data as Record<string, unknown>;
    const id = typeof data.id === 'string' ? data.id : `${file}:${doc.line}`;
    const name = typeof data.name === 'string' ? data.name : undefined;
    if (data.correlation === undefined) {
      rules.push(detection(id, name, file, doc.line));
      continue;
    }
    const body = compileCorrelation(doc, problems);
    if (!body) continue;
    const { generate, ...rest } = body;
    const rule: CorrelationRule = {
      kind: 'correlation', id, ...(name !== undefined ? { name } : {}), title: String(data.title ?? id), level: 'high',
      generate, raw: data, file, line: doc.line, ...rest,
    };
    rules.push(rule);
  }
  return { rules, problems };
}

/** "file:line field: message" of each problem, for compact assertions. */
export function brief(problems: readonly SigmaProblem[]): string[] {
  return problems.map((p) => `${p.file}:${p.line} ${p.field ?? '-'}: ${p.message}`);
}
