// Loads Sigma rule texts and folders into parsed rules and problems. Each YAML
// document is judged alone: one bad rule never stops the others in its file or
// folder, and a rule with any problem is left out (its problems say why). Which
// rules reference which, duplicate ids, and which log sources are known are the
// caller's (ruleset.ts and the detect layer).
import { readdirSync, readFileSync, statSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { MAX_RULE_FILE_BYTES, readSigmaText, type SigmaDocument } from './source.js';
import type { SigmaProblem, SigmaRule } from './types.js';
import { parseMeta } from './meta.js';
import { compileDetection } from './detection.js';
import { compileCorrelation } from './correlation.js';

export interface LoadResult {
  rules: SigmaRule[];
  problems: SigmaProblem[];
}

const V1_ACTIONS = ['global', 'repeat', 'reset'];

function loadDocument(doc: SigmaDocument, problems: SigmaProblem[]): SigmaRule | null {
  const problem = (key: string | undefined, message: string): null => {
    problems.push({ file: doc.file, line: key === undefined ? doc.line : doc.lineOf([key]), ...(key === undefined ? {} : { field: key }), message });
    return null;
  };
  const data = doc.data;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return problem(undefined, 'a Sigma rule is a YAML map (key: value lines)');
  const has = (key: string): boolean => Object.hasOwn(data, key);
  const action = (data as Record<string, unknown>)['action'];
  if (typeof action === 'string' && V1_ACTIONS.includes(action)) {
    return problem('action', `action: ${action} (a Sigma v1 rule collection) is not supported in Sigma v2: write each rule in full`);
  }
  const before = problems.length;
  if (has('correlation')) {
    if (has('detection')) return problem('correlation', 'a document is a detection (detection:) or a correlation (correlation:), not both');
    const meta = parseMeta(doc, problems);
    const body = compileCorrelation(doc, problems);
    if (!meta || !body || problems.length > before) return null;
    // body.generate is about the referenced rules (ruleset.ts reads it); the correlation itself alerts.
    const { generate: _referencedStillAlert, ...rest } = body;
    return { ...meta, ...rest, kind: 'correlation' };
  }
  if (has('detection')) {
    const meta = parseMeta(doc, problems);
    const rule = meta ? compileDetection(doc, meta, problems) : null;
    return rule && problems.length === before ? rule : null;
  }
  if (has('filter')) return problem('filter', "Sigma filters (filter:) are not supported; write the exclusion into the rule's condition");
  return problem(undefined, 'a rule needs a detection: or a correlation: section');
}

/** Every rule of one text (a file's contents; `file` names it in problems). */
export function loadSigmaText(text: string, file: string): LoadResult {
  const { documents, problems } = readSigmaText(text, file);
  const rules: SigmaRule[] = [];
  for (const doc of documents) {
    const rule = loadDocument(doc, problems);
    if (rule) rules.push(rule);
  }
  // YAML problems were found first; report everything in file order.
  problems.sort((a, b) => a.line - b.line);
  return { rules, problems };
}

/**
 * The rule files under a folder, recursively, sorted: *.yml and *.yaml. Entries
 * starting with a dot are skipped (a SigmaHQ checkout's .github holds YAML that
 * is no rule); symbolic links are followed to files only, so a link cannot loop.
 */
function ruleFiles(dir: string, out: string[], problems: SigmaProblem[]): void {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } catch (err) {
    problems.push({ file: dir, line: 1, message: `cannot read folder: ${(err as Error).message}` });
    return;
  }
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      ruleFiles(path, out, problems);
      continue;
    }
    const isFile = entry.isFile() || (entry.isSymbolicLink() && statSync(path, { throwIfNoEntry: false })?.isFile() === true);
    if (isFile && (entry.name.endsWith('.yml') || entry.name.endsWith('.yaml'))) out.push(path);
  }
}

/** A rule file's text, as read: what a worker thread loads the same rules from. */
export interface RuleText {
  file: string;
  text: string;
}

/** The texts of one rule file, or of every rule file under a folder. Never throws. */
export function readRuleTexts(path: string): { texts: RuleText[]; problems: SigmaProblem[] } {
  const problems: SigmaProblem[] = [];
  const texts: RuleText[] = [];
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return { texts, problems: [{ file: path, line: 1, message: 'no such file or folder' }] };
  const files: string[] = [];
  if (stat.isDirectory()) ruleFiles(path, files, problems);
  else files.push(path);
  for (const file of files) {
    try {
      if (statSync(file).size > MAX_RULE_FILE_BYTES) {
        problems.push({ file, line: 1, message: `rule file larger than ${MAX_RULE_FILE_BYTES} bytes` });
        continue;
      }
      texts.push({ file, text: readFileSync(file, 'utf8') });
    } catch (err) {
      problems.push({ file, line: 1, message: `cannot read: ${(err as Error).message}` });
    }
  }
  return { texts, problems };
}

/** The rules of one file, or of every rule file under a folder. Never throws. */
export function loadSigmaPath(path: string): LoadResult {
  const { texts, problems } = readRuleTexts(path);
  const result: LoadResult = { rules: [], problems };
  for (const { file, text } of texts) {
    const r = loadSigmaText(text, file);
    result.rules.push(...r.rules);
    result.problems.push(...r.problems);
  }
  return result;
}
