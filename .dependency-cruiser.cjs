// The layers of src/ (docs/architecture.md) and the directions imports may take:
// each folder may import only the folders listed for it, so data flows one way
// (inputs → decoders → model → detect → outputs; hunt and serve put them
// together) and nothing low reaches up. `npm run lint` runs this; an import
// cycle or a wrong-way import fails it. Type-only imports count too.
/** folder → the folders it may import (besides itself). */
const LAYERS = {
  // Process and thread plumbing (starting workers): below everything, imports nothing.
  runtime: [],
  model: ['runtime'],
  decoders: ['runtime', 'model'],
  inputs: ['runtime', 'model', 'decoders'],
  // The Sigma rule language: parse, check, match, correlate, convert. Pure: it knows events only as fields.
  sigma: ['runtime', 'model'],
  detect: ['runtime', 'model', 'sigma'],
  pipeline: ['runtime', 'model', 'decoders', 'inputs'],
  store: ['runtime', 'model'],
  hunt: ['runtime', 'model', 'decoders', 'inputs', 'detect', 'sigma', 'pipeline'],
  stream: ['runtime', 'model', 'decoders', 'inputs', 'detect', 'sigma', 'pipeline', 'store'],
  outputs: ['runtime', 'model', 'store'],
  http: ['runtime', 'model', 'decoders', 'inputs', 'detect', 'sigma', 'pipeline', 'store', 'stream', 'outputs'],
  generate: ['runtime', 'model', 'decoders'],
  cli: ['runtime', 'model', 'decoders', 'inputs', 'detect', 'sigma', 'pipeline', 'store', 'hunt', 'stream', 'outputs', 'http', 'generate'],
};

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle: modules that need each other are one idea in two files, or a layer reaching up.',
      from: {},
      to: { circular: true },
    },
    ...Object.entries(LAYERS).map(([layer, allowed]) => ({
      name: `layer-${layer}`,
      severity: 'error',
      comment: `src/${layer}/ may import only ${allowed.length ? allowed.map((l) => `src/${l}/`).join(', ') : 'itself'} (docs/architecture.md)`,
      from: { path: `^src/${layer}/` },
      to: { path: '^src/', pathNot: `^src/(${[layer, ...allowed].join('|')})/` },
    })),
    {
      name: 'product-not-to-tools',
      severity: 'error',
      comment: 'The shipped code (src/) does not import the test kit, tools or benchmarks.',
      from: { path: '^src/' },
      to: { path: '^(test|tools|bench|scripts)/' },
    },
    {
      name: 'known-folder',
      severity: 'error',
      comment: 'Every folder of src/ has its place in the layers above.',
      from: { path: '^src/', pathNot: `^src/(${Object.keys(LAYERS).join('|')})/` },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs', '.json'] },
  },
};
