// The few WebAssembly JS API types scan-kernel.ts (and a test of bench/profile-phases.ts) use: Node has the API, but
// its typings live in TypeScript's DOM library, which this project does not load.
declare namespace WebAssembly {
  class Module {
    constructor(bytes: Uint8Array);
    static exports(module: Module): Array<{ name: string; kind: 'function' | 'table' | 'memory' | 'global' }>;
  }
  class Instance {
    constructor(module: Module, imports?: Record<string, Record<string, unknown>>);
    readonly exports: Record<string, unknown>;
  }
  class Memory {
    readonly buffer: ArrayBuffer;
    grow(pages: number): number;
  }
}
