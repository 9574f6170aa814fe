// The built-in rules as the build parsed them (dist/builtin-rules.v8, written by
// scripts/rule-cache.mjs). Their YAML, read again at every start, was ~15-20 ms
// of each command's start-up (a tenth of a 1M-record hunt's; docs/performance.md,
// sixteenth round). An entry is keyed by the rule file's path and text, so a rule
// edited after the build is parsed as ever; the file by the Node version that
// wrote it (node:v8's format is Node's own). Anything amiss — no file, another
// Node, a damaged file — and the rules are parsed.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { deserialize, serialize } from 'node:v8';
import type { LoadResult } from './load.js';

/** The cache's key for a rule file's text. */
export function ruleTextKey(file: string, text: string): string {
  return createHash('sha256').update(file).update('\0').update(text).digest('hex');
}

/** The cache file's bytes for these (file, text, what loadSigmaText made of it) entries. */
export function builtinCacheBytes(entries: ReadonlyArray<{ file: string; text: string; result: LoadResult }>): Buffer {
  // (Each result serialized alone: a hit is deserialized afresh, so two loads never share objects.)
  return serialize({ node: process.version, entries: entries.map((e) => [ruleTextKey(e.file, e.text), serialize(e.result)]) });
}

const opened = new Map<string, Map<string, Buffer> | null>();

/** What the build's loadSigmaText made of this text, or undefined when the cache has no such entry. */
export function cachedRuleText(cachePath: string, file: string, text: string): LoadResult | undefined {
  let entries = opened.get(cachePath);
  if (entries === undefined) {
    entries = null;
    try {
      const c = deserialize(readFileSync(cachePath)) as { node?: unknown; entries?: unknown };
      if (c.node === process.version && Array.isArray(c.entries)) entries = new Map(c.entries as Array<[string, Buffer]>);
    } catch {
      // (No cache, or one this Node cannot read: parsed below.)
    }
    opened.set(cachePath, entries);
  }
  const bytes = entries?.get(ruleTextKey(file, text));
  if (!bytes) return undefined;
  try {
    return deserialize(bytes) as LoadResult;
  } catch {
    return undefined;
  }
}
