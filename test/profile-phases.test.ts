// bench/profile.ts's reading of V8 CPU profiles (bench/profile-phases.ts): the
// kernel's functions named by their exports, each sample given to the innermost
// frame that names a phase, the threads' sums and timelines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { OTHER, sumMaps, threadPhases, wasmExportNames, type CpuProfile } from '../bench/profile-phases.js';

const kernel = fileURLToPath(new URL('../dist/scan-kernel.wasm', import.meta.url));

test('the kernel module\'s exported functions are named by their index', { skip: !existsSync(kernel) && 'dist/scan-kernel.wasm is built by npm run build' }, () => {
  const bytes = readFileSync(kernel);
  const names = wasmExportNames(bytes);
  const exported = WebAssembly.Module.exports(new WebAssembly.Module(bytes)).filter((e) => e.kind === 'function').map((e) => e.name).sort();
  assert.deepEqual([...names.values()].sort(), exported);
  assert.ok(exported.includes('findBoth') && exported.includes('findKeys'));
  assert.equal(new Set(names.keys()).size, names.size, 'one name an index');
});

/** A profile from stacks (outer → inner function names) and each sample's µs. */
function profileOf(samples: Array<[stack: string[], us: number]>, startTime = 1_000_000): CpuProfile {
  const nodes: CpuProfile['nodes'] = [{ id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 }, children: [] }];
  const ids: number[] = [];
  for (const [stack] of samples) {
    let at = nodes[0]!;
    for (const name of stack) {
      let next = (at.children ?? []).map((c) => nodes.find((n) => n.id === c)!).find((n) => n.callFrame.functionName === name);
      if (!next) {
        next = { id: nodes.length + 1, callFrame: { functionName: name, url: '', lineNumber: 0 }, children: [] };
        nodes.push(next);
        at.children!.push(next.id);
      }
      at = next;
    }
    ids.push(at.id);
  }
  const deltas = samples.map(([, us]) => us);
  return { nodes, startTime, endTime: startTime + deltas.reduce((a, b) => a + b, 0), samples: ids, timeDeltas: deltas };
}

test('each sample goes to the innermost frame that names a phase; WebAssembly by export, internal functions to their caller\'s phase', () => {
  const wasm = new Map([[17, 'findBoth'], [3, 'findKeys']]);
  const p = profileOf([
    [['main', 'scanFrames', 'findHits', 'wasm-function[17]'], 100], // the kernel's scan
    [['main', 'scanFrames', 'findHits', 'wasm-function[17]', 'wasm-function[0]'], 50], // its dotted-quad reader: still the scan
    [['main', 'scanFrames', 'ndjson', 'gateJson', 'wasm-function[3]'], 30], // the gate's key search
    [['main', 'decodeFramed', 'decodeOne', 'frameLine'], 70], // parsing inside a decoder's frame: parsing
    [['main', 'decodeFramed', 'decodeOne', 'toIso'], 20], // the decoder's own work
    [['main', 'unknownHelper'], 5],
    [['(garbage collector)'], 40],
    [['(idle)'], 10],
  ]);
  const t = threadPhases(p, wasm, p.startTime, 0.1);
  assert.deepEqual(Object.fromEntries(t.byPhase), { scan: 150, gate: 30, parse: 70, decode: 20, [OTHER]: 5, gc: 40, idle: 10 });
  assert.equal(t.bySelf.get('findBoth'), 100);
  assert.equal(t.bySelf.get('wasm-function[0]'), 50, 'an internal function keeps its index');
  assert.equal(t.bySelf.get('findKeys'), 30);
  // Samples land in the bucket of the time they end: 100 µs buckets over 325 µs.
  assert.equal(t.timeline.length, 4);
  assert.equal([...t.timeline.values()].reduce((n, b) => n + [...b.values()].reduce((a, c) => a + c, 0), 0), 325);
  assert.equal(t.startMs, 0);
  assert.equal(t.endMs, 0.325);
});

test('threads are summed, and placed on one timeline from the earliest start', () => {
  const a = profileOf([[['findHits', 'findBoth'], 1000]], 0);
  const b = profileOf([[['decodeOne'], 400], [['(idle)'], 600]], 2000);
  const ta = threadPhases(a, new Map(), 0, 1);
  const tb = threadPhases(b, new Map(), 0, 1);
  assert.equal(tb.startMs, 2);
  assert.equal(tb.timeline.findIndex((m) => m.size > 0), 2, 'the second thread\'s first sample is 2 ms after the first thread\'s start');
  assert.deepEqual(Object.fromEntries(sumMaps([ta.byPhase, tb.byPhase])), { scan: 1000, decode: 400, idle: 600 });
});
