import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { compile } from '../../engine/graph/compile.ts';
import { parseDocument } from '../../engine/graph/parse.ts';

// Document fuzzing beyond test/unit/graph/robustness.test.ts: components nested 30+ levels,
// huge sizes, bytes that are not UTF-8, wrong types at every level. Invariant: diagnostics or
// a program, never an exception, and each document done in under 2 s. `npm run fuzz` raises
// FUZZ_RUNS for a long hunt.

const RUNS = Number(process.env.FUZZ_RUNS ?? 20);
const SEED = 20261128;
let tried = 0;

function check(input: unknown): void {
  tried += 1;
  const start = performance.now();
  const parsed = parseDocument(input as string);
  if (parsed.ok) {
    const r = compile(parsed.doc, { mode: 'full', maxOps: 50_000 });
    const errors = r.diagnostics.filter((d) => d.severity === 'error');
    assert.equal(r.program === undefined, errors.length > 0);
  } else {
    assert.ok(parsed.diagnostics.length > 0);
  }
  const ms = performance.now() - start;
  assert.ok(ms < 2000, `a document took ${ms.toFixed(0)} ms`);
}

/** A chain of components, each wrapping the next, `depth` levels deep. */
function nested(depth: number, width: number): Record<string, unknown> {
  const components: Record<string, unknown> = {};
  for (let i = 0; i < depth; i++) {
    const inner =
      i === depth - 1
        ? { id: 'f', kind: 'layer-norm', params: { width } }
        : { id: 'f', kind: 'component', params: { component: `c${i + 1}`, shared: false } };
    components[`c${i}`] = {
      nodes: [
        { id: 'x', kind: 'component-input', params: { name: 'x' } },
        inner,
        { id: 'out', kind: 'component-output', params: { name: 'out' } },
      ],
      edges: [
        { from: { node: 'x', port: 'out' }, to: { node: 'f', port: 'x' } },
        { from: { node: 'f', port: 'out' }, to: { node: 'out', port: 'x' } },
      ],
    };
  }
  return {
    version: 1,
    name: 'nested',
    dims: { V: 16, D: width },
    components,
    main: {
      nodes: [
        { id: 'tok', kind: 'token-input', params: { vocab: 'V', maxLength: 8 } },
        { id: 'emb', kind: 'token-embedding', params: { vocab: 'V', width: 'D' } },
        { id: 'c', kind: 'component', params: { component: 'c0', shared: false } },
        { id: 'head', kind: 'lm-head', params: { width: 'D', vocab: 'V' } },
      ],
      edges: [
        { from: { node: 'tok', port: 'tokens' }, to: { node: 'emb', port: 'tokens' } },
        { from: { node: 'emb', port: 'out' }, to: { node: 'c', port: 'x' } },
        { from: { node: 'c', port: 'out' }, to: { node: 'head', port: 'x' } },
      ],
    },
  };
}

/** Replace the value at one path of a document with a value of another type. */
function corruptAt(doc: unknown, pick: number, value: unknown): unknown {
  const copy = structuredClone(doc) as Record<string, unknown>;
  const slots: [Record<string, unknown>, string][] = [];
  const walk = (v: unknown) => {
    if (typeof v !== 'object' || v === null) return;
    for (const k of Object.keys(v)) {
      slots.push([v as Record<string, unknown>, k]);
      walk((v as Record<string, unknown>)[k]);
    }
  };
  walk(copy);
  const [obj, key] = slots[pick % slots.length]!;
  obj[key] = value;
  return copy;
}

describe('document fuzz (extended)', () => {
  after(() => console.log(`document fuzz: ${tried} documents tried`));

  it('components nested 30 to 60 levels deep compile or give a diagnostic', () => {
    for (const depth of [30, 45, 60]) {
      check(nested(depth, 8));
      check(JSON.stringify(nested(depth, 8)));
    }
  });

  it('wrong types at every level are refused, not thrown on', () => {
    const base = nested(3, 8);
    fc.assert(
      fc.property(
        fc.nat(),
        fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(-1, 1e300, NaN, '', 'D')),
        (pick, v) => check(corruptAt(base, pick, v)),
      ),
      { numRuns: 10 * RUNS, seed: SEED },
    );
  });

  it('huge sizes are refused or compiled within bounds', () => {
    check({ ...nested(1, 8), dims: { V: 2 ** 31, D: 2 ** 20 } });
    check({ ...nested(1, 8), name: 'n'.repeat(1_000_000) });
    const many = nested(1, 8) as { main: { nodes: unknown[] } };
    many.main.nodes.push(
      ...Array.from({ length: 25_000 }, (_, i) => ({
        id: `z${i}`,
        kind: 'layer-norm',
        params: {},
      })),
    );
    check(many);
    check(JSON.stringify(nested(1, 8)).padEnd(5_000_000, ' '));
  });

  it('bytes that are not UTF-8 give a diagnostic', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 400 }), fc.nat(), (bytes, at) => {
        const text = JSON.stringify(nested(2, 8));
        const buf = Buffer.from(text);
        const cut = at % buf.length;
        const mixed = Buffer.concat([buf.subarray(0, cut), Buffer.from(bytes), buf.subarray(cut)]);
        check(mixed.toString('latin1'));
        check(new TextDecoder('utf-8', { fatal: false }).decode(mixed));
      }),
      { numRuns: 5 * RUNS, seed: SEED },
    );
  });
});
