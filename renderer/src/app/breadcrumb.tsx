import type { Action } from '../state/reducer.ts';
import './breadcrumb.css';

/** The graphs open one inside another, the document first; a crumb goes back to its graph. */
export function Breadcrumb({
  view,
  graphName,
  docName,
  dispatch,
}: {
  /** Open graph names, outermost first ('main' is the document's own). */
  view: string[];
  /** The graph in view. */
  graphName: string;
  docName: string;
  dispatch: (a: Action) => void;
}) {
  return (
    <nav className="breadcrumb" aria-label="Open graphs">
      {view.map((name, i) => (
        <span key={`${name}-${i}`}>
          {i > 0 ? <span className="crumb-sep">›</span> : null}
          <button
            className={i === view.length - 1 ? 'current' : ''}
            onClick={() => dispatch({ type: 'closeGraphs', depth: i + 1 })}
          >
            {name === 'main' ? docName : name}
          </button>
        </span>
      ))}
      {graphName !== 'main' ? <span className="crumb-note">component · shared weights</span> : null}
    </nav>
  );
}
