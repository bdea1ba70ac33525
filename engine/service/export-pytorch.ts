import { join } from 'node:path';
import type { ParsedParams } from '../contract/api.ts';
import type { DataSpec } from '../data/spec.ts';
import { parseDocument } from '../graph/parse.ts';
import type { GraphDocument } from '../graph/schema.ts';
import { confineTo } from '../io/confine.ts';
import { configFromDocument } from '../train/document-config.ts';
import { parseDataArg } from '../data/data-arg.ts';
import { confineRecorded } from './data-paths.ts';
import { ServiceError } from './errors.ts';
import { runCheckpoint, safeName } from './run-checkpoint.ts';
import type { RunManager } from './runs.ts';

/**
 * `export.pytorch`: the Export dialog's "PyTorch project" — a run's graph with its trained
 * weights, data and recipe (or a document with its initial weights and its declared task) as
 * a PyTorch project in the run's `exports/` folder (or `<workspace>/exports/`).
 */
export async function exportPytorchProject(
  params: ParsedParams<'export.pytorch'>,
  runs: RunManager,
  workspace: string,
) {
  const { writePytorchPackage } = await import('../pytorch/package.ts');
  let doc: GraphDocument;
  let data: DataSpec;
  let config: Record<string, unknown>;
  let weights: Map<string, Float32Array> | undefined;
  let folder: string;
  if (params.runId !== undefined) {
    const parsed = parseDocument(JSON.stringify(await runs.graphOf(params.runId)));
    if (!parsed.ok)
      throw new ServiceError('bad-document', `Run ${params.runId} has a damaged graph snapshot.`);
    doc = parsed.doc;
    folder = await runs.folder(params.runId, 'exports');
    const ckpt = await runCheckpoint(runs, params.runId);
    weights = ckpt.values;
    if (ckpt.dataSpec === undefined)
      throw new ServiceError(
        'bad-data',
        `Run ${params.runId}'s checkpoint does not record its data.`,
      );
    data = (await confineRecorded(
      workspace,
      `Run ${params.runId}'s checkpoint`,
    )(ckpt.dataSpec)) as DataSpec;
    config = (ckpt.config as Record<string, unknown> | undefined) ?? configFromDocument(doc);
  } else {
    doc = params.document!;
    folder = join(workspace, 'exports');
    try {
      data = parseDataArg(undefined, doc);
      config = configFromDocument(doc);
    } catch (e) {
      throw new ServiceError('bad-data', (e as Error).message.replace(/--data/g, 'a run'));
    }
  }
  const dir = join(folder, `${safeName(doc.name)}-pytorch`);
  if ((await confineTo(workspace, dir)) === null) {
    throw new ServiceError(
      'outside-workspace',
      `${dir} links outside the workspace (${workspace}); the app writes exports only there.`,
    );
  }
  // A fine-tuning run's lineage or backend choice is the Studio's business, not the package's.
  const recipe = Object.fromEntries(
    Object.entries(config).filter(([k]) => k !== 'initFrom' && k !== 'backend'),
  );
  try {
    const report = await writePytorchPackage(dir, {
      doc,
      data,
      config: recipe,
      ...(weights ? { weights } : {}),
    });
    return {
      dir: report.dir,
      files: report.files,
      params: report.params,
      trainExamples: report.trainExamples,
      validationExamples: report.validationExamples,
      commands: [
        `cd ${report.dir} && python train.py`,
        `cd ${report.dir} && torchrun --nproc_per_node 2 train.py`,
      ],
    };
  } catch (e) {
    throw new ServiceError('export-failed', (e as Error).message);
  }
}
