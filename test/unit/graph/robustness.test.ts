import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compile } from '../../../engine/graph/compile.ts';
import { kindNames } from '../../../engine/graph/nodes/index.ts';
import { parseDocument } from '../../../engine/graph/parse.ts';
import { checkCompiled } from './helpers.ts';

// Property: whatever a user (or a corrupted file) does to a document, parse + compile return
// diagnostics or a program, never throw, and a program comes back exactly when no error does.

type Raw = {
  dims: Record<string, unknown>;
  components: Record<string, RawGraph>;
  main: RawGraph;
};
type RawGraph = {
  nodes: { id: string; kind: string; params: Record<string, unknown> }[];
  edges: { from: { node: string; port: string }; to: { node: string; port: string } }[];
};

/** Raise for a longer hunt: FUZZ_RUNS=5000 node --import tsx --test <this file>. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
/** Fixed so CI is deterministic; FUZZ_SEED=random explores (fast-check prints the failing seed). */
const SEED =
  process.env.FUZZ_SEED === 'random' ? undefined : Number(process.env.FUZZ_SEED ?? 20261128);
const settings = (numRuns: number) => (SEED === undefined ? { numRuns } : { numRuns, seed: SEED });

const templates = [
  ...['tiny-gpt', 'trm-sudoku'].map((t) => `templates/${t}.json`),
  ...['minimal-tied-lm', 'gqa-swiglu-lm', 'mlp-mixer-puzzle'].map(
    (f) => `test/fixtures/valid/${f}.json`,
  ),
].map((file) => [file, readFileSync(file, 'utf8')] as const);

const mutation = fc.oneof(
  fc.record({ op: fc.constant('drop-edge' as const), at: fc.nat() }),
  fc.record({
    op: fc.constant('set-param' as const),
    at: fc.nat(),
    key: fc.oneof(
      fc.constantFrom(
        'width',
        'heads',
        'steps',
        'carry',
        'vocab',
        'component',
        'tiedTo',
        'kvHeads',
        'gradSteps',
        'maxLength',
        'name',
        'hidden',
        'length',
        'valueOf',
        'toString',
        '__proto__',
        'deepSupervision',
        'shared',
        'weights',
      ),
      fc.string(),
    ),
    value: fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.integer({ min: -3, max: 300 }),
      fc.constantFrom('D', 'V', 'H', 'n', 'X', 'constructor'),
      // Values that make structural sense, so mutations reach recursion and sharing logic.
      fc.constantFrom<unknown>(
        'per-step',
        'shared',
        true,
        false,
        'layer',
        'net',
        'latent_step',
        'deep_step',
        'block',
        'embed',
        [{ output: 'y', input: 'y' }],
        [
          { output: 'z', input: 'z' },
          { output: 'y', input: 'y' },
        ],
        [{ output: 'h', input: 'h' }],
      ),
    ),
  }),
  fc.record({
    op: fc.constant('rename-kind' as const),
    at: fc.nat(),
    kind: fc.oneof(fc.constantFrom(...kindNames), fc.string()),
  }),
  fc.record({ op: fc.constant('delete-node' as const), at: fc.nat() }),
  fc.record({
    op: fc.constant('add-edge' as const),
    from: fc.nat(),
    to: fc.nat(),
    fromPort: fc.constantFrom('out', 'h', 'y', 'z', 'tokens', 'logits'),
    toPort: fc.constantFrom('x', 'a', 'b', 'c', 'h', 'y', 'z', 'tokens', 'like', 'value'),
  }),
  fc.record({
    op: fc.constant('set-dim' as const),
    key: fc.constantFrom('D', 'V', 'H', 'n', 'T', 'L', 'T_rec', 'N_sup'),
    value: fc.integer({ min: 1, max: 20 }),
  }),
);

function pickGraph(doc: Raw, at: number): RawGraph {
  const graphs = [doc.main, ...Object.values(doc.components)];
  return graphs[at % graphs.length] as RawGraph;
}

type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function apply(doc: Raw, m: Mutation): void {
  const g = pickGraph(doc, 'at' in m ? m.at : 'from' in m ? m.from : 0);
  switch (m.op) {
    case 'drop-edge':
      if (g.edges.length) g.edges.splice(m.at % g.edges.length, 1);
      break;
    case 'set-param': {
      const node = g.nodes[m.at % Math.max(1, g.nodes.length)];
      // defineProperty keeps "__proto__" an own key, as JSON.parse would.
      if (node)
        Object.defineProperty(node.params, m.key, {
          value: m.value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      break;
    }
    case 'rename-kind': {
      const node = g.nodes[m.at % Math.max(1, g.nodes.length)];
      if (node) node.kind = m.kind;
      break;
    }
    case 'delete-node':
      if (g.nodes.length) g.nodes.splice(m.at % g.nodes.length, 1);
      break;
    case 'add-edge': {
      const a = g.nodes[m.from % Math.max(1, g.nodes.length)];
      const b = g.nodes[m.to % Math.max(1, g.nodes.length)];
      if (a && b)
        g.edges.push({
          from: { node: a.id, port: m.fromPort },
          to: { node: b.id, port: m.toPort },
        });
      break;
    }
    case 'set-dim':
      doc.dims[m.key] = m.value;
      break;
  }
}

describe('robustness: compile never throws', () => {
  for (const [name, text] of templates) {
    it(`${name}: random mutations give diagnostics or a program`, () => {
      let programs = 0;
      fc.assert(
        fc.property(
          fc.array(mutation, { minLength: 1, maxLength: Number(process.env.FUZZ_MUTATIONS ?? 4) }),
          fc.constantFrom('check', 'step', 'full' as const),
          (ms, mode) => {
            const doc = JSON.parse(text) as Raw;
            for (const m of ms) apply(doc, m);
            const parsed = parseDocument(JSON.stringify(doc));
            if (!parsed.ok) {
              assert.ok(parsed.diagnostics.length > 0);
              return;
            }
            const r = compile(parsed.doc, { mode, maxOps: 50_000 });
            const errors = r.diagnostics.filter((d) => d.severity === 'error');
            assert.equal(r.program === undefined, errors.length > 0);
            if (r.program) {
              programs += 1;
              checkCompiled(r, mode);
            }
            // What validates in check mode validates in the others, with the same weights
            // (unrolling may only add too-large).
            if (mode === 'check' && r.program) {
              for (const other of ['step', 'full'] as const) {
                const o = compile(parsed.doc, { mode: other, maxOps: 50_000 });
                const codes = o.diagnostics
                  .filter((d) => d.severity === 'error')
                  .map((d) => d.code);
                assert.ok(
                  codes.every((c) => c === 'too-large'),
                  `${other}: ${codes.join(', ')}`,
                );
                if (o.program) {
                  checkCompiled(o, other);
                  assert.equal(o.totalParams, r.totalParams, other);
                }
              }
            }
            for (const d of r.diagnostics) {
              assert.equal(typeof d.message, 'string');
              assert.ok(!d.message.includes('undefined'), d.message);
              assert.ok(!d.message.includes('[object Object]'), d.message);
            }
          },
        ),
        settings(RUNS),
      );
      // The property must also be exercised on documents that still compile.
      assert.ok(programs >= RUNS / 100, `only ${programs} mutated documents compiled`);
      if (process.env.FUZZ_VERBOSE) console.log(`${name}: ${programs}/${RUNS} compiled`);
    });
  }

  it('arbitrary JSON values are refused, not thrown on', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => {
        const r = parseDocument(v);
        if (r.ok) compile(r.doc);
        const t = parseDocument(JSON.stringify(v));
        assert.equal(t.ok, r.ok);
      }),
      settings(2 * RUNS),
    );
  });

  it('arbitrary text is refused with a diagnostic', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const r = parseDocument(s);
        if (!r.ok) assert.ok(r.diagnostics.length > 0);
      }),
      settings(2 * RUNS),
    );
  });
});
