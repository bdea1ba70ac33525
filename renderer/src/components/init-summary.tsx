import type { InitFromReport } from './use-train-run.ts';

const names = (xs: string[]) => (xs.length > 4 ? `${xs.slice(0, 4).join(', ')}, …` : xs.join(', '));

/**
 * What a fine-tuned run took from the earlier run: weights mapped by name, weights resized to a
 * new vocabulary, and weights that started afresh (with why, on hover).
 */
export function InitSummary({ report }: { report: InitFromReport }) {
  const mapped = report.mapped.length + report.resized.length;
  const fresh = report.initialised;
  return (
    <div className="init-summary" role="status" data-testid="init-summary">
      <div>
        Started from <strong>{report.run}</strong> at step {report.step}:{' '}
        <span data-testid="init-mapped">{mapped} weights mapped</span>
        {report.resized.length
          ? ` (${report.resized.length} resized to the new vocabulary)`
          : ''}, <span data-testid="init-initialised">{fresh.length} initialised afresh</span>
        {fresh.length ? (
          <span title={fresh.map((f) => `${f.name}: ${f.reason}`).join('\n')}>
            {' '}
            ({names(fresh.map((f) => f.name))})
          </span>
        ) : null}
        {report.unused.length ? `; ${report.unused.length} of its weights unused` : ''}.
      </div>
      {report.vocab ? <div className="help">{report.vocab}</div> : null}
    </div>
  );
}
