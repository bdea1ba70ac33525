/**
 * Migrations from older document layouts to version 1. Each takes the raw object of one
 * version and returns the next; `migrate` chains them. Version 0 is the pre-release layout
 * (no `version` field, `graph` instead of `main`, edges as `[from, to]` "node.port" pairs),
 * kept so that early files still open.
 */

type Raw = Record<string, unknown>;

function splitRef(ref: unknown): { node: string; port: string } | unknown {
  if (typeof ref !== 'string') return ref;
  const dot = ref.lastIndexOf('.');
  return dot < 0 ? ref : { node: ref.slice(0, dot), port: ref.slice(dot + 1) };
}

function migrateGraph0(g: unknown): unknown {
  if (typeof g !== 'object' || g === null) return g;
  const graph = g as Raw;
  const edges = Array.isArray(graph.edges)
    ? graph.edges.map((e) => (Array.isArray(e) ? { from: splitRef(e[0]), to: splitRef(e[1]) } : e))
    : graph.edges;
  return { ...graph, edges };
}

const steps: Record<number, (doc: Raw) => Raw> = {
  0: (doc) => {
    const { graph, ...rest } = doc;
    const components =
      typeof rest.components === 'object' && rest.components !== null
        ? Object.fromEntries(
            Object.entries(rest.components as Raw).map(([k, v]) => [k, migrateGraph0(v)]),
          )
        : rest.components;
    return { ...rest, components, main: migrateGraph0(rest.main ?? graph), version: 1 };
  },
};

/** Returns the document at version 1, or undefined when its version is unknown. */
export function migrate(doc: Raw): Raw | undefined {
  let version = doc.version === undefined ? 0 : doc.version;
  let current = doc;
  while (version !== 1) {
    if (typeof version !== 'number') return undefined;
    const step = steps[version];
    if (!step) return undefined;
    current = step(current);
    version = current.version as number;
  }
  return current;
}
