import { useState, type CSSProperties, type DragEvent } from 'react';
import { createPortal } from 'react-dom';
import { glossaryEntry } from '../../../engine/contract/glossary-lookup.ts';
import { CATEGORIES, kindCards } from '../kinds.ts';
import { DRAG_MIME, type DragPayload } from './graph-canvas.tsx';
import { cardPlace, EntryCard } from './glossary-entry.tsx';
import './palette.css';
import { portSide } from '../../../engine/graph/structure.ts';

interface Item {
  key: string;
  title: string;
  doc: string;
  payload: DragPayload;
}

function startDrag(event: DragEvent, payload: DragPayload) {
  event.dataTransfer.setData(DRAG_MIME, JSON.stringify(payload));
  event.dataTransfer.effectAllowed = 'copy';
}

/**
 * Node kinds grouped by purpose; drag one onto the canvas (components have their own list).
 * Hovering a kind shows its glossary entry beside the palette.
 */
export function Palette({ insideComponent }: { insideComponent: boolean }) {
  const [query, setQuery] = useState('');
  // The kind under the pointer and where its glossary card goes (beside the palette).
  const [hover, setHover] = useState<{ kind: string; place: CSSProperties } | null>(null);
  const card = hover ? glossaryEntry('node', hover.kind) : undefined;
  const q = query.trim().toLowerCase();
  const matches = (i: Item) =>
    !q || `${i.title} ${i.doc} ${i.payload.kind}`.toLowerCase().includes(q);
  const groups = CATEGORIES.map((c) => ({
    ...c,
    items: kindCards
      .filter((k) => k.category === c.id)
      .filter((k) => insideComponent || portSide(k.kind) === undefined)
      .map((k): Item => ({ key: k.kind, title: k.title, doc: k.doc, payload: { kind: k.kind } }))
      .filter(matches),
  }));
  return (
    <aside className="palette" aria-label="Node palette">
      <input
        className="palette-search"
        type="search"
        placeholder="Search nodes…"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        aria-label="Search nodes"
      />
      <div className="palette-groups">
        {groups
          .filter((g) => g.items.length)
          .map((g) => (
            <section key={g.id} className={`palette-group cat-${g.id}`}>
              <h3>{g.label}</h3>
              {g.items.map((item) => (
                <div
                  key={item.key}
                  className="palette-item"
                  draggable
                  onDragStart={(e) => {
                    setHover(null);
                    startDrag(e, item.payload);
                  }}
                  onMouseEnter={(e) =>
                    setHover({
                      kind: item.key,
                      place: cardPlace(e.currentTarget.getBoundingClientRect(), 'right'),
                    })
                  }
                  onMouseLeave={() => setHover(null)}
                  data-kind={item.key}
                >
                  <span className="palette-dot" />
                  <span className="palette-title">{item.title}</span>
                  <span className="palette-doc">{item.doc}</span>
                </div>
              ))}
            </section>
          ))}
        {groups.every((g) => !g.items.length) ? (
          <p className="muted">No node matches “{query}”.</p>
        ) : null}
      </div>
      {hover && card
        ? createPortal(
            <div
              className="gloss-hover"
              role="tooltip"
              style={hover.place}
              data-testid="palette-card"
            >
              <EntryCard entry={card} />
            </div>,
            document.body,
          )
        : null}
    </aside>
  );
}
