import type { Graph, GraphDocument } from './schema.ts';

/**
 * A short fingerprint of what a document computes: its dims, main graph and components,
 * without node positions, names, descriptions or meta (moving a node or renaming the model
 * keeps it). Runs record it so the app can tell which runs trained the open document. Pure
 * (no crypto module): the renderer computes it too.
 */
export function graphDigest(doc: GraphDocument): string {
  const graph = (g: Graph) => ({
    nodes: g.nodes.map((n) => ({ id: n.id, kind: n.kind, params: n.params })),
    edges: g.edges,
  });
  const components = Object.fromEntries(
    Object.entries(doc.components).map(([name, c]) => [name, graph(c)]),
  );
  return fnv1a64(canonical({ dims: doc.dims, main: graph(doc.main), components }));
}

/** JSON with object keys sorted, so equal documents give equal text. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** 64-bit FNV-1a over UTF-16 code units, as 16 hex digits (two 32-bit halves, no BigInt). */
function fnv1a64(text: string): string {
  // offset basis 0xcbf29ce484222325, prime 0x100000001b3 = 2^40 + 0x1b3
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  for (let i = 0; i < text.length; i++) {
    lo = (lo ^ text.charCodeAt(i)) >>> 0;
    // (hi, lo) * prime: lo * 0x1b3, plus the cross terms that land in the high half.
    const loMul = lo * 0x1b3;
    const carry = Math.floor(loMul / 0x100000000);
    const newHi = (hi * 0x1b3 + ((lo << 8) >>> 0) + carry) >>> 0;
    lo = loMul >>> 0;
    hi = newHi;
  }
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}
