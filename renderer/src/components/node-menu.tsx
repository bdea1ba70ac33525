import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import type { GraphDocument } from '../../../engine/graph/schema.ts';
import { nodeMenuEntries, type LooseWire, type MenuEntry } from '../state/node-menu.ts';
import type { XY } from '../../../engine/graph/edits/apply-edit.ts';
import './node-menu.css';

/**
 * The quick-add menu: type to filter, arrows to move, Enter or a click to place the node,
 * Escape (or a click elsewhere) to close. Opened by a double-click on empty canvas, or by a
 * wire dropped there (then only kinds that wire can plug into are listed).
 */
export function NodeMenu({
  at,
  doc,
  graphName,
  wire,
  onPick,
  onClose,
}: {
  /** Where it opens, in screen pixels. */
  at: XY;
  doc: GraphDocument;
  graphName: string;
  wire?: LooseWire;
  onPick: (entry: MenuEntry) => void;
  onClose: () => void;
}) {
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(0);
  const entries = useMemo(
    () => nodeMenuEntries(doc, graphName, query, wire),
    [doc, graphName, query, wire],
  );
  const list = useRef<HTMLUListElement>(null);
  const box = useRef<HTMLDivElement>(null);
  const current = Math.min(active, Math.max(0, entries.length - 1));

  useEffect(() => {
    list.current?.children[current]?.scrollIntoView({ block: 'nearest' });
  }, [current]);

  // A press anywhere outside closes it, as menus do.
  useEffect(() => {
    const away = (e: PointerEvent) => {
      if (!box.current?.contains(e.target as Node)) onClose();
    };
    window.addEventListener('pointerdown', away, true);
    return () => window.removeEventListener('pointerdown', away, true);
  }, [onClose]);

  const onKey = (e: KeyboardEvent) => {
    const move = (by: number) => {
      e.preventDefault();
      setActive(Math.max(0, Math.min(entries.length - 1, current + by)));
    };
    if (e.key === 'ArrowDown') return move(1);
    if (e.key === 'ArrowUp') return move(-1);
    if (e.key === 'PageDown') return move(8);
    if (e.key === 'PageUp') return move(-8);
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      return onClose();
    }
    if (e.key === 'Enter') {
      e.preventDefault();
      const entry = entries[current];
      if (entry) onPick(entry);
    }
  };

  // Keep it on screen: open up or left of the point when it would run off the window.
  const left = Math.min(at.x, window.innerWidth - 300);
  const top = Math.min(at.y, window.innerHeight - 360);
  return (
    <div
      ref={box}
      className="node-menu"
      style={{ left: Math.max(0, left), top: Math.max(0, top) }}
      data-testid="node-menu"
    >
      <input
        autoFocus
        type="search"
        placeholder="Add a node…"
        aria-label="Search node kinds"
        value={query}
        onChange={(e) => {
          setQuery(e.target.value);
          setActive(0);
        }}
        onKeyDown={onKey}
        role="combobox"
        aria-expanded="true"
        aria-controls="node-menu-list"
        aria-activedescendant={entries[current] ? `node-menu-${entries[current].key}` : undefined}
      />
      {wire ? (
        <p className="node-menu-wire">
          {wire.side === 'source' ? 'fed by' : 'feeding'} {wire.node}.{wire.port}
        </p>
      ) : null}
      <ul id="node-menu-list" ref={list} role="listbox" aria-label="Node kinds">
        {entries.map((entry, i) => (
          <li
            key={entry.key}
            id={`node-menu-${entry.key}`}
            role="option"
            aria-selected={i === current}
            className={i === current ? 'active' : ''}
            data-kind={entry.kind}
            onPointerEnter={() => setActive(i)}
            onClick={() => onPick(entry)}
            title={entry.doc}
          >
            <span className="node-menu-title">{entry.title}</span>
            {entry.port ? <span className="node-menu-port">→ {entry.port}</span> : null}
          </li>
        ))}
      </ul>
      {entries.length === 0 ? (
        <p className="muted node-menu-empty">
          {wire
            ? `No node kind matching “${query}” has a port for ${wire.node}.${wire.port}.`
            : `No node kind matches “${query}”.`}
        </p>
      ) : null}
    </div>
  );
}
