import { useState } from 'react';
import type { Recovery, Result, TemplateCard } from '../../../engine/contract/api.ts';
import { formatCount, formatDate } from '../format.ts';
import { shortcutRows } from '../shortcuts.ts';
import { Modal } from './modal.tsx';
import './dialogs.css';

export function TemplateGallery(props: {
  templates: TemplateCard[];
  onPick: (id: string) => void;
  onEmpty: () => void;
  onClose: () => void;
}) {
  return (
    <Modal title="Start from a template" onClose={props.onClose} wide>
      <div className="cards">
        {props.templates.map((t) => (
          <button
            key={t.id}
            className="card"
            onClick={() => props.onPick(t.id)}
            data-template={t.id}
          >
            <h3>{t.name}</h3>
            <p>{t.description}</p>
            <footer>
              <span>{formatCount(t.params)} params</span>
              <span>{t.nodes} nodes</span>
              {t.task ? <span>data: {t.task}</span> : null}
            </footer>
          </button>
        ))}
        <button className="card empty" onClick={props.onEmpty}>
          <h3>Empty canvas</h3>
          <p>Start from nothing and drag nodes from the palette.</p>
        </button>
      </div>
    </Modal>
  );
}

type Listing = Result<'document.list'>;

export function OpenDialog(props: {
  listing: Listing;
  onOpen: (path: string) => void;
  onClose: () => void;
}) {
  const [path, setPath] = useState('');
  const { files, recent, workspace } = props.listing;
  return (
    <Modal title="Open a document" onClose={props.onClose}>
      <p className="muted">Documents in {workspace}</p>
      <ul className="file-list">
        {files.map((f) => (
          <li key={f.path}>
            <button onClick={() => props.onOpen(f.path)} data-file={f.name}>
              {f.name} <span className="muted">{formatDate(f.modified)}</span>
            </button>
          </li>
        ))}
        {files.length === 0 ? <li className="muted">No documents saved yet.</li> : null}
      </ul>
      {recent.length ? (
        <>
          <h3>Recent</h3>
          <ul className="file-list">
            {recent.map((p) => (
              <li key={p}>
                <button onClick={() => props.onOpen(p)}>{p}</button>
              </li>
            ))}
          </ul>
        </>
      ) : null}
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          if (path.trim()) props.onOpen(path.trim());
        }}
      >
        <input
          value={path}
          onChange={(e) => setPath(e.target.value)}
          placeholder="or type a path…"
        />
        <button type="submit" className="primary">
          Open
        </button>
      </form>
    </Modal>
  );
}

export function SaveAsDialog(props: {
  initial: string;
  workspace: string;
  onSave: (path: string) => void;
  onClose: () => void;
}) {
  const [name, setName] = useState(props.initial);
  return (
    <Modal title="Save as" onClose={props.onClose}>
      <p className="muted">Saves to {props.workspace}</p>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          const n = name.trim();
          if (n) props.onSave(/\.json$/i.test(n) ? n : `${n}.trm.json`);
        }}
      >
        <input
          autoFocus
          value={name}
          onChange={(e) => setName(e.target.value)}
          aria-label="File name"
        />
        <button type="submit" className="primary">
          Save
        </button>
      </form>
    </Modal>
  );
}

export function RecoveryBanner(props: {
  recovery: Recovery;
  onRestore: () => void;
  onDiscard: () => void;
}) {
  return (
    <div className="banner" role="alert" data-testid="recovery">
      Unsaved work on “{props.recovery.doc.name}” from {formatDate(props.recovery.savedAt)} was kept
      after the app closed.
      <button onClick={props.onRestore}>Restore</button>
      <button className="ghost" onClick={props.onDiscard}>
        Discard
      </button>
    </div>
  );
}

export function HelpOverlay({ onClose }: { onClose: () => void }) {
  return (
    <Modal title="Keyboard shortcuts" onClose={onClose}>
      <table className="shortcuts">
        <tbody>
          {shortcutRows().map(([k, what]) => (
            <tr key={k}>
              <td>
                <kbd>{k}</kbd>
              </td>
              <td>{what}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Modal>
  );
}
