import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseDocument } from '../../engine/graph/parse.ts';
import type { GraphDocument } from '../../engine/graph/schema.ts';
import { exportModel, onnxSignature } from '../../engine/onnx-runtime/export-model.ts';
import { selectBackend } from '../../engine/runtime/backend.ts';
import { snippets, taskCells } from '../../renderer/src/components/export-snippets.ts';
import type { ExportReport } from '../../engine/contract/api.ts';

// The export dialog's "Copy code": the Node snippet, run as written against a real export,
// loads it and prints every output's dims; the Python one compiles and names the same tensors.

function template(name: string, dims: Record<string, number>): GraphDocument {
  const raw = JSON.parse(readFileSync(`templates/${name}.json`, 'utf8'));
  raw.dims = { ...raw.dims, ...dims };
  const parsed = parseDocument(raw);
  assert.ok(parsed.ok, name);
  return parsed.doc;
}

describe('export snippets', () => {
  // Inside the repository, so the snippet's `import 'onnxruntime-node'` resolves.
  const dir = mkdtempSync(resolve('.snippet-test-'));
  before(async () => {
    await selectBackend('wasm');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const [name, dims, mode, printed] of [
    ['tiny-gpt', { D: 16, H: 2, T: 16 }, 'full', ['head [ 1, 8, 96 ]']],
    [
      'trm-mlp-sudoku',
      { D: 16, F_seq: 16 },
      'step',
      ['answer [ 1, 16, 6 ]', 'halt [ 1 ]', 'supervise.y.next [ 1, 17, 16 ]'],
    ],
  ] as const) {
    it(`${name} (${mode}): the Node snippet runs the model; the Python one names its tensors`, async () => {
      const path = join(dir, `${name}.onnx`);
      const { bytes } = await exportModel({
        doc: template(name, dims),
        precision: 'int8',
        mode,
        out: path,
        latencyRuns: 0,
        task: false,
      });
      const signature = onnxSignature(bytes);
      const code = snippets(path, signature);
      const script = join(dir, `${name}.mjs`);
      writeFileSync(script, code.node);
      const out = execFileSync(process.execPath, [script], { encoding: 'utf8' });
      for (const line of printed) assert.ok(out.includes(line), `${line} not in:\n${out}`);
      for (const input of signature.inputs) assert.ok(code.python.includes(`"${input.name}": np.`));
      assert.ok(
        code.python.includes(`names = [${signature.outputs.map((o) => `"${o.name}"`).join(', ')}]`),
      );
      const py = join(dir, `${name}.py`);
      writeFileSync(py, code.python);
      execFileSync('python3', ['-m', 'py_compile', py]);
    });
  }

  it('task cells: the headline change in % (perplexity) or points (accuracy), or a dash and the reason', () => {
    const base = { taskSkipped: null } as unknown as ExportReport;
    const ppl = { metric: 'perplexity' as const, reference: 10, onnx: 10.5, delta: 0.5 };
    const acc = { metric: 'accuracy' as const, reference: 0.5, onnx: 0.4875, delta: -0.0125 };
    const task = {
      task: 'causal-lm',
      data: 'brown',
      examples: 4,
      scored: 10,
      depth: null,
      top1Agreement: 1,
    };
    const lm = taskCells({ ...base, task: { ...task, ...ppl, metrics: [ppl, acc] } });
    assert.equal(lm.value, 'ppl 10.00 → 10.50');
    assert.equal(lm.delta, '+5.00%');
    assert.match(lm.title, /accuracy: acc 50\.0% → 48\.8% \(−1\.25 pt\)/);
    const none = taskCells({ ...base, task: null, taskSkipped: 'No task.' });
    assert.deepEqual(none, { value: '—', delta: '—', title: 'No task.' });
  });
});
