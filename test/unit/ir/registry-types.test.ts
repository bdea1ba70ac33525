import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';

// A type-level test: an op added to the IR's list (engine/graph/ir/ops/index.ts) must make the
// compiler name every backend registry that lacks it. The TypeScript compiler checks the three
// registries twice: as they are (no errors), then with a throwaway op defined and listed.

const root = process.cwd();
const irIndex = path.join(root, 'engine/graph/ir/ops/index.ts');
const throwaway = path.join(root, 'engine/graph/ir/ops/throwaway.ts');
const registries = [
  irIndex,
  path.join(root, 'engine/runtime/ops/registry.ts'),
  path.join(root, 'engine/onnx/ops/index.ts'),
  path.join(root, 'engine/pytorch/ops.ts'),
];

const THROWAWAY = `import { defineOp, floats, type OpBase } from '../op-def.ts';
export interface ThrowawayOp extends OpBase { op: 'Throwaway'; x: string }
export const Throwaway = defineOp<ThrowawayOp>({
  operands: ['x'],
  type: (op, input) => floats(op, input, op.x),
});
`;

function options(): ts.CompilerOptions {
  const file = ts.readConfigFile(path.join(root, 'tsconfig.json'), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(file.config, ts.sys, root);
  return { ...parsed.options, noEmit: true };
}

/** Type errors of the registries, with `overlay` replacing or adding files. */
function errors(overlay: Map<string, string>): { file: string; text: string }[] {
  const opts = options();
  const host = ts.createCompilerHost(opts);
  const read = host.readFile.bind(host);
  const exists = host.fileExists.bind(host);
  host.readFile = (f) => overlay.get(path.resolve(f)) ?? read(f);
  host.fileExists = (f) => overlay.has(path.resolve(f)) || exists(f);
  const program = ts.createProgram(registries, opts, host);
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.category === ts.DiagnosticCategory.Error)
    .map((d) => ({
      file: d.file ? path.relative(root, d.file.fileName) : '(global)',
      text: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
    }));
}

describe('the op registries are checked by the compiler', () => {
  it('as they are, the registries type-check', () => {
    assert.deepEqual(errors(new Map()), []);
  });

  it('a new IR op makes tsc name the tfjs, ONNX and PyTorch registries, and only them', () => {
    const index = readFileSync(irIndex, 'utf8')
      .replace(
        "import type { OpDef } from '../op-def.ts';",
        (m) => `${m}\nimport { Throwaway } from './throwaway.ts';`,
      )
      .replace('const definitions = {', 'const definitions = {\n  Throwaway,');
    assert.notEqual(index, readFileSync(irIndex, 'utf8'));
    const found = errors(
      new Map([
        [irIndex, index],
        [throwaway, THROWAWAY],
      ]),
    );
    const files = [...new Set(found.map((e) => e.file))].sort();
    assert.deepEqual(
      files,
      ['engine/onnx/ops/index.ts', 'engine/pytorch/ops.ts', 'engine/runtime/ops/registry.ts'],
      JSON.stringify(found, null, 2),
    );
    for (const e of found) assert.match(e.text, /Throwaway/, e.text);
  });
});
