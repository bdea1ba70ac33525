import { z } from 'zod';
import { graphOf, type GraphDocument } from './schema.ts';

/**
 * A preset changes sizes (`dims`) and, where a size is not enough (shared vs per-step
 * weights, say), individual node parameters addressed as `graph/node` (`main/block`,
 * `layer/attn`). `training` settings are laid over the document's `meta.training` (a
 * paper-size preset carries the paper's batch and learning rate); the trainer checks them.
 */
export const Preset = z.strictObject({
  description: z.string().optional(),
  task: z.string().optional(),
  dims: z.record(z.string(), z.number().int().positive()).default({}),
  params: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
  training: z.record(z.string(), z.unknown()).optional(),
});
export type Preset = z.infer<typeof Preset>;

/** The document's presets by name: its own entries only, so "constructor" names none. */
function presetsOf(doc: GraphDocument): Record<string, unknown> {
  const presets = doc.meta?.presets;
  return presets && typeof presets === 'object' && !Array.isArray(presets)
    ? (presets as Record<string, unknown>)
    : {};
}

export function presetNames(doc: GraphDocument): string[] {
  return Object.keys(presetsOf(doc));
}

/** The document with the preset applied, or an error sentence naming what is wrong. */
export function applyPreset(
  doc: GraphDocument,
  name: string,
): { doc: GraphDocument } | { error: string } {
  const presets = presetsOf(doc);
  if (!Object.hasOwn(presets, name)) {
    const names = presetNames(doc);
    return {
      error: names.length
        ? `No preset "${name}" in this document; use one of its presets: ${names.join(', ')}.`
        : `No preset "${name}": this document has no presets (meta.presets); leave the preset out.`,
    };
  }
  const raw = presets[name];
  const parsed = Preset.safeParse(raw);
  if (!parsed.success)
    return { error: `Preset "${name}" is malformed: ${parsed.error.issues[0]?.message}.` };
  const preset = parsed.data;
  const next: GraphDocument = structuredClone(doc);
  next.dims = { ...next.dims, ...preset.dims };
  for (const [address, params] of Object.entries(preset.params)) {
    const slash = address.indexOf('/');
    const graphName = address.slice(0, slash);
    const nodeId = address.slice(slash + 1);
    const graph = graphOf(next, graphName);
    const node = graph?.nodes.find((n) => n.id === nodeId);
    if (slash < 0 || !node) {
      return {
        error: `Preset "${name}" changes node "${address}", which does not exist. Use "graph/node", e.g. "main/${next.main.nodes[0]?.id ?? 'node'}".`,
      };
    }
    node.params = { ...node.params, ...params };
  }
  if (preset.task) next.meta = { ...next.meta, task: preset.task };
  if (preset.training) {
    const own = next.meta?.training;
    const base = own && typeof own === 'object' && !Array.isArray(own) ? own : {};
    next.meta = { ...next.meta, training: { ...base, ...preset.training } };
  }
  return { doc: next };
}
