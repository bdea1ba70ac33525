import type { Out } from '../command.ts';
import type { GraphDocument } from '../../graph/schema.ts';

export interface PytorchExportArgs {
  doc: GraphDocument;
  /** Run folder or step folder whose weights start the package (else the Studio's init). */
  run?: string;
  target: string;
  data?: string;
  steps?: string;
  batch?: string;
}

/**
 * `trm export … --format pytorch`: the graph as a PyTorch project (model.py, train.py, the
 * Studio's data and initial weights) that trains on any device PyTorch supports and under
 * torchrun. The recipe is the document's (meta.training) with --steps/--batch on top.
 */
export async function exportPytorch(a: PytorchExportArgs, out: Out): Promise<number> {
  const { parseDataArg } = await import('../../data/data-arg.ts');
  const { configFromDocument } = await import('../../train/document-config.ts');
  const { writePytorchPackage } = await import('../../pytorch/package.ts');
  const overrides: Record<string, number> = {};
  for (const [flag, text] of [
    ['steps', a.steps],
    ['batch', a.batch],
  ] as const) {
    if (text === undefined) continue;
    const n = Number(text);
    if (!(Number.isInteger(n) && n >= 1)) {
      out.error(`trm export: --${flag} must be a whole number ≥ 1, not "${text}".`);
      return 2;
    }
    overrides[flag] = n;
  }
  try {
    let weights: Map<string, Float32Array> | undefined;
    if (a.run) {
      const { readCheckpointWeights } = await import('../../onnx-runtime/checkpoint.ts');
      weights = (await readCheckpointWeights(a.run)).values;
    }
    const report = await writePytorchPackage(a.target, {
      doc: a.doc,
      data: parseDataArg(a.data, a.doc),
      config: { ...configFromDocument(a.doc), ...overrides },
      ...(weights ? { weights } : {}),
      onProgress: (m) => out.log(m),
    });
    out.log(
      `Wrote ${report.dir}: model.py (${report.className}, ${report.params.toLocaleString('en-US')} parameters), train.py, ` +
        `${report.trainExamples} training and ${report.validationExamples} held-out examples.`,
    );
    out.log(`Train it:  cd ${report.dir} && python train.py`);
    out.log(`    or:    cd ${report.dir} && torchrun --nproc_per_node 2 train.py`);
    return 0;
  } catch (e) {
    out.error(`trm export: ${(e as Error).message}`);
    return 1;
  }
}
