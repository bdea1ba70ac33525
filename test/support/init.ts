import type { GraphDocument } from '../../engine/graph/schema.ts';

/**
 * The document with GPT-2's N(0, 0.02) initialisation wherever it asks for LeCun's. The TRM
 * templates start as the paper's code does (LeCun), and an untrained TRM so initialised is
 * chaotic through its recursion: a 1e-6 change of one weight moves the 4×4 TRM-MLP's full-mode
 * logits by 2.5 of 3, and the tfjs cpu and wasm backends differ by 2e-2. Tests that check an
 * export's numerics on untrained or barely trained weights use this contractive start; the
 * trained template's export is checked in test/integration/template-card.test.ts.
 */
export function withSmallInit<D extends GraphDocument>(doc: D): D {
  const out = structuredClone(doc);
  for (const g of [out.main, ...Object.values(out.components ?? {})]) {
    for (const n of g.nodes) {
      if (n.params?.init === 'lecun') n.params.init = 'normal';
    }
  }
  return out;
}

interface RawNode {
  id: string;
  kind: string;
  params: Record<string, unknown>;
}
interface RawEdge {
  from: { node: string; port: string };
  to: { node: string; port: string };
}

/**
 * A TRM template as it was before the puzzle prefix: the embedding feeds the states and the
 * recursion directly, the answer head skips nothing and every norm runs over the width. For
 * tests pinned to numbers recorded then, and for slot tests whose halting head must read a cell
 * (the prefix's position 0 starts alike in every example).
 */
export function withoutPuzzlePrefix<D>(input: D): D {
  const doc = structuredClone(input) as unknown as {
    main: { nodes: RawNode[]; edges: RawEdge[] };
    components: Record<string, { nodes: RawNode[] }>;
  };
  const prefix = doc.main.nodes.find((n) => n.kind === 'puzzle-prefix');
  if (!prefix) return input;
  const fed = doc.main.edges.find((e) => e.to.node === prefix.id)!.from;
  doc.main.nodes = doc.main.nodes.filter((n) => n !== prefix);
  doc.main.edges = doc.main.edges
    .filter((e) => e.to.node !== prefix.id)
    .map((e) => (e.from.node === prefix.id ? { ...e, from: fed } : e));
  for (const c of Object.values(doc.components)) {
    for (const n of c.nodes) {
      if (n.kind === 'classifier-head') n.params.skip = 0;
      if (n.kind === 'rms-norm') n.params.over = 'width';
    }
  }
  return doc as unknown as D;
}
