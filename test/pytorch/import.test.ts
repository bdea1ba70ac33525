import { execFile } from 'node:child_process';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { main } from '../../engine/cli/main.ts';
import type { EvalReport } from '../../engine/contract/events.ts';
import { decodeSafetensors, encodeSafetensors } from '../../engine/pytorch/safetensors.ts';
import { RunManager } from '../../engine/service/runs.ts';
import { disposeCheckpoint, readCheckpoint } from '../../engine/train/checkpoint.ts';
import { evaluateCheckpoint } from '../../engine/train/load-model.ts';
import { torchName } from '../../engine/pytorch/names.ts';
import { capture } from '../support/capture.ts';
import { torchPython } from '../support/python.ts';

// A PyTorch package's run imported into the Studio (issue #16): the trm-mlp-sudoku template
// exported with 6 steps, trained by its own train.py, imported with `trm import`, then
// evaluated by the Studio's `trm eval` code path against the eval line train.py logged.

const run = promisify(execFile);

describe('trm import', () => {
  let skip: string | undefined;
  let dir: string;
  let pkg: string;
  let ptRun: string;
  let studio: string;

  before(async () => {
    const torch = await torchPython();
    if (typeof torch === 'string') {
      skip = torch;
      return;
    }
    dir = mkdtempSync(path.join(tmpdir(), 'trm-import-'));
    pkg = path.join(dir, 'pkg');
    ptRun = path.join(pkg, 'run');
    const a = capture();
    const code = await main(
      [
        'export',
        'templates/trm-mlp-sudoku.json',
        '--format',
        'pytorch',
        '--out',
        pkg,
        '--steps',
        '6',
      ],
      a.out,
    );
    assert.equal(code, 0, a.errors.join('\n'));
    await run(torch.python, ['train.py', '--quiet', '--device', 'cpu', '--threads', '2'], {
      cwd: pkg,
    });
    // The Studio run goes into a workspace's runs/ folder, where the app's runs list looks.
    studio = path.join(dir, 'workspace', 'runs', 'from-pytorch');
    mkdirSync(path.dirname(studio), { recursive: true });
    const b = capture();
    assert.equal(await main(['import', ptRun, '--out', studio], b.out), 0, b.errors.join('\n'));
    assert.match(b.lines[0]!, /^Imported step 6 of 6 \(105,665 parameters, with EMA weights\)/);
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("evaluates to the figures train.py logged (the Studio's trm eval on the imported run)", async (t) => {
    if (skip) return t.skip(skip);
    const logged = readFileSync(path.join(ptRun, 'metrics.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { type: string; report?: EvalReport })
      .filter((e) => e.type === 'eval')
      .at(-1)!.report!;
    const studioReport = await evaluateCheckpoint(path.join(studio, 'checkpoints'));
    assert.equal(studioReport.step, 6);
    assert.equal(studioReport.examples, logged.examples);
    assert.equal(studioReport.ema, true);
    const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);
    assert.ok(rel(studioReport.loss, logged.loss) < 1e-4, `${studioReport.loss} vs ${logged.loss}`);
    assert.ok(
      Math.abs(studioReport.exactMatch! - logged.exactMatch!) <= 1e-4,
      `${studioReport.exactMatch} vs ${logged.exactMatch}`,
    );
    // Six steps leave the cells' logits nearly tied, so the last float bit of the two engines'
    // sums can flip an argmax: a handful of the 16,000 cells, not more (0.05%).
    const cells = logged.examples * 16;
    for (const [s, l] of [
      [studioReport, logged],
      ...studioReport.byDepth!.map((d, i) => [d, logged.byDepth![i]!] as const),
    ] as const) {
      assert.ok(Math.abs(s.accuracy - l.accuracy) * cells <= 8, `${s.accuracy} vs ${l.accuracy}`);
      assert.ok(rel(s.loss, l.loss) < 1e-4, `${s.loss} vs ${l.loss}`);
    }
  });

  it('keeps every weight, EMA weight, moment and carried state bit for bit', async (t) => {
    if (skip) return t.skip(skip);
    const step = path.join(ptRun, 'step-000006');
    const file = (name: string) => decodeSafetensors(readFileSync(path.join(step, name)));
    const ckpt = await readCheckpoint(path.join(studio, 'checkpoints'));
    try {
      const cases = [
        ['weights', file('model.safetensors'), torchName],
        ['ema', file('ema.safetensors'), torchName],
        // m/<studio name> ↔ m/<torchName name>
        [
          'optimizer',
          file('optimizer.safetensors'),
          (n: string) => n.slice(0, 2) + torchName(n.slice(2)),
        ],
        ['carry', file('carry.safetensors'), (n: string) => n],
      ] as const;
      for (const [groupName, tensors, keyOf] of cases) {
        const raw = ckpt.raw[groupName]!;
        assert.ok(raw, `no ${groupName} group`);
        assert.equal(raw.manifest.length, Object.keys(tensors).length, groupName);
        for (const e of raw.manifest) {
          const want = tensors[keyOf(e.name)];
          assert.ok(want, `${groupName}: ${e.name} has no ${keyOf(e.name)} in the file`);
          assert.deepEqual(e.shape, want.shape);
          const got = new Uint32Array(
            raw.data.slice(e.offset, e.offset + 4 * want.data.length).buffer,
          );
          assert.deepEqual(got, new Uint32Array(want.data.buffer), `${groupName}: ${e.name}`);
        }
      }
      const state = JSON.parse(readFileSync(path.join(step, 'state.json'), 'utf8')) as {
        position: unknown;
        torch: string;
      };
      assert.deepEqual(ckpt.meta.data, state.position);
      assert.equal(ckpt.meta.importedFrom?.engine, 'pytorch');
      assert.equal(ckpt.meta.importedFrom?.version, state.torch);
      assert.deepEqual(
        ckpt.meta.metrics.steps.map((s) => s.step),
        [1, 2, 3, 4, 5, 6],
      );
      assert.equal(ckpt.meta.metrics.evals.length, 1);
    } finally {
      disposeCheckpoint(ckpt);
    }
  });

  it("is in the app's runs list, marked as imported", async (t) => {
    if (skip) return t.skip(skip);
    const runs = await new RunManager(path.join(dir, 'workspace'), () => {}).list();
    const mine = runs.find((r) => r.runId === 'from-pytorch');
    assert.ok(mine, JSON.stringify(runs));
    assert.equal(mine.status, 'completed');
    assert.equal(mine.importedFrom?.engine, 'pytorch');
    assert.equal(mine.step, 6);
    assert.ok(mine.metrics?.valLoss !== null && mine.metrics?.loss !== null);
  });

  it('refuses bad input with one sentence naming the problem', async (t) => {
    if (skip) return t.skip(skip);
    const refused = async (args: string[]) => {
      const c = capture();
      assert.equal(await main(['import', ...args], c.out), 1, c.lines.join('\n'));
      assert.equal(c.errors.length, 1);
      return c.errors[0]!;
    };
    const copy = (name: string) => {
      const to = path.join(dir, name, 'run');
      cpSync(ptRun, to, { recursive: true });
      return to;
    };
    const pkgFlag = ['--package', pkg];

    const damaged = copy('damaged');
    const model = path.join(damaged, 'step-000006', 'model.safetensors');
    writeFileSync(model, readFileSync(model).subarray(0, 5000));
    assert.match(
      await refused([damaged, ...pkgFlag]),
      /model\.safetensors: tensor "[\w.]+" \(F32 \[[\d,]+\]\) is damaged/,
    );

    const misshaped = copy('misshaped');
    const file = path.join(misshaped, 'step-000006', 'model.safetensors');
    const tensors = decodeSafetensors(readFileSync(file));
    const [first] = Object.keys(tensors).sort();
    delete tensors[first!];
    writeFileSync(file, encodeSafetensors(tensors));
    assert.match(
      await refused([misshaped, ...pkgFlag]),
      new RegExp(`does not match the graph: it has no "${first!.replace(/\./g, '\\.')}"`),
    );

    const early = path.join(dir, 'early', 'run');
    mkdirSync(early, { recursive: true });
    writeFileSync(path.join(early, 'metrics.jsonl'), '{"type": "started"}\n');
    assert.match(await refused([early, ...pkgFlag]), /has no checkpoint yet/);

    assert.match(await refused([pkg]), /is not a PyTorch run/);
    // A run moved away from its package needs --package to find the graph.
    assert.match(await refused([misshaped]), /config\.json is missing: pass the package folder/);
  });
});
