import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { compile } from '../../../engine/graph/compile.ts';
import type { IrOp, IrProgram } from '../../../engine/graph/ir.ts';
import { irOps } from '../../../engine/graph/ir/ops/index.ts';
import { mapOpInputs, opAttributes, opInputs } from '../../../engine/graph/ir/program.ts';
import { checkInference, typeProgram, verifyProgram } from '../../../engine/graph/ir/verify.ts';
import { parseDocument } from '../../../engine/graph/parse.ts';

function program(template: string, mode: 'full' | 'step' = 'full'): IrProgram {
  const parsed = parseDocument(readFileSync(`templates/${template}.json`, 'utf8'));
  assert.ok(parsed.ok);
  const r = compile(parsed.doc, { mode });
  assert.ok(r.program);
  return r.program;
}

/** A copy whose ops and types can be changed without touching the compiled program. */
function copy(p: IrProgram): IrProgram {
  return { ...p, ops: p.ops.map((op) => ({ ...op })), values: new Map(p.values) };
}

describe('IR registry and typed values', () => {
  it('each definition is filed under the op it defines, and lists real operand fields', () => {
    for (const p of [program('tiny-gpt'), program('trm-sudoku', 'step')]) {
      for (const op of p.ops) {
        const def = irOps[op.op] as { operands: readonly string[] };
        assert.ok(def, op.op);
        for (const v of opInputs(op)) assert.ok(p.values.has(v), `${op.op} reads ${v}`);
        // Operands and attributes partition the op's fields (besides op, out, source).
        const fields = Object.keys(op).filter((k) => !['op', 'out', 'source'].includes(k));
        const attrs = Object.keys(opAttributes(op));
        assert.deepEqual(
          [...new Set([...attrs, ...def.operands.filter((f) => f in op)])].sort(),
          fields.sort(),
          op.op,
        );
      }
    }
  });

  it('mapOpInputs renames every operand (Concat lists and optional operands too)', () => {
    const concat: IrOp = { op: 'Concat', inputs: ['a', 'b'], axis: 1, out: 'y', source: 's' };
    const renamed = mapOpInputs(concat, (v, slot) => `${v}${slot}`);
    assert.deepEqual(opInputs(renamed), ['a0', 'b1']);
    const rope: IrOp = {
      ...{ op: 'RotaryEmbedding', x: 'x', heads: 2, theta: 1e4, offsetLike: 'p' },
      ...{ out: 'y', source: 's' },
    };
    assert.deepEqual(opInputs(mapOpInputs(rope, (v) => v.toUpperCase())), ['X', 'P']);
  });

  it('every value of a compiled program carries the type its op rule gives', () => {
    const p = program('trm-sudoku', 'step');
    assert.deepEqual(verifyProgram(p), []);
    assert.deepEqual(typeProgram(p), p.values);
    const logits = p.outputs.find((o) => o.role === 'logits');
    assert.ok(logits);
    assert.deepEqual(p.values.get(logits.value), { dtype: 'float32', shape: ['B', 16, 6] });
  });

  it('verifyProgram names a value read before it is defined', () => {
    const p = copy(program('tiny-gpt'));
    const [first, second] = p.ops as [IrOp, IrOp];
    p.ops[0] = second;
    p.ops[1] = first;
    const problems = verifyProgram(p).join('\n');
    assert.match(problems, /not defined before it/);
  });

  it('verifyProgram names an ill-typed op (MatMul inner sizes) and a stale recorded type', () => {
    const p = copy(program('tiny-gpt'));
    const i = p.ops.findIndex((op) => op.op === 'MatMul');
    const mm = p.ops[i] as Extract<IrOp, { op: 'MatMul' }>;
    const inner = p.values.get(mm.a)?.shape.at(-1);
    const other = [...p.params.values()].find((w) => w.shape.length === 2 && w.shape[0] !== inner);
    assert.ok(other);
    p.ops[i] = { ...mm, b: other.name };
    assert.match(verifyProgram(p).join('\n'), /MatMul from .*inner sizes of .* differ/);
    const q = copy(program('tiny-gpt'));
    const out = (q.ops[3] as IrOp).out;
    q.values.set(out, { dtype: 'int32', shape: [1] });
    assert.match(verifyProgram(q).join('\n'), /recorded as int32\[1\] but its rule gives float32/);
  });

  it('verifyProgram names an unknown op, an unused weight, an output of an undefined value', () => {
    const p = copy(program('tiny-gpt'));
    p.ops.push({ op: 'Bogus', x: 'x', out: 'q', source: 'main/weird' } as unknown as IrOp);
    p.params = new Map([
      ...p.params,
      ['spare', { name: 'spare', shape: [2], init: { kind: 'zeros' }, decay: false }],
    ]);
    p.values.set('spare', { dtype: 'float32', shape: [2] });
    p.outputs = [
      ...p.outputs,
      { name: 'gone', value: 'nowhere', shape: [], role: 'hidden', node: 'x' },
    ];
    const problems = verifyProgram(p).join('\n');
    assert.match(problems, /Bogus from main\/weird is not an IR op/);
    assert.match(problems, /weight "spare" is never read/);
    assert.match(problems, /output "gone" names "nowhere", which nothing defines/);
  });

  it('verifyProgram names carried state whose initial value needs the state', () => {
    const p = copy(program('trm-mlp-sudoku', 'step'));
    const s = p.supervision?.state[0];
    assert.ok(s);
    p.supervision = {
      ...p.supervision!,
      state: [{ ...s, init: s.output }, ...p.supervision!.state.slice(1)],
    };
    assert.match(verifyProgram(p).join('\n'), /initial value of carried state .* needs the state/);
  });

  it('node kinds’ inferred types agree with the IR types, and a disagreement is named', () => {
    const parsed = parseDocument(readFileSync('templates/tiny-gpt.json', 'utf8'));
    assert.ok(parsed.ok);
    const r = compile(parsed.doc, { mode: 'full' });
    assert.deepEqual(checkInference(r), []);
    const withValues = [...r.nodes.values()].filter(
      (n) => n.values && Object.keys(n.values).length,
    );
    assert.ok(withValues.length >= 5, 'reports carry the IR values of their ports');
    const [key, report] = [...r.nodes].find(([, n]) => n.values?.out) as [
      string,
      (typeof withValues)[0],
    ];
    const wrong = new Map(r.nodes);
    wrong.set(key, {
      ...report,
      outputs: { ...report.outputs, out: { dtype: 'float32', shape: ['B', 'T', 7] } },
    });
    assert.match(
      checkInference({ ...r, nodes: wrong }).join('\n'),
      new RegExp(`${key}\\.out: inferred`),
    );
  });
});
