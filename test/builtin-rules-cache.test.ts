// The built-in rules' cache (src/sigma/builtin-cache.ts): what it gives back is
// what parsing the rule's YAML gives, and it gives nothing for a text, a file or
// a Node it was not written for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deserialize, serialize } from 'node:v8';
import { builtinCacheBytes, cachedRuleText, ruleTextKey } from '../src/sigma/builtin-cache.js';
import { loadSigmaText, readRuleTexts } from '../src/sigma/load.js';
import { RULES_DIR } from '../src/detect/rules.js';

const { texts } = readRuleTexts(RULES_DIR);

function cacheFile(bytes: Buffer): string {
  const path = join(mkdtempSync(join(tmpdir(), 'cw-rule-cache-')), 'builtin-rules.v8');
  writeFileSync(path, bytes);
  return path;
}

test('a cached rule is what parsing its YAML makes of it, afresh on each hit', () => {
  assert.ok(texts.length >= 5, `${texts.length} built-in rule files`);
  const path = cacheFile(builtinCacheBytes(texts.map((t) => ({ ...t, result: loadSigmaText(t.text, t.file) }))));
  for (const t of texts) {
    const hit = cachedRuleText(path, t.file, t.text);
    assert.ok(hit, t.file);
    // (deepStrictEqual: the Maps of a rule's selections, and undefined members, as parsed.)
    assert.deepStrictEqual(hit, loadSigmaText(t.text, t.file), t.file);
    assert.ok(hit.rules.length > 0, t.file);
    // Two loads never share objects (a caller may change what it was given).
    assert.notStrictEqual(cachedRuleText(path, t.file, t.text)!.rules[0], hit.rules[0]);
  }
});

test('the cache gives nothing for an edited rule, another file, another Node or a damaged file', () => {
  const t = texts[0]!;
  const entries = [{ ...t, result: loadSigmaText(t.text, t.file) }];
  const path = cacheFile(builtinCacheBytes(entries));
  assert.ok(cachedRuleText(path, t.file, t.text));
  assert.equal(cachedRuleText(path, t.file, t.text.replace('title:', 'title: x')), undefined);
  assert.equal(cachedRuleText(path, `${t.file}.copy`, t.text), undefined);
  // Written by another Node (node:v8's format is Node's own): not read.
  const other = cacheFile(serialize({ node: 'v0.0.0', entries: [[ruleTextKey(t.file, t.text), serialize(entries[0]!.result)]] }));
  assert.equal(cachedRuleText(other, t.file, t.text), undefined);
  assert.equal(cachedRuleText(cacheFile(Buffer.from('not a cache')), t.file, t.text), undefined);
  assert.equal(cachedRuleText(join(tmpdir(), 'no-such-dir-cw', 'builtin-rules.v8'), t.file, t.text), undefined);
});

const BUILT = fileURLToPath(new URL('../dist/builtin-rules.v8', import.meta.url));
test('the build wrote the cache for every built-in rule (read by the Node that built it, by no other)', { skip: existsSync(BUILT) ? false : 'dist/ not built (npm run build writes dist/builtin-rules.v8)' }, () => {
  // (CI builds with one Node and tests with two: under the other, every rule is parsed.)
  const builtBy = (deserialize(readFileSync(BUILT)) as { node: string }).node;
  for (const t of texts) {
    const hit = cachedRuleText(BUILT, t.file, t.text);
    if (builtBy === process.version) assert.deepStrictEqual(hit, loadSigmaText(t.text, t.file), t.file);
    else assert.equal(hit, undefined, `${t.file}: a cache of Node ${builtBy} read by ${process.version}`);
  }
});
