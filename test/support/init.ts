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
