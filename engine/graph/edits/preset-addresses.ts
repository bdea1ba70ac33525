import type { GraphDocument } from '../schema.ts';

/**
 * Presets address node parameters as `graph/node` (engine/graph/presets.ts). When an edit
 * moves or renames nodes, their addresses follow, so a preset keeps changing the same node.
 */
export function renamePresetNodes(doc: GraphDocument, moved: Map<string, string>): GraphDocument {
  return mapPresets(doc, (preset) => {
    const params = preset.params;
    if (!isRecord(params) || !Object.keys(params).some((k) => moved.has(k))) return preset;
    const renamed = Object.fromEntries(
      Object.entries(params).map(([k, v]) => [moved.get(k) ?? k, v]),
    );
    return { ...preset, params: renamed };
  });
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The document with `f` applied to every preset; the same document when none changes. */
export function mapPresets(
  doc: GraphDocument,
  f: (preset: Record<string, unknown>) => Record<string, unknown>,
): GraphDocument {
  const presets = doc.meta?.presets;
  if (!isRecord(presets)) return doc;
  let changed = false;
  const next: Record<string, unknown> = {};
  for (const [name, preset] of Object.entries(presets)) {
    const mapped = isRecord(preset) ? f(preset) : preset;
    if (mapped !== preset) changed = true;
    next[name] = mapped;
  }
  return changed ? { ...doc, meta: { ...doc.meta, presets: next } } : doc;
}
