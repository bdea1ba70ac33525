import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { compile } from '../graph/compile.ts';
import type { IrProgram } from '../graph/ir.ts';
import { parseDocument } from '../graph/parse.ts';
import { emitOnnx, META, PRODUCER_NAME, type EmitOptions } from './emit.ts';
import { initialValues } from './initial-weights.ts';
import { onnx } from './proto.ts';

function program(template: string, mode: 'full' | 'step' = 'full'): IrProgram {
  const parsed = parseDocument(readFileSync(`templates/${template}.json`, 'utf8'));
  assert.ok(parsed.ok);
  const r = compile(parsed.doc, { mode });
  assert.ok(r.program, JSON.stringify(r.diagnostics));
  return r.program;
}

interface ValueInfo {
  name: string;
  type: {
    tensorType: { elemType: number; shape: { dim: { dimValue?: number; dimParam?: string }[] } };
  };
}
interface DecodedNode {
  opType: string;
  attribute: { name: string; i: number; g?: { node: DecodedNode[] } }[];
}
/** The decoded fields these tests read. */
interface Decoded {
  producerName: string;
  producerVersion: string;
  opsetImport: { domain: string; version: number }[];
  metadataProps: { key: string; value: string }[];
  graph: {
    node: DecodedNode[];
    initializer: { name: string; dataType: number }[];
    input: ValueInfo[];
    output: ValueInfo[];
  };
}

function emit(p: IrProgram, opts: Partial<EmitOptions> = {}): Decoded {
  const { weights, buffers } = initialValues(p);
  const bytes = emitOnnx(p, weights, buffers, { opset: 17, precision: 'fp32', ...opts });
  return onnx.ModelProto.toObject(onnx.ModelProto.decode(bytes), {
    longs: Number,
    defaults: true,
    bytes: String,
  }) as Decoded;
}

/** Op types of the graph and of every Loop body in it. */
function opTypes(m: Decoded): Set<string> {
  const seen = new Set<string>();
  const walk = (nodes: DecodedNode[]) => {
    for (const n of nodes) {
      seen.add(n.opType);
      for (const a of n.attribute) if (a.g) walk(a.g.node);
    }
  };
  walk(m.graph.node);
  return seen;
}
const meta = (m: Decoded) => Object.fromEntries(m.metadataProps.map((p) => [p.key, p.value]));

describe('emitOnnx', () => {
  it('stores each shared weight once, however many steps use it', () => {
    const p = program('trm-sudoku');
    const m = emit(p);
    const names = m.graph.initializer.map((t) => t.name);
    assert.equal(new Set(names).size, names.length);
    for (const param of p.params.keys()) assert.equal(names.filter((n) => n === param).length, 1);
  });

  it('keeps batch and sequence dynamic and names inputs and outputs after the program', () => {
    const p = program('tiny-gpt');
    const m = emit(p);
    const input = m.graph.input[0]!;
    assert.equal(input.name, p.inputs[0]!.name);
    assert.equal(input.type!.tensorType!.elemType, 6); // int32 token ids
    assert.deepEqual(
      input.type!.tensorType!.shape!.dim.map((d) => d.dimParam),
      ['B', 'T'],
    );
    const out = m.graph.output[0]!;
    assert.equal(out.name, p.outputs[0]!.name);
    const dims = out.type!.tensorType!.shape!.dim;
    assert.deepEqual([dims[0]!.dimParam, dims[1]!.dimParam, dims[2]!.dimValue], ['B', 'T', 96]);
  });

  it('writes producer, precision, opset, names and caller metadata', () => {
    const m = emit(program('tiny-gpt'), {
      metadata: { 'trm.graph': '{"version":1}' },
      producerVersion: '1.2.3',
    });
    assert.equal(m.producerName, PRODUCER_NAME);
    assert.equal(m.producerVersion, '1.2.3');
    const md = meta(m);
    assert.equal(md['trm.graph'], '{"version":1}');
    assert.equal(md[META.precision], 'fp32');
    assert.equal(md[META.opset], '17');
    assert.ok(JSON.parse(md[META.ioNames] as string));
  });

  it('exports one supervision step with state inputs, next and initial states', () => {
    const p = program('trm-sudoku', 'step');
    const m = emit(p);
    const inputs = m.graph.input.map((i) => i.name);
    const outputs = m.graph.output.map((o) => o.name);
    assert.ok(p.supervision);
    for (const s of p.supervision.state) {
      assert.ok(inputs.includes(s.input), s.input);
      assert.ok(outputs.includes(`${s.input}.next`));
      assert.ok(outputs.includes(`${s.input}.init`));
    }
    const sup = JSON.parse(meta(m)[META.supervision] as string);
    assert.equal(sup.steps, p.supervision.steps);
    assert.ok(p.outputs.every((o) => outputs.includes(o.name)));
  });

  it('decomposes the fused ops at opset 17 and uses them at opset 23', () => {
    const p = program('trm-sudoku', 'step');
    const fused = ['RMSNormalization', 'Attention', 'RotaryEmbedding'];
    const at17 = opTypes(emit(p));
    for (const f of fused) assert.ok(!at17.has(f), f);
    const m23 = emit(p, { opset: 23 });
    const at23 = opTypes(m23);
    for (const f of fused) assert.ok(at23.has(f), f);
    assert.equal(m23.opsetImport.find((o) => o.domain === '')!.version, 23);
  });

  it('quantizes 2-D weight MatMuls per precision and keeps embeddings float', () => {
    const p = program('tiny-gpt');
    const int8 = emit(p, { precision: 'int8' });
    assert.ok(opTypes(int8).has('MatMulInteger'));
    assert.ok(opTypes(int8).has('DynamicQuantizeLinear'));
    const table = [...p.params.keys()].find((n) => n.endsWith('/table'))!;
    const floatTable = int8.graph.initializer.find((t) => t.name === table);
    assert.equal(floatTable?.dataType, 1);
    const int4 = emit(p, { precision: 'int4' });
    const bits = int4
      .graph!.node.filter((n) => n.opType === 'MatMulNBits')
      .map((n) => n.attribute.find((a) => a.name === 'bits')!.i);
    assert.ok(bits.includes(4));
    assert.ok(bits.includes(8), 'the (tied) head keeps 8 bits');
    assert.ok(int4.opsetImport.some((o) => o.domain === 'com.microsoft'));
    const fp16 = emit(p, { precision: 'fp16' });
    assert.ok(fp16.graph.initializer.some((t) => t.dataType === 10));
  });

  it('emits recursions as nested Loops, or unrolled on request', () => {
    const p = program('trm-sudoku');
    const looped = emit(p);
    const loops = looped.graph.node.filter((n) => n.opType === 'Loop');
    assert.ok(loops.length >= 1);
    const body = loops[0]!.attribute.find((a) => a.name === 'body')!.g!;
    assert.ok(
      body.node.some((n) => n.opType === 'Loop'),
      'the inner recursion is a Loop too',
    );
    assert.ok(!opTypes(emit(p, { loops: false })).has('Loop'));
    // Detach points and dropout are the identity at inference: no node at all.
    assert.ok(!opTypes(looped).has('Dropout'));
  });

  it('fails naming the op, node and opset for an op it does not know', () => {
    const p = program('tiny-gpt');
    const bad = { ...p, ops: [...p.ops, { op: 'Bogus', x: 'x', out: 'q', source: 'main/weird' }] };
    assert.throws(
      () => emit(bad as unknown as IrProgram),
      /Bogus from node main\/weird cannot be emitted at opset 17/,
    );
  });

  it('rejects weights that do not match the program', () => {
    const p = program('tiny-gpt');
    const { weights, buffers } = initialValues(p);
    const first = [...weights.keys()][0]!;
    weights.set(first, new Float32Array(3));
    assert.throws(
      () => emitOnnx(p, weights, buffers, { opset: 17, precision: 'fp32' }),
      /has 3 values but its shape/,
    );
  });
});
