import assert from 'node:assert/strict';
import { compile, type CompileOptions, type CompileResult } from '../../../engine/graph/compile.ts';
import type { Diagnostic } from '../../../engine/graph/diagnostics.ts';
import type { IrProgram } from '../../../engine/graph/ir.ts';
import { checkInference, verifyProgram } from '../../../engine/graph/ir/verify.ts';
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

/**
 * Structural checks of a lowered program (engine/graph/ir/verify.ts): every value defined
 * before use and typed by its op's rule, unique names, every weight used, and in step mode an
 * initial state computable without the state inputs.
 */
export function checkProgram(p: IrProgram, label: string): void {
  assert.deepEqual(verifyProgram(p), [], label);
}

/** `checkProgram`, and every node's inferred output types against the IR types it lowered to. */
export function checkCompiled(r: CompileResult, label: string): void {
  assert.ok(r.program, label);
  checkProgram(r.program, label);
  assert.deepEqual(checkInference(r), [], `${label}: inference against IR types`);
}
