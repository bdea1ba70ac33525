import type { GraphDocument } from '../../../engine/graph/schema.ts';
import type { Action } from '../state/reducer.ts';
import { DOCUMENT_TASKS } from '../task-data.ts';
import './task-select.css';

/**
 * The task the document is for (`meta.task`), chosen in the document panel: the Train panel
 * opens on its data, and a mismatch of data and graph names it as the fix. One undoable edit.
 */
export function TaskSelect({
  doc,
  dispatch,
}: {
  doc: GraphDocument;
  dispatch: (a: Action) => void;
}) {
  return (
    <label className="doc-task" title="The data this model is for: the Train panel opens on it.">
      Made for{' '}
      <select
        aria-label="What the model is for"
        value={typeof doc.meta?.task === 'string' ? doc.meta.task : ''}
        onChange={(e) =>
          dispatch({
            type: 'edit',
            edit: { type: 'setTask', task: e.target.value || undefined },
          })
        }
      >
        <option value="">— none (choose data in the Train panel)</option>
        {DOCUMENT_TASKS.map((t) => (
          <option key={t.id} value={t.id}>
            {t.label}
          </option>
        ))}
        {typeof doc.meta?.task === 'string' &&
        !DOCUMENT_TASKS.some((t) => t.id === doc.meta?.task) ? (
          <option value={doc.meta.task}>{doc.meta.task}</option>
        ) : null}
      </select>
    </label>
  );
}
