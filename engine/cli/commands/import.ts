import path from 'node:path';
import { parseCommand, type Out } from '../command.ts';

export const IMPORT_USAGE = `Usage: trm import PT_RUN [options]

Turns a run of the PyTorch package (trm export --format pytorch, then python train.py) into a
Studio run: its newest checkpoint (weights, optimizer moments, EMA weights, carried state, data
position) and its metrics. Evaluation, ONNX export, Insight, the Playground and
trm train --resume then take it like a run the Studio trained.

PT_RUN is the folder train.py wrote (its --out, ./run by default) or one of its step-NNNNNN
folders.

  --out DIR        the Studio run folder to write (default: PT_RUN-studio beside PT_RUN);
                   put it in a workspace's runs/ folder to see it in the app's runs list
  --package DIR    the package folder (train.py, config.json) when it is not PT_RUN's parent`;

export async function importCommand(argv: string[], out: Out): Promise<number> {
  const args = parseCommand(
    argv,
    { out: { type: 'string' }, package: { type: 'string' } },
    IMPORT_USAGE,
    out,
  );
  if (typeof args === 'number') return args;
  const [run] = args.positionals;
  if (!run) {
    out.error(`trm import: missing PT_RUN.\n\n${IMPORT_USAGE}`);
    return 2;
  }
  const v = args.values;
  const given = path.resolve(run);
  const base = /^step-\d+$/.test(path.basename(given)) ? path.dirname(given) : given;
  try {
    const { importPytorchRun } = await import('../../pytorch/import-run.ts');
    const report = await importPytorchRun({
      run,
      out: v.out ?? `${base}-studio`,
      ...(v.package ? { packageDir: v.package } : {}),
    });
    const checkpoints = path.join(report.out, 'checkpoints');
    out.log(
      `Imported step ${report.step} of ${report.steps} (${report.params.toLocaleString('en-US')} parameters${report.ema ? ', with EMA weights' : ''}) from ${report.from}.`,
    );
    out.log(`Wrote ${report.out}; its checkpoint is ${report.checkpoint}.`);
    out.log(`Evaluate it:  trm eval ${checkpoints}`);
    out.log(`Export it:    trm export ${checkpoints}`);
    if (report.step < report.steps) out.log(`Continue it:  trm train --resume ${checkpoints}`);
    return 0;
  } catch (e) {
    out.error(`trm import: ${(e as Error).message}`);
    return 1;
  }
}
