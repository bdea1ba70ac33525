import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { programPy } from '../../engine/pytorch/model-py.ts';
import { PYTHON_DIR } from '../../engine/pytorch/package.ts';
import {
  assertClose,
  caseProgram,
  fixtureNames,
  loadFixture,
  type FixtureCase,
} from '../ops/fixture.ts';
import { torchPython } from '../support/python.ts';

// Every IR op's fixture (test/ops/<Op>.json, float64 numpy reference) through the PyTorch
// backend: the op's case program written as Python by the model generator, run in torch
// (float32, values, the listed gradients and running buffers' updates; a training case in the
// module's training mode). One Python process runs every case.

const run = promisify(execFile);

const RUNNER = `
import importlib, json, sys
import torch
cases = json.load(open(sys.argv[1]))
results = []
for i, c in enumerate(cases):
    try:
        module = importlib.import_module(f"case_{i}").Program()
        module.train(c["training"])
        with torch.no_grad():
            for name in c["buffers"]:
                t = c["inputs"][name]
                getattr(module, name).copy_(torch.tensor(t["values"]).reshape(t["shape"]))
        xs = []
        for name in c["order"]:
            t = c["inputs"][name]
            dtype = torch.int64 if t["dtype"] == "int32" else torch.float32
            x = torch.tensor(t["values"], dtype=dtype).reshape(t["shape"])
            if name in c["wrt"]:
                x.requires_grad_(True)
            xs.append(x)
        y = module(*xs)[0]
        out = {"shape": list(y.shape), "values": y.detach().reshape(-1).tolist()}
        out["updates"] = [getattr(module, n).reshape(-1).tolist() for n in c["buffers"]]
        if c["wrt"]:
            dy = torch.tensor(c["outputGrad"], dtype=torch.float32).reshape(y.shape)
            wrt = [xs[c["order"].index(n)] for n in c["wrt"]]
            grads = torch.autograd.grad(y, wrt, dy, allow_unused=True)
            out["grads"] = [None if g is None else g.reshape(-1).tolist() for g in grads]
        results.append(out)
    except Exception as e:
        results.append({"error": f"{type(e).__name__}: {e}"})
print(json.dumps(results))
`;

interface Result {
  shape?: number[];
  values?: number[];
  grads?: (number[] | null)[];
  updates?: number[][];
  error?: string;
}

const all = fixtureNames().flatMap((op) => loadFixture(op).cases.map((c) => ({ op, c })));

describe('IR ops in PyTorch (test/ops fixtures through the generated Python)', () => {
  let results: Result[] | undefined;
  let skip: string | undefined;
  let dir = '';

  before(async () => {
    const torch = await torchPython();
    if (typeof torch === 'string') {
      skip = torch;
      return;
    }
    dir = mkdtempSync(path.join(tmpdir(), 'trm-pt-ops-'));
    copyFileSync(path.join(PYTHON_DIR, 'layers.py'), path.join(dir, 'layers.py'));
    const cases = all.map(({ op, c }, i) => {
      writeFileSync(path.join(dir, `case_${i}.py`), programPy(caseProgram(op, c)));
      const buffers = Object.keys(c.updates ?? {});
      return {
        order: Object.keys(c.inputs).filter((name) => !buffers.includes(name)),
        buffers,
        training: c.training ?? false,
        inputs: c.inputs,
        wrt: Object.keys(c.gradients?.inputs ?? {}),
        outputGrad: c.gradients?.outputGrad ?? [],
      };
    });
    writeFileSync(path.join(dir, 'cases.json'), JSON.stringify(cases));
    writeFileSync(path.join(dir, 'run.py'), RUNNER);
    const { stdout } = await run(torch.python, ['run.py', 'cases.json'], {
      cwd: dir,
      maxBuffer: 64 << 20,
      timeout: 300_000,
    });
    results = JSON.parse(stdout) as Result[];
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const [i, { op, c }] of all.entries()) {
    it(`${op}: ${c.name}`, (t) => {
      if (skip) return t.skip(skip);
      check(c, results![i]!);
    });
  }
});

function check(c: FixtureCase, r: Result): void {
  if (r.error) throw new Error(`PyTorch raised ${r.error}`);
  assertClose(r.values!, c.output.values, c.tolerance, 'output');
  if (JSON.stringify(r.shape) !== JSON.stringify(c.output.shape))
    throw new Error(`output shape [${r.shape}], expected [${c.output.shape}]`);
  Object.entries(c.updates ?? {}).forEach(([name, want], k) =>
    assertClose(r.updates?.[k] ?? [], want.values, c.tolerance, `running ${name} after the run`),
  );
  const g = c.gradients;
  if (!g) return;
  Object.entries(g.inputs).forEach(([name, want], k) => {
    const got = r.grads?.[k];
    if (!got) throw new Error(`no gradient reached "${name}"`);
    assertClose(got, want, g.tolerance, `gradient of "${name}"`);
  });
}
