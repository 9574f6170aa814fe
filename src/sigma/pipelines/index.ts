// The processing pipelines crosswatch ships, by name (the loader option
// `pipeline: crosswatch-microsoft`; docs/rules-sigmahq.md).
import type { Pipeline } from '../pipeline.js';
import { microsoft } from './microsoft.js';

export { microsoft };

export const PIPELINES: ReadonlyMap<string, Pipeline> = new Map([[microsoft.name, microsoft]]);

/** A shipped pipeline by name, or undefined. */
export function pipelineByName(name: string): Pipeline | undefined {
  return PIPELINES.get(name);
}
