import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The tiny-gpt template with `n` extra components, in the shapes that once made validation
 * quadratic or overflow the stack:
 * - `empty`: n empty, unused components (each one an error and a warning);
 * - `chain`: n small components instanced one after another in the main graph;
 * - `unknown`: n main-graph instances of components the document does not define;
 * - `nested`: n components, each holding an instance of the next.
 */
export type ManyShape = 'empty' | 'chain' | 'unknown' | 'nested';

const root = join(import.meta.dirname, '..', '..');
const position = { x: 0, y: 0 };

interface Doc {
  components: Record<string, unknown>;
  main: {
    nodes: { id: string; kind: string; params: Record<string, unknown>; position: unknown }[];
    edges: { from: { node: string; port: string }; to: { node: string; port: string } }[];
  };
}

/** input → layer-norm (or an instance of `inner`) → output. */
function small(inner?: string) {
  return {
    nodes: [
      { id: 'x', kind: 'component-input', params: { name: 'x' }, position },
      inner
        ? { id: 'n', kind: 'component', params: { component: inner }, position }
        : { id: 'n', kind: 'layer-norm', params: { width: 'D' }, position },
      { id: 'out', kind: 'component-output', params: { name: 'out' }, position },
    ],
    edges: [
      { from: { node: 'x', port: 'out' }, to: { node: 'n', port: 'x' } },
      { from: { node: 'n', port: 'out' }, to: { node: 'out', port: 'value' } },
    ],
  };
}

export function manyComponents(n: number, shape: ManyShape): Doc {
  const text = readFileSync(join(root, 'templates', 'tiny-gpt.json'), 'utf8');
  const doc = JSON.parse(text) as Doc;
  for (let i = 0; i < n; i++) {
    doc.components[`c${i}`] =
      shape === 'empty'
        ? { nodes: [], edges: [] }
        : small(shape === 'nested' && i + 1 < n ? `c${i + 1}` : undefined);
  }
  const main = doc.main;
  if (shape === 'nested') {
    const first = main.nodes.find((node) => node.id === 'block1');
    if (first) first.params.component = 'c0';
  }
  if (shape === 'chain' || shape === 'unknown') {
    // block1 → i0 → … → i(n-1) → block2
    main.edges = main.edges.filter((e) => e.to.node !== 'block2');
    let prev = 'block1';
    for (let i = 0; i < n; i++) {
      const id = `i${i}`;
      const component = shape === 'unknown' ? `missing${i}` : `c${i}`;
      main.nodes.push({ id, kind: 'component', params: { component }, position });
      main.edges.push({ from: { node: prev, port: 'out' }, to: { node: id, port: 'x' } });
      prev = id;
    }
    main.edges.push({ from: { node: prev, port: 'out' }, to: { node: 'block2', port: 'x' } });
  }
  return doc;
}
