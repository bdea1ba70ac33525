import { useState, type DragEvent } from 'react';
import { CATEGORIES, kindCards } from '../kinds.ts';
import { DRAG_MIME, type DragPayload } from './graph-canvas.tsx';
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

/** Node kinds grouped by purpose; drag one onto the canvas (components have their own list). */
export function Palette({ insideComponent }: { insideComponent: boolean }) {
  const [query, setQuery] = useState('');
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
                  onDragStart={(e) => startDrag(e, item.payload)}
                  title={item.doc}
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
    </aside>
  );
}
