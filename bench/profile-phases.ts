// Where a hunt's CPU goes, by phase, from the V8 CPU profiles of its threads
// (node --cpu-prof writes one per thread). Used by bench/profile.ts; the phases
// are the hunt's stages (docs/performance.md cites them): each sample goes to
// the innermost frame of its stack that names a phase, so the JSON.parse inside
// a decoder's frame counts as parsing, and a decoder called from the scan loop
// as decoding.

/** A .cpuprofile, as far as it is read here. */
export interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }>;
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Phases, in the order they are printed; a frame's name (WebAssembly's by its export) picks the first that matches. */
export const PHASES: ReadonlyArray<readonly [name: string, test: RegExp, what: string]> = [
  ['scan', /^(findBoth|findIps|findWords|findHits|quadAt)$/, 'IP and marker search over every byte (kernel)'],
  ['separators', /^(findSeparators|takeElements|structure\w*)$/, 'record edges in JSON arrays and CSV'],
  ['gate', /^(gateJson|findKeys|hasUnicodeEscape|gate\w*)$/, 'the window gate: time keys of records naming an alerted IP'],
  ['read', /^(read|readSync)$/, 'read(2) of the input'],
  ['parse', /^(frameLine|frameElement|tryParse|parseRows)$/, 'records to strings, JSON.parse, CSV rows'],
  ['decode', /^(decodeOne|decodeRecord|decodeWith)$/, 'vendor decoders'],
  ['pack', /^(add|slimEvent|decoded|qualifyingBits|eventDetail)$/, 'events into packs for the correlator'],
  ['correlate', /^(addPack|addEarly|keep|prepareAlert|addPrepared|finishPlans|episodesFor|sealNetworkAlerts)$/, 'the correlator'],
  ['write', /^(writeNdjson|writeNdjsonFile|alertDocuments|alertDocument|episodeOf|evidenceOf)$/, 'alert documents and their output'],
  ['start', /^(compile\w*|requireBuiltin|loadAndTranslate|evaluate|moduleStrategy|loadBuiltinModule|wrapSafe)$/, 'loading and compiling code'],
  ['framing', /^(ndjson|jsonStream|csv|scanFrames|fastFrameFile|passes|fill|frameFile|splitLines)$/, 'the framing loops around the kernel (JavaScript)'],
  ['gc', /^\(garbage collector\)$/, 'garbage collection'],
  ['idle', /^\(idle\)$/, 'waiting'],
];
export const OTHER = 'other';

/** A WebAssembly module's exported functions by index: profiles name its functions "wasm-function[i]". */
export function wasmExportNames(bytes: Uint8Array): Map<number, string> {
  const names = new Map<number, string>();
  let at = 8; // magic and version
  const leb = (): number => {
    let v = 0;
    let shift = 0;
    for (;;) {
      const b = bytes[at++]!;
      v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return v;
      shift += 7;
    }
  };
  while (at < bytes.length) {
    const id = bytes[at++]!;
    const size = leb();
    const end = at + size;
    if (id === 7) {
      for (let n = leb(); n > 0; n--) {
        const len = leb();
        const name = new TextDecoder().decode(bytes.subarray(at, at + len));
        at += len;
        const kind = bytes[at++]!;
        const index = leb();
        if (kind === 0) names.set(index, name);
      }
    }
    at = end;
  }
  return names;
}

export interface ThreadPhases {
  startMs: number;
  endMs: number;
  /** CPU (µs of samples) by phase. */
  byPhase: Map<string, number>;
  /** Self time (µs) by function, named as frameName names it. */
  bySelf: Map<string, number>;
  /** Per bucket of `bucketMs` from `origin`: µs by phase. */
  timeline: Array<Map<string, number>>;
}

/**
 * A frame's name, WebAssembly functions by their export where known (the
 * kernel's internal functions, such as the dotted-quad reader, keep their
 * index; their samples go to the phase of the export that called them).
 */
export function frameName(functionName: string, wasm: ReadonlyMap<number, string>): string {
  const m = /^wasm-function\[(\d+)\]$/.exec(functionName);
  return m ? (wasm.get(Number(m[1])) ?? functionName) : functionName || '(anonymous)';
}

/** One thread's profile by phase; `origin` (µs, the earliest thread's start) and `bucketMs` place its timeline. */
export function threadPhases(p: CpuProfile, wasm: ReadonlyMap<number, string>, origin: number, bucketMs: number): ThreadPhases {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const phaseOf = new Map<number, string>();
  const phase = (id: number): string => {
    let got = phaseOf.get(id);
    if (got !== undefined) return got;
    got = OTHER;
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const name = frameName(byId.get(cur)!.callFrame.functionName, wasm);
      const hit = PHASES.find(([, test]) => test.test(name));
      if (hit) {
        got = hit[0];
        break;
      }
    }
    phaseOf.set(id, got);
    return got;
  };
  const out: ThreadPhases = { startMs: (p.startTime - origin) / 1000, endMs: (p.endTime - origin) / 1000, byPhase: new Map(), bySelf: new Map(), timeline: [] };
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i] ?? 0;
    t += dt;
    const id = p.samples[i]!;
    const ph = phase(id);
    out.byPhase.set(ph, (out.byPhase.get(ph) ?? 0) + dt);
    const self = frameName(byId.get(id)!.callFrame.functionName, wasm);
    out.bySelf.set(self, (out.bySelf.get(self) ?? 0) + dt);
    const b = Math.max(0, Math.floor((t - origin) / 1000 / bucketMs));
    while (out.timeline.length <= b) out.timeline.push(new Map());
    const bucket = out.timeline[b]!;
    bucket.set(ph, (bucket.get(ph) ?? 0) + dt);
  }
  return out;
}

/** Sums of several threads' maps. */
export function sumMaps(maps: ReadonlyArray<ReadonlyMap<string, number>>): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of maps) for (const [k, v] of m) out.set(k, (out.get(k) ?? 0) + v);
  return out;
}
