import { writeFile } from 'node:fs/promises';
import { parseCommand, type Out } from '../command.ts';
import { TrainConfig } from '../../train/config.ts';
import type { TrainEvent } from '../../contract/events.ts';
import { evalLines, progressLine } from './train.ts';

export const PRUNE_USAGE = `Usage: trm prune RUN --sparsity S --out NEWRUN [options]
       trm prune RUN --sweep 0,0.25,0.5,0.75,0.9 [options]

Prunes a trained run into a new run folder (a run like any other: eval, export, resume).

  --sparsity S         share to remove, 0 ≤ S < 1: of the weights (by magnitude), or with
                       --structured of the attention heads or FFN channels
  --structured heads|ffn
                       remove whole heads (by head norm) or FFN channels (by channel norm):
                       the graph gets fewer heads / a smaller hidden width, so the model and
                       its ONNX file shrink
  --global             magnitude pruning ranks all weights together (layers end up with
                       different sparsities); default: S of every weight matrix
  --finetune-steps N   fine-tune the pruned run N steps (pruned weights stay zero: a mask)
  --out PATH           the new run folder; with --sweep, the JSON file (default
                       prune-sweep.json)
  --sweep LIST         the task metric at each sparsity (no fine-tuning): a table and JSON
  --examples N         held-out examples per evaluation (default: the run's evalExamples)
  --backend NAME       tensorflow-gpu, tensorflow, native, wasm or cpu
Pruned are the weight matrices (the weights that take weight decay); norms, biases and
learned positions stay whole.`;

/** A flag's number in [0, 1), or a sentence naming the flag. */
function share(v: string, flag: string): number {
  const n = Number(v);
  if (v.trim() === '' || !(n >= 0 && n < 1))
    throw new Error(
      `${flag} takes a share from 0 up to (not including) 1, such as 0.5; not "${v}".`,
    );
  return n;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export async function pruneCommand(argv: string[], out: Out): Promise<number> {
  const args = parseCommand(
    argv,
    {
      sparsity: { type: 'string' },
      structured: { type: 'string' },
      global: { type: 'boolean' },
      'finetune-steps': { type: 'string' },
      out: { type: 'string' },
      sweep: { type: 'string' },
      examples: { type: 'string' },
      backend: { type: 'string' },
    },
    PRUNE_USAGE,
    out,
  );
  if (typeof args === 'number') return args;
  const v = args.values;
  const run = args.positionals[0];
  if (!run) {
    out.error(`trm prune: missing RUN.\n\n${PRUNE_USAGE}`);
    return 2;
  }
  let settings;
  try {
    if (v.sweep === undefined && v.sparsity === undefined)
      throw new Error('trm prune needs --sparsity S (or --sweep LIST for a curve).');
    if (v.sweep !== undefined && v.sparsity !== undefined)
      throw new Error('Give --sparsity S to prune once or --sweep LIST for a curve, not both.');
    if (v.sweep !== undefined && v['finetune-steps'] !== undefined)
      throw new Error(
        '--sweep evaluates each sparsity without fine-tuning; prune one sparsity with --sparsity S --finetune-steps N to fine-tune.',
      );
    if (v.sparsity !== undefined && !v.out)
      throw new Error('trm prune needs --out NEWRUN: the folder the pruned run is written to.');
    const structured = v.structured;
    if (structured !== undefined && structured !== 'heads' && structured !== 'ffn')
      throw new Error(`--structured takes heads or ffn, not "${structured}".`);
    const steps = v['finetune-steps'] === undefined ? 0 : Number(v['finetune-steps']);
    if (!(Number.isInteger(steps) && steps >= 0))
      throw new Error(`--finetune-steps must be a whole number ≥ 0, not "${v['finetune-steps']}".`);
    const examples = v.examples === undefined ? undefined : Number(v.examples);
    if (examples !== undefined && !(Number.isInteger(examples) && examples > 0))
      throw new Error(`--examples must be a positive whole number, not "${v.examples}".`);
    settings = {
      structured: structured as 'heads' | 'ffn' | undefined,
      sparsities:
        v.sweep !== undefined
          ? v.sweep.split(',').map((x) => share(x, '--sweep'))
          : [share(v.sparsity!, '--sparsity')],
      global: v.global ?? false,
      steps,
      examples,
      backend: v.backend ? TrainConfig.shape.backend.parse(v.backend) : undefined,
    };
  } catch (e) {
    out.error((e as Error).message);
    return 2;
  }
  const { loadTrainedModel } = await import('../../train/load-model.ts');
  const { evaluatePruned, pruneModel, sweep, writePrunedRun } =
    await import('../../train/prune-run.ts');
  let model;
  try {
    model = await loadTrainedModel(run, settings.backend ? { backend: settings.backend } : {});
  } catch (e) {
    out.error((e as Error).message);
    return 1;
  }
  const how = settings.structured
    ? `${settings.structured === 'heads' ? 'attention heads' : 'FFN channels'} by norm`
    : `weights by magnitude, ${settings.global ? 'globally' : 'per layer'}`;
  const examples = settings.examples ?? model.config.evalExamples;
  try {
    if (v.sweep !== undefined) {
      out.log(`Pruning ${model.dir} (step ${model.step}): ${how}, ${examples} held-out examples.`);
      const lm = model.source.kind === 'lm';
      const metric = lm ? 'perplexity' : model.source.exactMatch ? 'exact' : '';
      out.log(
        ['sparsity', 'reached', 'params', 'nonzero', 'loss', 'accuracy', metric]
          .filter(Boolean)
          .map((h, i) => (i === 0 ? h.padEnd(9) : h.padStart(10)))
          .join(' '),
      );
      const shape = { structured: settings.structured, global: settings.global };
      const points = await sweep(model, settings.sparsities, shape, examples, (p) =>
        out.log(
          [
            String(p.sparsity).padEnd(9),
            pct(p.reached).padStart(10),
            p.params.toLocaleString('en-US').padStart(10),
            p.nonzero.toLocaleString('en-US').padStart(10),
            p.loss.toFixed(4).padStart(10),
            pct(p.accuracy).padStart(10),
            ...(lm ? [p.perplexity!.toFixed(2).padStart(10)] : []),
            ...(!lm && p.exactMatch !== undefined ? [pct(p.exactMatch).padStart(10)] : []),
          ].join(' '),
        ),
      );
      const file = v.out ?? 'prune-sweep.json';
      const report = {
        run: model.dir,
        step: model.step,
        structured: settings.structured ?? null,
        global: settings.global,
        examples,
        metric: lm ? 'perplexity' : model.source.exactMatch ? 'exactMatch' : 'accuracy',
        points,
      };
      await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
      out.log(`Wrote ${file}.`);
      return 0;
    }
    const pruned = await pruneModel(model, {
      structured: settings.structured,
      global: settings.global,
      sparsity: settings.sparsities[0]!,
    });
    try {
      const before = await evaluatePruned(model, model, examples);
      const after = await evaluatePruned(model, pruned, examples);
      const r = pruned.record;
      out.log(
        `Pruned ${model.dir} (step ${r.step}), ${how}: ${pct(r.reached)} ${settings.structured ? 'of the units removed' : 'of the weight matrices zeroed'}; parameters ${r.paramsBefore.toLocaleString('en-US')} → ${r.paramsAfter.toLocaleString('en-US')} (${pruned.nonzero.toLocaleString('en-US')} not zero).`,
      );
      out.log(`before: ${evalLines(before)[0]}`);
      out.log(`after:  ${evalLines(after)[0]}`);
      const onEvent = (e: TrainEvent) => {
        if (
          e.type === 'step' &&
          e.metrics.step % Math.max(1, Math.floor(settings.steps / 10)) === 0
        )
          out.log(progressLine(e.metrics, settings.steps, false));
        if (e.type === 'eval') for (const line of evalLines(e.report)) out.log(line);
      };
      const written = await writePrunedRun(v.out!, model, pruned, after, settings.steps, onEvent);
      out.log(
        settings.steps > 0
          ? `Fine-tuned ${settings.steps} steps; the run is ${v.out} (pruned weights kept at zero).`
          : `Wrote ${written.checkpoint}; fine-tune it with trm prune … --finetune-steps N, or export it with trm export ${v.out}.`,
      );
      return 0;
    } finally {
      pruned.weights.dispose();
    }
  } catch (e) {
    out.error((e as Error).message);
    return 1;
  } finally {
    model.dispose();
  }
}
