import assert from 'node:assert/strict';
import { compile, type CompileOptions, type CompileResult } from '../../../engine/graph/compile.ts';
import type { Diagnostic } from '../../../engine/graph/diagnostics.ts';
import type { IrOp, IrProgram } from '../../../engine/graph/ir.ts';
import { parseDocument } from '../../../engine/graph/parse.ts';
import type { GraphDocument } from '../../../engine/graph/schema.ts';

/** `[id, kind, params]` — the compact node form used by the tests. */
export type NodeSpec = [string, string, Record<string, unknown>?];

export interface GraphSpec {
  nodes: NodeSpec[];
  /** `"from.port -> to.port"` */
  edges: string[];
}

function ref(s: string): { node: string; port: string } {
  const dot = s.lastIndexOf('.');
  return { node: s.slice(0, dot), port: s.slice(dot + 1) };
}

export function graph(spec: GraphSpec) {
  return {
    nodes: spec.nodes.map(([id, kind, params]) => ({ id, kind, params: params ?? {} })),
    edges: spec.edges.map((e) => {
      const [from, to] = e.split('->').map((s) => s.trim()) as [string, string];
      return { from: ref(from), to: ref(to) };
    }),
  };
}

/** A raw (unparsed) v1 document. */
export function rawDoc(
  main: GraphSpec,
  extra: { dims?: Record<string, number>; components?: Record<string, GraphSpec> } = {},
): Record<string, unknown> {
  return {
    version: 1,
    name: 'test',
    dims: extra.dims ?? {},
    components: Object.fromEntries(
      Object.entries(extra.components ?? {}).map(([k, v]) => [k, graph(v)]),
    ),
    main: graph(main),
  };
}

export function parsed(raw: unknown): GraphDocument {
  const r = parseDocument(raw);
  assert.ok(r.ok, `parse failed: ${JSON.stringify(r.diagnostics)}`);
  return r.doc;
}

/** Parse then compile; parse failures come back as diagnostics with no result. */
export function check(
  raw: unknown,
  options?: CompileOptions,
): { diagnostics: Diagnostic[]; result?: CompileResult } {
  const r = parseDocument(raw);
  if (!r.ok) return { diagnostics: r.diagnostics };
  const result = compile(r.doc, options);
  return { diagnostics: result.diagnostics, result };
}

/** Compile and require zero errors. */
export function ok(raw: unknown, options?: CompileOptions): CompileResult {
  const r = compile(parsed(raw), options);
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual(errors, [], JSON.stringify(errors, null, 2));
  assert.ok(r.program);
  return r;
}

export function errorCodes(diags: readonly Diagnostic[]): string[] {
  return diags.filter((d) => d.severity === 'error').map((d) => d.code);
}

const NOT_REFS = new Set(['op', 'out', 'source', 'approximate']);

function refs(op: IrOp): string[] {
  // A Concat's inputs are a list of references.
  return Object.entries(op)
    .filter(([k]) => !NOT_REFS.has(k))
    .flatMap(([, v]) =>
      typeof v === 'string'
        ? [v]
        : Array.isArray(v) && v.every((x) => typeof x === 'string')
          ? v
          : [],
    );
}

/**
 * Structural checks of a lowered program: every value defined before use, unique names, every
 * weight used, and in step mode an initial state computable without the state inputs.
 */
export function checkProgram(p: IrProgram, label: string): void {
  const defined = new Set<string>([
    ...p.inputs.map((i) => i.name),
    ...p.params.keys(),
    ...p.buffers.keys(),
  ]);
  assert.equal(
    defined.size,
    p.inputs.length + p.params.size + p.buffers.size,
    `${label}: names clash`,
  );
  const used = new Set<string>();
  for (const op of p.ops) {
    for (const r of refs(op)) {
      assert.ok(defined.has(r), `${label}: ${op.op} (${op.source}) uses undefined "${r}"`);
      used.add(r);
    }
    assert.ok(!defined.has(op.out), `${label}: "${op.out}" defined twice`);
    defined.add(op.out);
  }
  for (const name of p.params.keys()) assert.ok(used.has(name), `${label}: weight ${name} unused`);
  const names = p.outputs.map((o) => o.name);
  assert.equal(new Set(names).size, names.length, `${label}: duplicate output names`);
  for (const o of p.outputs) assert.ok(defined.has(o.value), `${label}: output ${o.name}`);
  for (const [name, w] of p.params) {
    assert.ok(
      w.shape.every((d) => Number.isInteger(d) && d > 0),
      `${label}: ${name} ${w.shape}`,
    );
  }
  if (p.supervision) {
    const producers = new Map(p.ops.map((op) => [op.out, op]));
    const stateInputs = new Set(p.supervision.state.map((s) => s.input));
    /** Whether `value` depends on a state input. */
    const dependsOnState = (value: string, seen = new Set<string>()): boolean => {
      if (stateInputs.has(value)) return true;
      if (seen.has(value)) return false;
      seen.add(value);
      const op = producers.get(value);
      return op ? refs(op).some((r) => dependsOnState(r, seen)) : false;
    };
    for (const s of p.supervision.state) {
      assert.ok(
        p.inputs.some((i) => i.name === s.input && i.role === 'state'),
        s.input,
      );
      assert.ok(defined.has(s.output) && defined.has(s.init), `${label}: state ${s.input}`);
      assert.ok(!dependsOnState(s.init), `${label}: init of ${s.input} needs the state`);
      assert.ok(dependsOnState(s.output), `${label}: next ${s.input} ignores the state`);
    }
  }
}
