import { capture } from '../support/capture.ts';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { main } from '../../engine/cli/main.ts';
import type { GraphDocument } from '../../engine/graph/schema.ts';
import { MAX_RUNS } from '../../engine/service/runs.ts';
import {
  checkTrainingFits,
  estimateTrainingMemory,
  WASM_MEMORY_LIMIT,
} from '../../engine/train/preflight.ts';
import { errorOf, template, testService } from '../support/service-harness.ts';

/**
 * Limits that must hold however calls arrive: admission taken before any await, and sizes
 * refused before anything is allocated, by the service and the CLI alike.
 */

const { workspace, call } = testService('limits');
const tiny = template('tiny-gpt', { V: 14, D: 16, H: 2, T: 9 });
/** About 100 G parameters: more than any machine this runs on, and than ONNX holds. */
const huge = template('tiny-gpt', { V: 65_536, D: 65_536, H: 4 });
const GiB = 2 ** 30;

function runFolders(): string[] {
  return existsSync(join(workspace, 'runs')) ? readdirSync(join(workspace, 'runs')) : [];
}

async function writeDoc(doc: GraphDocument): Promise<string> {
  const { writeFileSync } = await import('node:fs');
  const file = join(mkdtempSync(join(tmpdir(), 'trm-limits-')), 'huge.json');
  writeFileSync(file, JSON.stringify(doc));
  return file;
}

describe('memory preflight', () => {
  const estimate = estimateTrainingMemory(tiny, 8, { ema: false });

  it('holds the memory of runs already going against a new one, naming them', () => {
    const machine = estimate.total * 2;
    checkTrainingFits(estimate, 8, { available: machine });
    assert.throws(
      () =>
        checkTrainingFits(estimate, 8, {
          available: machine,
          going: [{ runId: 'run-a', bytes: estimate.total }],
        }),
      (e: Error & { code?: string }) =>
        e.code === 'out-of-memory' &&
        /run run-a already holds about/.test(e.message) &&
        /wait for those runs to finish/.test(e.message),
    );
  });

  it('caps the room at wasm’s 4 GiB, and the batch it names fits under it', () => {
    const batch = 65_536;
    const big = estimateTrainingMemory(tiny, batch, { ema: false, context: 32 });
    assert.ok(big.total > WASM_MEMORY_LIMIT && big.total < 64 * GiB, String(big.total));
    checkTrainingFits(big, batch, { available: 64 * GiB, backend: 'native' });
    assert.throws(
      () => checkTrainingFits(big, batch, { available: 64 * GiB, backend: 'wasm' }),
      (e: Error) => {
        assert.match(e.message, /the wasm backend can address at most 4\.0 GiB/);
        const fits = Number(/set batch to (\d+) or less/.exec(e.message)?.[1]);
        const smaller = estimateTrainingMemory(tiny, fits, { ema: false, context: 32 });
        assert.ok(smaller.total <= WASM_MEMORY_LIMIT, `${fits} → ${smaller.total}`);
        checkTrainingFits(smaller, fits, { available: 64 * GiB, backend: 'wasm' });
        return true;
      },
    );
  });
});

describe('a model too large for the machine or for ONNX', () => {
  it('export.run refuses it at once, before the exports folder or a file exists', async () => {
    const err = errorOf(
      await call('export.run', { document: huge, precision: 'fp32', mode: 'full' }),
    );
    assert.equal(err.code, 'too-large-for-onnx');
    assert.match(err.message, /over ONNX's 2\.0 GiB limit for one file/);
    assert.match(err.message, /shrink the model/);
    assert.equal(existsSync(join(workspace, 'exports')), false);
  });

  it('export.run names a smaller precision when one fits under the limit', async () => {
    const mid = template('tiny-gpt', { V: 65_536, D: 4_096 });
    const err = errorOf(await call('export.run', { document: mid, precision: 'fp32' }));
    assert.equal(err.code, 'too-large-for-onnx');
    assert.match(err.message, /A fp32 export of [\d,]+ parameters would be about 2\.\d GiB/);
    assert.match(err.message, /export at fp16 \(a smaller precision\)/);
  });

  it('train.start refuses it before a run folder exists', async () => {
    const err = errorOf(
      await call('train.start', { document: huge, data: 'copy', config: { backend: 'cpu' } }),
    );
    assert.equal(err.code, 'out-of-memory');
    assert.match(err.message, /This run would need about [\d.]+ TiB of memory/);
    assert.deepEqual(runFolders(), []);
  });

  it('trm train refuses it with the same sentence, before writing its run folder', async () => {
    const file = await writeDoc(huge);
    const out = join(mkdtempSync(join(tmpdir(), 'trm-limits-')), 'run');
    const c = capture();
    const code = await main(
      ['train', file, '--data', 'copy:length=4', '--backend', 'cpu', '--out', out],
      c.out,
    );
    assert.equal(code, 1);
    assert.match(c.errors.join('\n'), /This run would need about [\d.]+ TiB of memory/);
    assert.equal(existsSync(out), false);
  });

  it('trm export refuses it without writing a file', async () => {
    const file = await writeDoc(huge);
    const target = join(mkdtempSync(join(tmpdir(), 'trm-limits-')), 'huge.onnx');
    const c = capture();
    const code = await main(['export', file, '--out', target, '--no-task'], c.out);
    assert.equal(code, 1);
    assert.match(c.errors.join('\n'), /over ONNX's 2\.0 GiB limit for one file/);
    assert.equal(existsSync(target), false);
  });
});

describe('admission of training runs', () => {
  it('train.start checks the data spec before a run folder exists', async () => {
    const err = errorOf(
      await call('train.start', { document: tiny, data: { a: 1 }, config: { backend: 'cpu' } }),
    );
    assert.equal(err.code, 'bad-data');
    assert.deepEqual(runFolders(), []);
  });

  it(`admits exactly ${MAX_RUNS} of 6 concurrent train.start calls`, async () => {
    const replies = await Promise.all(
      Array.from({ length: 6 }, () =>
        call('train.start', {
          document: tiny,
          data: 'copy:length=4',
          config: { backend: 'cpu', steps: 100_000, batch: 2, evalEvery: 0 },
        }),
      ),
    );
    const accepted = replies.flatMap((r) => (r.ok ? [r.result as { runId: string }] : []));
    try {
      assert.equal(accepted.length, MAX_RUNS);
      for (const r of replies.filter((x) => !x.ok)) {
        const err = errorOf(r);
        assert.equal(err.code, 'busy');
        assert.match(err.message, new RegExp(`${MAX_RUNS} training runs are already going`));
        assert.match(err.message, /Stop one or wait for it to finish/);
      }
      assert.equal(runFolders().length, MAX_RUNS);
    } finally {
      for (const { runId } of accepted) await call('train.stop', { runId });
    }
  });
});

describe('validation says what training and export will refuse', () => {
  async function validate(doc: unknown) {
    const r = await call('document.validate', { doc });
    assert.ok(r.ok, JSON.stringify(r));
    return r.result as {
      ok: boolean;
      diagnostics: { severity: string; code: string; message: string }[];
    };
  }

  it('refuses training settings that are not finite numbers', async () => {
    const doc = { ...tiny, meta: { training: { optimizer: { betas: [Infinity, 'x'] } } } };
    const a = await validate(doc);
    assert.equal(a.ok, false);
    const bad = a.diagnostics.find((d) => d.code === 'bad-training');
    assert.match(bad?.message ?? '', /training settings \(meta\.training\) are invalid/);
  });

  it('refuses a 4096 × 4096 nested recursion as training does (op budget)', async () => {
    // recursive-lm's recursion over its block, nested in a second recursion: 16.8 M block runs.
    const doc = structuredClone(template('recursive-lm')) as GraphDocument;
    const outer = doc.main.nodes.find((n) => n.kind === 'recursion')!;
    const position = { x: 0, y: 0 };
    doc.components.inner = {
      nodes: [
        { id: 'h', kind: 'component-input', params: { name: 'h' }, position },
        { id: 'ri', kind: 'recursion', params: { ...outer.params, steps: 4096 }, position },
        { id: 'o', kind: 'component-output', params: { name: 'h' }, position },
      ],
      edges: [
        { from: { node: 'h', port: 'out' }, to: { node: 'ri', port: 'h' } },
        { from: { node: 'ri', port: 'h' }, to: { node: 'o', port: 'value' } },
      ],
    };
    outer.params = { ...outer.params, component: 'inner', steps: 4096 };
    const a = await validate(doc);
    assert.equal(a.ok, false);
    assert.match(
      a.diagnostics.find((d) => d.code === 'too-large')?.message ?? '',
      /more than 2,000,000 operations/,
    );
  });

  it('refuses a model too large to allocate, and warns that fp32 passes ONNX’s limit', async () => {
    const a = await validate(huge);
    assert.equal(a.ok, false);
    assert.match(
      a.diagnostics.find((d) => d.code === 'out-of-memory')?.message ?? '',
      /This run would need about/,
    );
    const onnx = a.diagnostics.find((d) => d.code === 'too-large-for-onnx');
    assert.equal(onnx?.severity, 'warning');
  });

  it('trm validate agrees', async () => {
    const c = capture();
    assert.equal(await main(['validate', await writeDoc(huge)], c.out), 1);
    assert.match(c.errors.join('\n'), /This run would need about/);
    const t = capture();
    assert.equal(await main(['validate', await writeDoc(tiny)], t.out), 0, t.errors.join('\n'));
  });
});
