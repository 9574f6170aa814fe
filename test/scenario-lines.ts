// Record lines for stream and serve tests: a network alert and an Entra sign-in
// from the rule samples' firing scenario, re-addressed and re-timed; and a
// generated dataset as the NDJSON/text lines a shipper would send.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from '../src/generate/generator.js';
import { frameFile, frameLine, type FramedItem } from '../src/inputs/framing.js';
import { expandInputs } from '../src/inputs/inputs.js';
import { decodeFramed } from '../src/pipeline/decode.js';
import type { DecodedEvent } from '../src/model/event.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SCENARIO = join(ROOT, 'rules', 'samples', 'cw-entra-signin-after-network-alert', 'fire', 'signin-after-scan');
const EVE = JSON.parse(readFileSync(join(SCENARIO, 'eve.json'), 'utf8')) as Record<string, unknown>;
const SIGNIN = JSON.parse(readFileSync(join(SCENARIO, 'signins.json'), 'utf8')) as Record<string, unknown> & {
  properties: Record<string, unknown>;
};

/** The scenario's Suricata alert from `ip` at `iso`. */
export function alertLine(ip: string, iso: string): string {
  return JSON.stringify({ ...EVE, src_ip: ip, timestamp: iso.replace('Z', '+0000') });
}

let n = 0;
/** The scenario's successful sign-in from `ip` at `iso`, with a record id of its own. */
export function signinLine(ip: string, iso: string, user = 'megan.bowen@contoso.com', idPrefix = 'rec'): string {
  const s = structuredClone(SIGNIN);
  s.callerIpAddress = ip;
  s.properties.ipAddress = ip;
  s.properties.id = `${idPrefix}-${n++}`;
  s.properties.createdDateTime = iso;
  s.properties.userPrincipalName = user;
  return JSON.stringify(s);
}

/** Lines framed as one body would be, numbered from 1. */
export function items(...lines: string[]): FramedItem[] {
  const out: FramedItem[] = [];
  lines.forEach((l, i) => frameLine(l, { source: 'test', line: i + 1 }, out));
  return out;
}

/** Lines decoded as hunt decodes them (a record that does not decode fails the test). */
export function decodeLines(...lines: string[]): DecodedEvent[] {
  const out: DecodedEvent[] = [];
  decodeFramed(items(...lines), { ctx: { defaultOffsetMinutes: 0, reference: { ms: Date.UTC(2026, 2, 2), ns: 0 } } }, {
    decoded: ({ result }) => {
      assert.ok(result.ok, result.ok ? '' : result.error.message);
      out.push(result.event);
    },
  });
  return out;
}

/** A generated dataset's records as lines (JSON records re-serialised, text lines as they are), its files and its truth. */
export async function generatedLines(outDir: string, events: number, seed: number): Promise<{ lines: string[]; logsDir: string; truthPath: string }> {
  const gen = await generate({ outDir, events, seed });
  const lines: string[] = [];
  for (const f of (await expandInputs([gen.logsDir])).files) {
    for await (const batch of frameFile(f.path, f.display)) {
      for (const it of batch) {
        if (it.kind === 'text') lines.push(it.value);
        else if (it.kind === 'json' || it.kind === 'csv') lines.push(JSON.stringify(it.value));
      }
    }
  }
  return { lines, logsDir: gen.logsDir, truthPath: gen.truthPath };
}
