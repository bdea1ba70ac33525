import { useState, type KeyboardEvent } from 'react';
import { presetNames } from '../../../engine/graph/presets.ts';
import type { GraphDocument } from '../../../engine/graph/schema.ts';
import { deleteDimProblem, renameDimProblem } from '../../../engine/graph/edits/dim-edits.ts';
import type { Action } from '../state/reducer.ts';
import './fields.css';
import './dims-panel.css';

type Dispatch = (a: Action) => void;

/** Enter applies a field as Tab would: by leaving it. */
function blurOnEnter(e: KeyboardEvent<HTMLInputElement>): void {
  if (e.key === 'Enter') e.currentTarget.blur();
}

function positiveInt(text: string): number | undefined {
  const n = Number(text);
  return Number.isInteger(n) && n > 0 && n <= 1 << 24 ? n : undefined;
}

function DimRow(props: {
  doc: GraphDocument;
  name: string;
  value: number;
  dispatch: Dispatch;
  refuse: (why: string | null) => void;
}) {
  const { doc, name, value, dispatch, refuse } = props;
  return (
    <div className="dim" data-testid={`dim-${name}`}>
      <input
        aria-label={`Name of dim ${name}`}
        defaultValue={name}
        key={`name:${name}`}
        spellCheck={false}
        onKeyDown={blurOnEnter}
        onBlur={(e) => {
          const to = e.target.value.trim();
          if (to === name) return refuse(null);
          const why = renameDimProblem(doc, name, to);
          refuse(why);
          if (why) e.target.value = name;
          else dispatch({ type: 'edit', edit: { type: 'renameDim', from: name, to } });
        }}
      />
      <input
        aria-label={`Value of dim ${name}`}
        type="number"
        min={1}
        defaultValue={value}
        key={`${name}=${value}`}
        onKeyDown={blurOnEnter}
        onBlur={(e) => {
          const n = positiveInt(e.target.value);
          if (n === undefined) {
            refuse(`Dim "${name}" must be a whole number of at least 1.`);
            e.target.value = String(value);
          } else if (n !== value) {
            refuse(null);
            dispatch({ type: 'edit', edit: { type: 'setDim', name, value: n } });
          }
        }}
      />
      <button
        className="dim-delete"
        title={`Delete dim ${name}`}
        aria-label={`Delete dim ${name}`}
        onClick={() => {
          const why = deleteDimProblem(doc, name);
          refuse(why);
          if (!why) dispatch({ type: 'edit', edit: { type: 'setDim', name, value: undefined } });
        }}
      >
        ×
      </button>
    </div>
  );
}

function AddDim(props: {
  doc: GraphDocument;
  dispatch: Dispatch;
  refuse: (why: string | null) => void;
}) {
  const { doc, dispatch, refuse } = props;
  const [name, setName] = useState('');
  const [value, setValue] = useState('');
  const add = () => {
    const n = name.trim();
    const size = positiveInt(value);
    // A new dim is a rename problem's twin: same name rules, same clash.
    const why = !/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(n)
      ? `"${n}" cannot name a dim: start with a letter or _ and use letters, digits, _ . -.`
      : Object.hasOwn(doc.dims, n)
        ? `A dim named "${n}" already exists; change its value above instead.`
        : size === undefined
          ? `Give dim "${n}" a whole number of at least 1.`
          : null;
    refuse(why);
    if (why || size === undefined) return;
    dispatch({ type: 'edit', edit: { type: 'setDim', name: n, value: size } });
    setName('');
    setValue('');
  };
  const onKey = (e: KeyboardEvent<HTMLInputElement>) => e.key === 'Enter' && add();
  return (
    <div className="dim dim-add">
      <input
        aria-label="New dim name"
        placeholder="name"
        value={name}
        spellCheck={false}
        onChange={(e) => setName(e.target.value)}
        onKeyDown={onKey}
      />
      <input
        aria-label="New dim value"
        placeholder="value"
        type="number"
        min={1}
        value={value}
        onChange={(e) => setValue(e.target.value)}
        onKeyDown={onKey}
      />
      <button aria-label="Add dim" title="Add dim" onClick={add}>
        +
      </button>
    </div>
  );
}

/** The document's dims (add, rename, change, delete) and its presets (one click applies). */
export function DimsPanel({ doc, dispatch }: { doc: GraphDocument; dispatch: Dispatch }) {
  const [problem, setProblem] = useState<string | null>(null);
  const presets = presetNames(doc);
  return (
    <>
      <h3>Dims</h3>
      <p className="help">Sizes that parameters may name (D, H, …); B and T stay symbolic.</p>
      <div className="dims">
        {Object.entries(doc.dims).map(([k, v]) => (
          <DimRow key={k} doc={doc} name={k} value={v} dispatch={dispatch} refuse={setProblem} />
        ))}
        <AddDim doc={doc} dispatch={dispatch} refuse={setProblem} />
      </div>
      {problem ? (
        <div className="field-error" role="alert" data-testid="dims-problem">
          {problem}
        </div>
      ) : null}
      {presets.length ? (
        <>
          <h3>Presets</h3>
          <div className="presets">
            {presets.map((p) => (
              <button
                key={p}
                data-testid={`preset-${p}`}
                title={presetDescription(doc, p)}
                onClick={() => dispatch({ type: 'edit', edit: { type: 'applyPreset', name: p } })}
              >
                {p}
              </button>
            ))}
          </div>
        </>
      ) : null}
    </>
  );
}

function presetDescription(doc: GraphDocument, name: string): string {
  const preset = (doc.meta?.presets as Record<string, { description?: unknown }>)[name];
  const text = typeof preset?.description === 'string' ? preset.description : '';
  return `${text ? `${text} ` : ''}Click to apply its sizes (undo restores them).`;
}
