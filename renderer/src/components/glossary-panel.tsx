import { useMemo, useState } from 'react';
import { entryId, KIND_LABELS, searchGlossary } from '../../../engine/contract/glossary-lookup.ts';
import { EntryCard } from './glossary-entry.tsx';
import { Modal } from './modal.tsx';
import './glossary.css';

/**
 * The Glossary: every node kind, trainer setting, export option and concept, searchable; the
 * list on the left, the picked entry (the first match until one is picked) on the right.
 */
export function GlossaryPanel({ onClose }: { onClose: () => void }) {
  const [query, setQuery] = useState('');
  const [picked, setPicked] = useState<string | null>(null);
  const found = useMemo(() => searchGlossary(query), [query]);
  const shown = found.find((e) => entryId(e) === picked) ?? found[0];
  return (
    <Modal title="Glossary" onClose={onClose} wide className="glossary-panel" testId="glossary">
      <input
        className="glossary-search"
        type="search"
        placeholder="Search terms, e.g. deep supervision, lr, int4…"
        aria-label="Search the glossary"
        value={query}
        autoFocus
        onChange={(e) => {
          setQuery(e.target.value);
          setPicked(null);
        }}
      />
      <div className="glossary-body">
        <ul className="glossary-list" aria-label="Terms">
          {found.map((e) => (
            <li key={entryId(e)}>
              <button
                className={e === shown ? 'on' : ''}
                aria-current={e === shown}
                onClick={() => setPicked(entryId(e))}
              >
                <span className="glossary-title">{e.title}</span>
                <span className="glossary-meta">
                  {e.term} · {KIND_LABELS[e.kind]}
                </span>
              </button>
            </li>
          ))}
        </ul>
        <div className="glossary-entry" data-testid="glossary-entry">
          {shown ? (
            <EntryCard entry={shown} />
          ) : (
            <p className="muted">No term matches “{query}”.</p>
          )}
        </div>
      </div>
    </Modal>
  );
}
