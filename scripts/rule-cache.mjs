// Writes dist/builtin-rules.v8: the built-in rules as loadSigmaText reads them,
// so that each command's start-up does not parse their YAML again
// (src/sigma/builtin-cache.ts says how it is keyed and when it is not used).
// Run by `npm run build` after the TypeScript is compiled.
import { writeFileSync } from 'node:fs';
import { loadSigmaText, readRuleTexts } from '../dist/sigma/load.js';
import { builtinCacheBytes } from '../dist/sigma/builtin-cache.js';
import { BUILTIN_CACHE, RULES_DIR } from '../dist/detect/rules.js';

const { texts, problems } = readRuleTexts(RULES_DIR);
if (problems.length > 0) throw new Error(`built-in rules: ${problems.map((p) => `${p.file}:${p.line}: ${p.message}`).join('; ')}`);
writeFileSync(BUILTIN_CACHE, builtinCacheBytes(texts.map((t) => ({ ...t, result: loadSigmaText(t.text, t.file) }))));
