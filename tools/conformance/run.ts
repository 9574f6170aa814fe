// `npm run conformance`: runs every shared vendor test vector through crosswatch's
// framing and decoders and compares the result with the peer's expected documents
// (see docs/conformance.md). `--differences-md` prints the listed differences as
// the Markdown table of docs/conformance.md. Exits 1 when a difference is neither listed in
// tools/conformance/differences.ts nor agreed, or when a listed one no longer occurs.
import { existsSync } from 'node:fs';
import { defaultFixturesDir, differencesMarkdown, formatReport, runConformance } from './compare.js';

async function main(): Promise<number> {
  // `--differences-md`: print the listed differences as the Markdown table for docs/conformance.md.
  if (process.argv[2] === '--differences-md') {
    process.stdout.write(`${differencesMarkdown()}\n`);
    return 0;
  }
  const dir = process.argv[2] ?? defaultFixturesDir();
  if (!existsSync(dir)) {
    process.stderr.write(`conformance: fixtures folder not found: ${dir}\n`);
    return 2;
  }
  const report = await runConformance({ fixturesDir: dir });
  process.stdout.write(`${formatReport(report)}\n`);
  if (report.unexplained.length > 0 || report.stale.length > 0) {
    process.stderr.write(`conformance: ${report.unexplained.length} unexplained, ${report.stale.length} stale\n`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`conformance: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 2;
  },
);
