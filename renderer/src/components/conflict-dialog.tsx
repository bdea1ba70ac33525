import { Modal } from './modal.tsx';
import './dialogs.css';

/** Why a save was refused: the file changed on disk since it was read, or a Save As target exists. */
export interface WriteConflict {
  kind: 'conflict' | 'exists';
  path: string;
  /** The engine's sentence, naming the file and what happened. */
  message: string;
}

/**
 * A refused save, and the three ways on: replace the file with this document, save it
 * elsewhere, or (when another program changed the file) reload that version instead.
 */
export function ConflictDialog(props: {
  conflict: WriteConflict;
  onOverwrite: () => void;
  onSaveAs: () => void;
  onReload: () => void;
  onClose: () => void;
}) {
  const { kind, message } = props.conflict;
  return (
    <Modal
      title={kind === 'conflict' ? 'The file changed on disk' : 'The file already exists'}
      onClose={props.onClose}
    >
      <p data-testid="conflict-message">{message}</p>
      <div className="row">
        <button className="primary" onClick={props.onOverwrite}>
          Overwrite
        </button>
        <button onClick={props.onSaveAs}>Save As…</button>
        {kind === 'conflict' ? <button onClick={props.onReload}>Reload from disk</button> : null}
        <button className="ghost" onClick={props.onClose}>
          Cancel
        </button>
      </div>
    </Modal>
  );
}
