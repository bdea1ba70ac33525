import {
  useCallback,
  useEffect,
  useRef,
  useState,
  type CSSProperties,
  type MouseEvent,
} from 'react';
import { createPortal } from 'react-dom';
import type { GlossaryEntry } from '../../../engine/contract/glossary.ts';
import { KIND_LABELS } from '../../../engine/contract/glossary-lookup.ts';
import './glossary.css';

/** One glossary entry in full: the popover, the palette's hover card and the panel show this. */
export function EntryCard({ entry }: { entry: GlossaryEntry }) {
  return (
    <div className="gloss-card" data-term={entry.term}>
      <div className="gloss-card-head">
        <strong>{entry.title}</strong>
        <span className={`gloss-kind gloss-kind-${entry.kind}`}>{KIND_LABELS[entry.kind]}</span>
      </div>
      <p className="gloss-definition">{entry.definition}</p>
      {entry.formula ? <code className="gloss-formula">{entry.formula}</code> : null}
      <h4>Why it matters</h4>
      <p>{entry.whyItMatters}</p>
      <h4>Typical</h4>
      <p>{entry.typical}</p>
      <p className="gloss-term">
        <code>trm explain {entry.term}</code>
      </p>
    </div>
  );
}

const CARD_WIDTH = 360;
const MARGIN = 8;

/**
 * Where a card of CARD_WIDTH goes for the element at `r`: below it or to its right, growing
 * upwards from its foot instead when `r` is in the lower half of the window (the card's
 * max-height keeps it inside).
 */
export function cardPlace(r: DOMRect, side: 'below' | 'right'): CSSProperties {
  const maxLeft = window.innerWidth - CARD_WIDTH - MARGIN;
  const left = Math.max(
    MARGIN,
    Math.min(side === 'right' ? r.right + MARGIN : r.left - 12, maxLeft),
  );
  const low = r.top > window.innerHeight / 2;
  if (side === 'right')
    return low ? { left, bottom: window.innerHeight - r.bottom } : { left, top: r.top };
  return low ? { left, bottom: window.innerHeight - r.top + 6 } : { left, top: r.bottom + 6 };
}

/**
 * A "?" beside a field: pressing it shows the field's glossary entry in a popover, which
 * Escape, a second press or a press elsewhere closes. Escape stops there, so it neither closes
 * the dialog behind nor leaves the graph being edited.
 */
export function HelpButton({ entry, label }: { entry: GlossaryEntry | undefined; label: string }) {
  const [place, setPlace] = useState<CSSProperties | null>(null);
  const button = useRef<HTMLButtonElement>(null);
  const card = useRef<HTMLDivElement>(null);
  const close = useCallback(() => setPlace(null), []);
  useEffect(() => {
    if (!place) return;
    const key = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      e.stopPropagation();
      e.preventDefault();
      close();
    };
    const press = (e: Event) => {
      const t = e.target as Node;
      if (!card.current?.contains(t) && !button.current?.contains(t)) close();
    };
    window.addEventListener('keydown', key, true);
    document.addEventListener('mousedown', press, true);
    return () => {
      window.removeEventListener('keydown', key, true);
      document.removeEventListener('mousedown', press, true);
    };
  }, [place, close]);
  if (!entry) return null;
  const toggle = (e: MouseEvent) => {
    // Inside a label or a form the press is the popover's alone.
    e.preventDefault();
    e.stopPropagation();
    if (place) return close();
    const r = button.current?.getBoundingClientRect();
    if (r) setPlace(cardPlace(r, 'below'));
  };
  return (
    <>
      <button
        type="button"
        ref={button}
        className="gloss-help"
        aria-label={`What is ${label}?`}
        aria-expanded={place !== null}
        title={`What is ${label}?`}
        onClick={toggle}
      >
        ?
      </button>
      {place
        ? createPortal(
            <div
              ref={card}
              className="gloss-popover"
              role="dialog"
              aria-label={entry.title}
              style={place}
              data-testid="glossary-popover"
            >
              <EntryCard entry={entry} />
            </div>,
            document.body,
          )
        : null}
    </>
  );
}
