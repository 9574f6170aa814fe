// Reads Sigma rule texts: one file may hold several YAML documents (`---`); each
// comes back with a way to find the line of any key in it, so every problem can
// name file:line. Rules are attacker-adjacent data (shared, downloaded): the
// text is bounded and YAML aliases are capped, so a hostile file cannot balloon.
import { LineCounter, parseAllDocuments, isMap, isSeq, isScalar, isPair, type Node } from 'yaml';
import type { SigmaProblem } from './types.js';

/** The largest rule file read (SigmaHQ's largest rule is about 20 KiB). */
export const MAX_RULE_FILE_BYTES = 1024 * 1024;

export interface SigmaDocument {
  file: string;
  /** The line the document starts on (1-based). */
  line: number;
  /** The document as plain data (null when it did not parse). */
  data: unknown;
  /** The line of the key or item at a path of keys and list indexes; the document's line when not found. */
  lineOf(path: readonly (string | number)[]): number;
}

export interface SourceResult {
  documents: SigmaDocument[];
  problems: SigmaProblem[];
}

/** Splits a rule text into its documents; syntax errors become problems (with their line), never throws. */
export function readSigmaText(text: string, file: string): SourceResult {
  const problems: SigmaProblem[] = [];
  if (Buffer.byteLength(text) > MAX_RULE_FILE_BYTES) {
    return { documents: [], problems: [{ file, line: 1, message: `rule file larger than ${MAX_RULE_FILE_BYTES} bytes` }] };
  }
  const counter = new LineCounter();
  const lineAt = (offset: number | undefined): number => (offset === undefined ? 1 : counter.linePos(offset).line);
  const docs = parseAllDocuments(text, { lineCounter: counter, uniqueKeys: true, prettyErrors: false });
  const list = Array.isArray(docs) ? docs : [docs];
  const documents: SigmaDocument[] = [];
  for (const doc of list) {
    const start = lineAt(doc.contents?.range?.[0] ?? doc.range?.[0]);
    if (doc.errors.length > 0) {
      for (const e of doc.errors) problems.push({ file, line: lineAt(e.pos[0]), message: `YAML: ${e.message.split('\n')[0]}` });
      continue;
    }
    if (doc.contents === null) continue; // an empty document (a trailing `---`)
    let data: unknown;
    try {
      data = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      problems.push({ file, line: start, message: `YAML: ${(err as Error).message}` });
      continue;
    }
    const root = doc.contents as Node;
    documents.push({
      file,
      line: start,
      data,
      lineOf: (path) => {
        let node: unknown = root;
        let line = start;
        for (const key of path) {
          if (isMap(node)) {
            const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(key));
            if (!pair) return line;
            line = lineAt((pair.key as Node).range?.[0]);
            node = pair.value;
          } else if (isSeq(node) && typeof key === 'number') {
            const item = node.items[key] as Node | undefined;
            if (!item) return line;
            line = lineAt(item.range?.[0]);
            node = item;
          } else {
            return line;
          }
        }
        return line;
      },
    });
  }
  return { documents, problems };
}
