import type { GraphDocument } from '../../../engine/graph/schema.ts';
import { componentPorts } from '../../../engine/graph/analyze.ts';
import type { CarryPair } from '../../../engine/graph/edits/recursion-edits.ts';
import type { GlossaryEntry } from '../../../engine/contract/glossary.ts';
import { HelpButton } from './glossary-entry.tsx';
import './fields.css';
import './carry-table.css';

function pairsOf(value: unknown): CarryPair[] {
  if (!Array.isArray(value)) return [];
  return value.map((p: unknown) => {
    const r = (typeof p === 'object' && p !== null ? p : {}) as Record<string, unknown>;
    return {
      output: typeof r.output === 'string' ? r.output : '',
      input: typeof r.input === 'string' ? r.input : '',
    };
  });
}

/**
 * A recursion's carry as a table: each row feeds one of the component's outputs back into
 * one of its inputs at the next step. The dropdowns list the component's ports, so a pair
 * never names a port that does not exist; inputs left out stay fixed across steps.
 */
export function CarryTable(props: {
  doc: GraphDocument;
  component: unknown;
  value: unknown;
  help: string;
  /** The glossary entry its "?" shows. */
  entry?: GlossaryEntry | undefined;
  commit: (pairs: CarryPair[]) => void;
}) {
  const { doc, component, value, help, entry, commit } = props;
  const head = (
    <div className="field-head">
      <label>carry</label>
      <HelpButton entry={entry} label="carry" />
    </div>
  );
  const ports = typeof component === 'string' ? componentPorts(doc, component) : undefined;
  const pairs = pairsOf(value);
  if (!ports)
    return (
      <div className="field field-carry">
        {head}
        <div className="help">Pick a component first: the table lists its ports.</div>
      </div>
    );
  const outputs = ports.outputs.map((p) => p.name);
  const inputs = ports.inputs.map((p) => p.name);
  const fed = new Set(pairs.map((p) => p.input));
  const fixed = inputs.filter((i) => !fed.has(i));
  const set = (i: number, change: Partial<CarryPair>) =>
    commit(pairs.map((p, j) => (j === i ? { ...p, ...change } : p)));
  const add = () => {
    // The next output into the first input not fed yet, so a new row starts sensible.
    const output = outputs.find((o) => !pairs.some((p) => p.output === o)) ?? outputs[0] ?? '';
    const input = inputs.find((i) => i === output && !fed.has(i)) ?? fixed[0] ?? inputs[0] ?? '';
    commit([...pairs, { output, input }]);
  };
  const select = (label: string, v: string, options: string[], on: (v: string) => void) => (
    <select aria-label={label} value={v} onChange={(e) => on(e.target.value)}>
      {options.includes(v) ? null : <option value={v}>{v || '—'}</option>}
      {options.map((o) => (
        <option key={o} value={o}>
          {o}
        </option>
      ))}
    </select>
  );
  return (
    <div className="field field-carry" data-testid="carry-table">
      {head}
      <table className="carry-table">
        <thead>
          <tr>
            <th>output</th>
            <th />
            <th>next step’s input</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {pairs.map((p, i) => (
            <tr key={i}>
              <td>
                {select(`Carry ${i + 1} output`, p.output, outputs, (output) => set(i, { output }))}
              </td>
              <td className="carry-arrow">→</td>
              <td>
                {select(`Carry ${i + 1} input`, p.input, inputs, (input) => set(i, { input }))}
              </td>
              <td>
                <button
                  aria-label={`Remove carry ${i + 1}`}
                  title="Remove this pair"
                  onClick={() => commit(pairs.filter((_, j) => j !== i))}
                >
                  ×
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <button
        className="carry-add"
        onClick={add}
        disabled={outputs.length === 0 || inputs.length === 0}
      >
        + Add carried pair
      </button>
      <div className="help">
        {help} {fixed.length ? `Fixed at every step: ${fixed.join(', ')}.` : ''}
      </div>
    </div>
  );
}
