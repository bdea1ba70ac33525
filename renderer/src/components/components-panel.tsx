import { useState, type DragEvent, type KeyboardEvent } from 'react';
import type { GraphDocument } from '../../../engine/graph/schema.ts';
import { componentColor } from '../format.ts';
import {
  componentUsers,
  deleteComponentProblem,
  freshName,
  renameComponentProblem,
} from '../../../engine/graph/edits/component-edits.ts';
import type { Action } from '../state/reducer.ts';
import { DRAG_MIME, type DragPayload } from './graph-canvas.tsx';
import './fields.css';
import './components-panel.css';

type Dispatch = (a: Action) => void;

function startDrag(event: DragEvent, name: string) {
  const payload: DragPayload = { kind: 'component', params: { component: name } };
  event.dataTransfer.setData(DRAG_MIME, JSON.stringify(payload));
  event.dataTransfer.effectAllowed = 'copy';
}

function uses(n: number): string {
  return n === 0 ? 'unused' : n === 1 ? '1 use' : `${n} uses`;
}

/** The name field of a row being renamed: Enter or leaving applies, Escape keeps the old name. */
function RenameField(props: { name: string; onDone: (to: string | null) => void }) {
  const { name, onDone } = props;
  const onKey = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'Enter') e.currentTarget.blur();
    if (e.key === 'Escape') {
      e.currentTarget.value = name;
      e.currentTarget.blur();
    }
    e.stopPropagation();
  };
  return (
    <input
      className="component-rename"
      aria-label={`New name for component ${name}`}
      defaultValue={name}
      autoFocus
      spellCheck={false}
      onFocus={(e) => e.currentTarget.select()}
      onKeyDown={onKey}
      onBlur={(e) => onDone(e.currentTarget.value.trim())}
    />
  );
}

function CopyIcon() {
  return (
    <svg width="11" height="11" viewBox="0 0 16 16" aria-hidden="true">
      <rect
        x="5"
        y="5"
        width="9"
        height="9"
        rx="1.5"
        fill="none"
        stroke="currentColor"
        strokeWidth="1.6"
      />
      <path
        d="M11 3.5V3a1 1 0 00-1-1H3a1 1 0 00-1 1v7a1 1 0 001 1h.5"
        fill="none"
        stroke="currentColor"
        strokeWidth="1.6"
      />
    </svg>
  );
}

/**
 * The document's components: create, rename, duplicate, delete, open (double-click or Enter)
 * and drag an instance onto the canvas. Every change is one undoable edit.
 */
export function ComponentsPanel(props: {
  doc: GraphDocument;
  /** The open graph: its row is marked. */
  current: string;
  dispatch: Dispatch;
  onOpen: (name: string) => void;
}) {
  const { doc, current, dispatch, onOpen } = props;
  const [editing, setEditing] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const names = Object.keys(doc.components);

  const create = () => {
    const name = freshName(doc, 'component');
    dispatch({ type: 'edit', edit: { type: 'createComponent', name } });
    setProblem(null);
    setEditing(name);
  };
  const rename = (from: string, to: string | null) => {
    setEditing(null);
    if (!to || to === from) return setProblem(null);
    const why = renameComponentProblem(doc, from, to);
    setProblem(why);
    if (!why) dispatch({ type: 'edit', edit: { type: 'renameComponent', from, to } });
  };
  const duplicate = (name: string) => {
    const copy = freshName(doc, `${name}_copy`);
    setProblem(null);
    dispatch({ type: 'edit', edit: { type: 'duplicateComponent', name, copy } });
  };
  const remove = (name: string) => {
    const why = deleteComponentProblem(doc, name);
    setProblem(why);
    if (!why) dispatch({ type: 'edit', edit: { type: 'deleteComponent', name } });
  };

  return (
    <section className="components-panel" aria-label="Components">
      <header>
        <h3>Components</h3>
        <button onClick={create} title="Create an empty component" data-testid="new-component">
          + Create
        </button>
      </header>
      {names.length === 0 ? (
        <p className="help">
          None yet. Create one, or select nodes and press Ctrl+G. Drag a component onto the canvas
          to use it.
        </p>
      ) : null}
      <ul>
        {names.map((name) => (
          <li
            key={name}
            className={`component-row${name === current ? ' open' : ''}`}
            data-component={name}
            draggable={editing !== name}
            tabIndex={0}
            title={`Drag onto the canvas for an instance; double-click or Enter opens "${name}".`}
            onDragStart={(e) => startDrag(e, name)}
            onDoubleClick={() => editing !== name && onOpen(name)}
            onKeyDown={(e) => {
              if (e.target !== e.currentTarget) return;
              if (e.key === 'Enter') onOpen(name);
              if (e.key === 'F2') setEditing(name);
            }}
          >
            <span className="palette-dot" style={{ background: componentColor(name) }} />
            <span className="component-text">
              {editing === name ? (
                <RenameField name={name} onDone={(to) => rename(name, to)} />
              ) : (
                <span className="component-name" title={name}>
                  {name}
                </span>
              )}
              <span className="component-uses">{uses(componentUsers(doc, name).length)}</span>
            </span>
            <span className="component-actions">
              <button
                aria-label={`Rename component ${name}`}
                title="Rename (F2)"
                onClick={() => setEditing(name)}
              >
                ✎
              </button>
              <button
                aria-label={`Duplicate component ${name}`}
                title="Duplicate"
                onClick={() => duplicate(name)}
              >
                <CopyIcon />
              </button>
              <button
                aria-label={`Delete component ${name}`}
                title="Delete"
                onClick={() => remove(name)}
              >
                ×
              </button>
            </span>
          </li>
        ))}
      </ul>
      {problem ? (
        <div className="field-error" role="alert" data-testid="components-problem">
          {problem}
        </div>
      ) : null}
    </section>
  );
}
