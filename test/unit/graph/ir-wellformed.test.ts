import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { compile } from '../../../engine/graph/compile.ts';
import type { IrOp, IrProgram } from '../../../engine/graph/ir.ts';
import { parseDocument } from '../../../engine/graph/parse.ts';
import { applyPreset, presetNames } from '../../../engine/graph/presets.ts';
import type { GraphDocument } from '../../../engine/graph/schema.ts';

// Structural checks of lowered programs, independent of any executor: every value is defined
// before it is used, names are unique, every weight is used, and in step mode the initial
// state is computable without the state inputs (what the trainer relies on).

const NOT_REFS = new Set(['op', 'out', 'source', 'approximate']);

function refs(op: IrOp): string[] {
  return Object.entries(op)
    .filter(([k, v]) => !NOT_REFS.has(k) && typeof v === 'string')
    .map(([, v]) => v as string);
}

function checkProgram(p: IrProgram, label: string): void {
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

function documents(): [string, GraphDocument][] {
  const out: [string, GraphDocument][] = [];
  const add = (label: string, text: string) => {
    const r = parseDocument(text);
    assert.ok(r.ok, label);
    out.push([label, r.doc]);
    for (const name of presetNames(r.doc)) {
      const applied = applyPreset(r.doc, name);
      if ('doc' in applied) out.push([`${label} [${name}]`, applied.doc]);
    }
  };
  for (const f of readdirSync('templates').filter((f) => f.endsWith('.json')))
    add(f, readFileSync(`templates/${f}`, 'utf8'));
  for (const f of readdirSync('test/fixtures/valid').filter((f) => f !== 'expectations.json'))
    add(f, readFileSync(`test/fixtures/valid/${f}`, 'utf8'));
  return out;
}

describe('lowered programs are well formed', () => {
  for (const [label, doc] of documents()) {
    it(label, () => {
      for (const mode of ['check', 'step', 'full'] as const) {
        const r = compile(doc, { mode });
        assert.ok(r.program, `${label} ${mode}: ${JSON.stringify(r.diagnostics)}`);
        checkProgram(r.program, `${label} ${mode}`);
        if (mode === 'step') {
          const deep = JSON.stringify(doc).includes('"deepSupervision":true');
          assert.equal(r.program.supervision !== undefined, deep, `${label}: supervision`);
        }
      }
    });
  }
});
