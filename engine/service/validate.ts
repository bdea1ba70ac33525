import type { Diagnostic } from '../graph/diagnostics.ts';
import { parseDocument } from '../graph/parse.ts';
import type { GraphDocument } from '../graph/schema.ts';
import { parseTrainConfig } from '../train/config.ts';
import { configFromDocument } from '../train/document-config.ts';
import { checkExportFits, checkTrainingFits, estimateTrainingMemory } from '../train/preflight.ts';
import { analyzeDocument, analyzeUnknown } from '../graph/analyze.ts';
import type { Analysis } from '../contract/api.ts';

/**
 * What training and export would refuse that the graph's own checks do not see: the document's
 * training settings, and sizes beyond this machine or ONNX. A valid document then trains.
 */
export function readinessDiagnostics(doc: GraphDocument, params: number): Diagnostic[] {
  const found: Diagnostic[] = [];
  let config;
  try {
    config = parseTrainConfig(configFromDocument(doc));
  } catch (e) {
    found.push({
      severity: 'error',
      code: 'bad-training',
      message: `The document's training settings (meta.training) are invalid: ${(e as Error).message.replace(/\.$/, '')}. Fix them in the Train panel or the file.`,
    });
  }
  const refusal = (check: () => void, severity: Diagnostic['severity']) => {
    try {
      check();
    } catch (e) {
      const code = (e as { code?: string }).code ?? 'too-large';
      found.push({ severity, code, message: (e as Error).message });
    }
  };
  if (config) {
    const { batch, ema } = config;
    refusal(
      () => checkTrainingFits(estimateTrainingMemory(doc, batch, { ema: ema > 0 }), batch),
      'error',
    );
  }
  // A warning: a smaller precision may still export.
  refusal(() => checkExportFits(params, 'fp32'), 'warning');
  return found;
}

/** `document.validate`: the analysis, plus what training and export would refuse. */
export function validateDocument(input: unknown): Analysis {
  const parsed = parseDocument(input);
  if (!parsed.ok) return analyzeUnknown(input);
  const analysis = analyzeDocument(parsed.doc);
  if (!analysis.ok) return analysis;
  const more = readinessDiagnostics(
    parsed.doc,
    analysis.totals.params + analysis.totals.uncountedParams,
  );
  return {
    ...analysis,
    ok: !more.some((d) => d.severity === 'error'),
    diagnostics: [...analysis.diagnostics, ...more],
  };
}
