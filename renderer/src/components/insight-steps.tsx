import type { ExampleTrace } from '../../../engine/contract/api.ts';

type CellsTrace = Extract<ExampleTrace, { type: 'cells' }>;
type TextTrace = Extract<ExampleTrace, { type: 'text' }>;

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** The columns of a grid of `cells` positions: square when it is one (Sudoku, mazes). */
function columnsOf(cells: number): number {
  const side = Math.round(Math.sqrt(cells));
  return side * side === cells ? side : Math.min(cells, 32);
}

/**
 * One puzzle at one supervision step: the argmax answer per cell, its confidence as the
 * fill, the cells that changed since the previous step outlined, wrong cells in red.
 */
export function CellsStepView({ trace, depth }: { trace: CellsTrace; depth: number }) {
  const step = trace.steps[depth - 1];
  if (!step) return null;
  const previous = trace.steps[depth - 2];
  const columns = columnsOf(step.answer.length);
  const box = Math.round(Math.sqrt(columns));
  const boxed = box * box === columns && box > 1;
  const scored = trace.target?.filter((t) => t >= 0).length ?? 0;
  const changed = previous ? step.answer.filter((a, i) => a !== previous.answer[i]).length : 0;
  return (
    <div className="insight-example">
      <div className="insight-step-label" data-testid="insight-step-label">
        Step {depth} of {trace.steps.length}
        {depth === trace.trainedDepth ? ' (trained depth)' : ''}
        {step.haltProbability !== null ? ` · halting p ${step.haltProbability.toFixed(2)}` : ''}
        {step.correct !== null ? ` · ${step.correct}/${scored} cells right` : ''}
        {previous ? ` · ${changed} changed` : ''}
      </div>
      <div
        className="insight-grid"
        data-testid="insight-grid"
        style={{
          gridTemplateColumns: `repeat(${columns}, 1fr)`,
          width: `min(100%, ${Math.min(420, Math.max(200, columns * 46))}px)`,
        }}
      >
        {step.answer.map((a, i) => {
          const given = trace.given[i];
          const wrong = trace.target !== null && trace.target[i]! >= 0 && trace.target[i] !== a;
          const moved = previous !== undefined && previous.answer[i] !== a;
          const row = Math.floor(i / columns);
          const col = i % columns;
          const classes = [
            'insight-cell',
            given ? 'given' : '',
            wrong ? 'wrong' : '',
            moved ? 'changed' : '',
            boxed && col % box === 0 && col > 0 ? 'box-left' : '',
            boxed && row % box === 0 && row > 0 ? 'box-top' : '',
          ];
          const confidence = step.confidence[i]!;
          return (
            <div
              key={i}
              className={classes.filter(Boolean).join(' ')}
              style={given ? undefined : { background: `rgba(124, 156, 255, ${confidence * 0.6})` }}
              title={`${trace.vocab[a] ?? a}: ${pct(confidence)}${wrong ? ` (answer ${trace.vocab[trace.target![i]!]})` : ''}`}
              data-cell={trace.vocab[a] ?? String(a)}
            >
              {trace.vocab[a] ?? a}
            </div>
          );
        })}
      </div>
      <div className="insight-legend muted">
        Bold: given · fill: confidence · outline: changed this step · red: wrong
      </div>
    </div>
  );
}

/** Printable form of a token (spaces and newlines made visible). */
const shown = (t: string) => JSON.stringify(t).slice(1, -1).replace(/ /g, '␣') || '∅';

/** A text example: the top next tokens at every depth, the chosen depth highlighted. */
export function TextStepsView({ trace, depth }: { trace: TextTrace; depth: number }) {
  return (
    <div className="insight-example">
      <div className="insight-step-label" data-testid="insight-step-label">
        Depth {depth} of {trace.steps.length}
        {depth === trace.trainedDepth ? ' (trained depth)' : ''}
        {trace.target !== null ? ` · true next token “${shown(trace.target)}”` : ''}
      </div>
      <pre className="insight-context">{trace.context}</pre>
      <table className="insight-table" data-testid="insight-text-steps">
        <thead>
          <tr>
            <th>depth</th>
            <th>top next tokens</th>
            {trace.target !== null ? <th>p(true)</th> : null}
          </tr>
        </thead>
        <tbody>
          {trace.steps.map((s) => (
            <tr key={s.depth} className={s.depth === depth ? 'current' : ''}>
              <td>{s.depth}</td>
              <td>
                {s.top.map((t) => (
                  <span
                    key={t.id}
                    className={t.text === trace.target ? 'token right' : 'token'}
                    title={pct(t.probability)}
                  >
                    {shown(t.text)} <span className="muted">{pct(t.probability)}</span>
                  </span>
                ))}
              </td>
              {trace.target !== null ? <td>{pct(s.targetProbability ?? 0)}</td> : null}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
