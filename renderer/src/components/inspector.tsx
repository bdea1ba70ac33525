import { useEffect, useState } from 'react';
import { findKind } from '../../../engine/graph/nodes/index.ts';
import type { GraphDocument, GraphNode } from '../../../engine/graph/schema.ts';
import type { Analysis, NodeInfo } from '../../../engine/contract/api.ts';
import { formatCount } from '../format.ts';
import { CarryTable } from './carry-table.tsx';
import { DimsPanel } from './dims-panel.tsx';
import { paramFields } from '../kinds.ts';
import { fieldText, type SchemaField } from '../schema-form.ts';
import { usableComponents } from '../../../engine/graph/edits/component-edits.ts';
import { TaskSelect } from './task-select.tsx';
import type { Action } from '../state/reducer.ts';
import './fields.css';
import './inspector.css';
import { runsBody } from '../../../engine/graph/structure.ts';
import { glossaryEntry, paramEntry } from '../../../engine/contract/glossary-lookup.ts';
import { HelpButton } from './glossary-entry.tsx';

/** Text the person typed → the stored parameter (numbers may name a dim). */
function parseInput(field: SchemaField, text: string): { value: unknown } | { error: string } {
  const t = text.trim();
  if (t === '') return { value: undefined };
  if (field.type === 'integer' || field.type === 'number') {
    if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(t)) return { value: t };
    const n = Number(t);
    if (!Number.isFinite(n)) return { error: 'Enter a number or the name of a dim.' };
    return { value: n };
  }
  if (field.type === 'json') {
    try {
      return { value: JSON.parse(t) };
    } catch {
      return { error: 'Enter valid JSON.' };
    }
  }
  return { value: t };
}

function TextField(props: { field: SchemaField; value: unknown; commit: (v: unknown) => void }) {
  const { field, value, commit } = props;
  const [text, setText] = useState(fieldText(field, value));
  const [error, setError] = useState<string | null>(null);
  useEffect(() => setText(fieldText(field, value)), [field, value]);
  const save = () => {
    const r = parseInput(field, text);
    if ('error' in r) return setError(r.error);
    setError(null);
    if (JSON.stringify(r.value) !== JSON.stringify(value)) commit(r.value);
  };
  const numeric = field.type === 'integer' || field.type === 'number';
  const Tag = field.type === 'json' ? 'textarea' : 'input';
  return (
    <>
      <Tag
        id={`param-${field.key}`}
        name={field.key}
        className={error ? 'invalid' : ''}
        value={text}
        placeholder={
          field.default !== undefined
            ? `default ${fieldText(field, field.default)}`
            : field.required
              ? 'required'
              : 'auto'
        }
        list={numeric ? 'dims-list' : undefined}
        onChange={(e) => setText(e.target.value)}
        onBlur={save}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && field.type !== 'json') (e.target as HTMLInputElement).blur();
        }}
        spellCheck={false}
      />
      {error ? <div className="field-error">{error}</div> : null}
    </>
  );
}

function Field(props: {
  field: SchemaField;
  value: unknown;
  node: GraphNode;
  doc: GraphDocument;
  graphName: string;
  commit: (v: unknown) => void;
}) {
  const { field, value, node, doc, graphName, commit } = props;
  if (node.kind === 'recursion' && field.key === 'carry')
    return (
      <CarryTable
        doc={doc}
        component={node.params.component}
        value={value}
        help={field.help}
        entry={paramEntry(node.kind, field.key)}
        commit={commit}
      />
    );
  let control;
  if (field.type === 'boolean') {
    const checked = (value ?? field.default ?? false) as boolean;
    control = (
      <input
        id={`param-${field.key}`}
        type="checkbox"
        checked={checked}
        onChange={(e) => commit(e.target.checked)}
      />
    );
  } else if (field.type === 'enum' || (field.key === 'component' && field.type === 'string')) {
    // Components that contain this graph are left out: an instance of one would nest forever.
    const usable = usableComponents(doc, graphName);
    const options =
      field.options ??
      (typeof value === 'string' && !usable.includes(value) ? [value, ...usable] : usable);
    control = (
      <select
        id={`param-${field.key}`}
        value={String(value ?? field.default ?? '')}
        onChange={(e) => commit(e.target.value || undefined)}
      >
        {!field.required || value === undefined ? (
          <option value="">
            {field.default !== undefined ? `default (${String(field.default)})` : '—'}
          </option>
        ) : null}
        {options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    );
  } else {
    control = <TextField field={field} value={value} commit={commit} />;
  }
  return (
    <div className={`field field-${field.type}`}>
      <div className="field-head">
        <label htmlFor={`param-${field.key}`}>
          {field.key}
          {field.required ? <span className="req">*</span> : null}
        </label>
        <HelpButton entry={paramEntry(node.kind, field.key)} label={field.key} />
      </div>
      {control}
      {field.help ? <div className="help">{field.help}</div> : null}
    </div>
  );
}

export interface InspectorProps {
  doc: GraphDocument;
  graphName: string;
  node: GraphNode | undefined;
  info: NodeInfo | undefined;
  analysis: Analysis;
  dispatch: (a: Action) => void;
  onSelect: (graph: string, node: string) => void;
}

/** Parameters of the selected node, generated from its kind's zod schema; else the document. */
export function Inspector({
  doc,
  graphName,
  node,
  info,
  analysis,
  dispatch,
  onSelect,
}: InspectorProps) {
  if (!node)
    return <DocumentPanel doc={doc} analysis={analysis} dispatch={dispatch} onSelect={onSelect} />;
  const kind = findKind(node.kind);
  const commit = (key: string) => (value: unknown) =>
    dispatch({
      type: 'edit',
      edit: { type: 'setParam', graph: graphName, node: node.id, key, value },
    });
  return (
    <aside className="inspector" aria-label="Inspector">
      <header>
        <h2>{kind?.title ?? node.kind}</h2>
        <HelpButton entry={glossaryEntry('node', node.kind)} label={kind?.title ?? node.kind} />
        <code className="node-id">{node.id}</code>
      </header>
      {kind ? <p className="kind-doc">{kind.doc}</p> : null}
      {runsBody(node.kind) &&
      typeof node.params.component === 'string' &&
      Object.hasOwn(doc.components, node.params.component) ? (
        <div className="body-actions">
          <button
            className="open-body"
            title="Open the component (Tab); Escape or Shift+Tab comes back"
            onClick={() => dispatch({ type: 'openGraph', name: node.params.component as string })}
          >
            Open “{node.params.component}” ›
          </button>
          {node.kind === 'component' ? (
            <button
              className="wrap-body"
              title="Replace this instance by a recursion over the same component"
              onClick={() =>
                dispatch({
                  type: 'edit',
                  edit: { type: 'wrapRecursion', graph: graphName, node: node.id },
                })
              }
            >
              Wrap in recursion…
            </button>
          ) : null}
        </div>
      ) : null}
      <div className="facts">
        <span>{formatCount(info?.params ?? 0)} params</span>
        {Object.entries(info?.shapes ?? {}).map(([port, shape]) => (
          <span key={port}>
            {port} <code>{shape}</code>
          </span>
        ))}
      </div>
      {info?.diagnostics.map((d, i) => (
        <div key={i} className={`diag ${d.severity}`} data-testid="inspector-diagnostic">
          {d.message}
        </div>
      ))}
      <form className="fields" onSubmit={(e) => e.preventDefault()}>
        {paramFields(node.kind).map((f) => (
          <Field
            key={`${node.id}.${f.key}`}
            field={f}
            value={node.params[f.key]}
            node={node}
            doc={doc}
            graphName={graphName}
            commit={commit(f.key)}
          />
        ))}
      </form>
      <datalist id="dims-list">
        {Object.entries(doc.dims).map(([k, v]) => (
          <option key={k} value={k}>{`${k} = ${v}`}</option>
        ))}
      </datalist>
    </aside>
  );
}

function DocumentPanel({
  doc,
  analysis,
  dispatch,
  onSelect,
}: Omit<InspectorProps, 'node' | 'info' | 'graphName'>) {
  const errors = analysis.diagnostics.filter((d) => d.severity === 'error').length;
  return (
    <aside className="inspector" aria-label="Inspector">
      <header>
        <input
          className="doc-name"
          aria-label="Document name"
          defaultValue={doc.name}
          key={doc.name}
          maxLength={200}
          onBlur={(e) => {
            const name = e.target.value.trim();
            if (name && name !== doc.name)
              dispatch({ type: 'edit', edit: { type: 'rename', name } });
            else e.target.value = doc.name;
          }}
          onKeyDown={(e) => e.key === 'Enter' && (e.target as HTMLInputElement).blur()}
        />
      </header>
      {doc.description ? <p className="kind-doc">{doc.description}</p> : null}
      <TaskSelect doc={doc} dispatch={dispatch} />
      <DimsPanel doc={doc} dispatch={dispatch} />
      <h3>
        Problems{' '}
        <span className={errors ? 'badge error' : 'badge ok'}>
          {analysis.diagnostics.length || 'none'}
        </span>
      </h3>
      <ul className="problems">
        {analysis.diagnostics.map((d, i) => (
          <li
            key={i}
            className={`diag ${d.severity}`}
            onClick={() =>
              d.node && onSelect(d.graph?.replace(/^components\./, '') ?? 'main', d.node)
            }
          >
            {d.message}
          </li>
        ))}
      </ul>
    </aside>
  );
}
