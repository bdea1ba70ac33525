import type { CompileResult } from './compile.ts';
import { formatShape } from './dims.ts';
import type { GraphDocument } from './schema.ts';

export interface SummaryRow {
  node: string;
  kind: string;
  output: string;
  params: number;
  flopsPerToken: number;
}

export interface Summary {
  rows: SummaryRow[];
  totalParams: number;
  /** Trained values left out of the total, as papers count them (a TRM's puzzle embedding). */
  uncountedParams: number;
  totalFlopsPerToken: number;
}

/** One row per main-graph node: output shapes, weights it owns, forward FLOPs per token. */
export function summarize(doc: GraphDocument, result: CompileResult): Summary {
  const rows: SummaryRow[] = doc.main.nodes.map((n) => {
    const report = result.nodes.get(`main/${n.id}`);
    const outputs = report ? Object.entries(report.outputs) : [];
    return {
      node: n.id,
      kind: n.kind,
      output:
        outputs
          .map(([port, t]) => (outputs.length > 1 ? `${port}: ` : '') + formatShape(t.shape))
          .join(', ') || '—',
      params: report?.params ?? 0,
      flopsPerToken: report?.flopsPerToken ?? 0,
    };
  });
  return {
    rows,
    totalParams: result.totalParams,
    uncountedParams: result.uncountedParams,
    totalFlopsPerToken: rows.reduce((s, r) => s + r.flopsPerToken, 0),
  };
}

export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(n);
}
