/**
 * The PyTorch engine next to the Studio's own trainer, engine to engine: each graph trained by
 * `trm train`'s code path (tfjs, native backend) and by its generated PyTorch project
 * (`python train.py`, 1 and 2 threads) with the same config, data and initial weights,
 * interleaved in rounds. Reports the median tokens/s (cells/s for TRM) of the steps after the
 * first three. Part of `npm run bench`; `node --import tsx bench/pytorch-engine.ts` alone.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseDataArg } from '../engine/data/data-arg.ts';
import { parseDocument } from '../engine/graph/parse.ts';
import { applyPreset } from '../engine/graph/presets.ts';
import type { GraphDocument } from '../engine/graph/schema.ts';
import { writePytorchPackage } from '../engine/pytorch/package.ts';
import { median } from './train.ts';
import { findTorchPython } from '../engine/pytorch/python-env.ts';
import { selectBackend } from '../engine/runtime/backend.ts';
import { loadAddon } from '../engine/runtime/native/addon.ts';
import { configFromDocument } from '../engine/train/document-config.ts';
import { train } from '../engine/train/trainer.ts';
import { gptPreset, template } from './models.ts';

const run = promisify(execFile);
const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 1 : 2;
const STEPS = quick ? 8 : 16;
const WARM = 3;

function doc(raw: Record<string, unknown>): GraphDocument {
  const p = parseDocument(raw);
  if (!p.ok) throw new Error('a bench graph does not parse');
  return p.doc;
}

/**
 * `--sudoku9`: also the TRM-MLP template's sudoku-9x9 preset (5.0M parameters, the paper's
 * model), on the PyTorch engine alone — one tfjs CPU step of it takes longer than a GPU run.
 */
const sudoku9 = process.argv.includes('--sudoku9');
function preset(name: string, which: string): GraphDocument {
  const r = applyPreset(doc(template(name)), which);
  if ('error' in r) throw new Error(r.error);
  return r.doc;
}

const graphs: {
  name: string;
  unit: string;
  doc: GraphDocument;
  batch: number;
  tfjs?: false;
}[] = [
  { name: 'tiny GPT preset (RMSNorm, FFN 2×)', unit: 'tokens/s', doc: doc(gptPreset()), batch: 32 },
  { name: 'tiny-gpt template', unit: 'tokens/s', doc: doc(template('tiny-gpt')), batch: 32 },
  { name: 'TRM Sudoku template', unit: 'cells/s', doc: doc(template('trm-sudoku')), batch: 128 },
  {
    name: 'TRM-MLP Sudoku template',
    unit: 'cells/s',
    doc: doc(template('trm-mlp-sudoku')),
    batch: 128,
  },
  ...(sudoku9
    ? [
        {
          name: 'TRM-MLP Sudoku 9×9 preset',
          unit: 'cells/s',
          doc: preset('trm-mlp-sudoku', 'sudoku-9x9'),
          batch: 256,
          tfjs: false as const,
        },
      ]
    : []),
];

async function main(): Promise<void> {
  const torch = await findTorchPython();
  const rows: Record<string, unknown>[] = [];
  const line = (name: string, engine: string, value: number, unit: string, note = '') => {
    rows.push({ section: 'engine', name, backend: engine, value, unit, note });
    console.log(
      `${'engine'.padEnd(8)} ${name.padEnd(28)} ${engine.padEnd(12)} ${value.toFixed(0).padStart(9)} ${unit.padEnd(9)} ${note}`,
    );
  };
  if (!torch.ok) {
    console.log(`engine: the PyTorch engine is not here (${torch.reason}).`);
    return;
  }
  const work = mkdtempSync(path.join(tmpdir(), 'trm-bench-pt-'));
  try {
    for (const g of graphs) {
      const config = {
        ...configFromDocument(g.doc),
        batch: g.batch,
        steps: STEPS,
        evalEvery: 0,
        evalExamples: 16,
        checkpointEvery: 0,
        checkpointSeconds: 0,
        dropout: false,
      };
      const data = parseDataArg(undefined, g.doc);
      const pkg = path.join(work, g.name.replace(/\W+/g, '-'));
      await writePytorchPackage(pkg, { doc: g.doc, data, config });
      const speeds = new Map<string, number[]>();
      const add = (k: string, xs: number[]) => speeds.set(k, [...(speeds.get(k) ?? []), ...xs]);
      for (let round = 0; round < ROUNDS; round++) {
        if (g.tfjs !== false) {
          await selectBackend('native');
          loadAddon().addon?.setThreads(2);
          const tps: number[] = [];
          const r = await train({
            document: g.doc,
            data,
            config,
            onEvent: (e) => {
              if (e.type === 'step' && e.metrics.step > WARM) tps.push(e.metrics.tokensPerSec);
            },
          });
          r.model.dispose();
          add('tfjs native×2', tps);
        }
        for (const threads of [1, 2]) {
          const out = path.join(pkg, `run-${round}-${threads}`);
          await run(
            torch.python,
            ['train.py', '--quiet', '--threads', String(threads), '--out', out],
            { cwd: pkg, timeout: 600_000 },
          );
          const steps = readFileSync(path.join(out, 'metrics.jsonl'), 'utf8')
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l) as { type: string; step?: number; tokensPerSec?: number })
            .filter((l) => l.type === 'step' && l.step! > WARM)
            .map((l) => l.tokensPerSec!);
          add(`pytorch×${threads}`, steps);
        }
      }
      const ours = median(speeds.get('tfjs native×2') ?? []);
      for (const [k, xs] of speeds) {
        const m = median(xs);
        line(
          g.name,
          k,
          m,
          g.unit,
          `median of ${xs.length} steps, batch ${g.batch}${k.startsWith('pytorch') ? `; ${Number.isFinite(ours) ? `${(m / ours).toFixed(2)}× tfjs native ` : ''}(torch ${torch.torch})` : ''}`,
        );
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  console.log(JSON.stringify(rows));
}

await main();
