import type { Analysis } from '../../../engine/service/api.ts';
import { formatBytes, formatCount } from '../format.ts';

export interface HeaderProps {
  name: string;
  path: string | null;
  dirty: boolean;
  analysis: Analysis;
  canUndo: boolean;
  canRedo: boolean;
  run: (
    command:
      'new' | 'open' | 'save' | 'saveAs' | 'templates' | 'undo' | 'redo' | 'autoLayout' | 'help',
  ) => void;
}

/** Title, file commands and the budget meter: parameters vs budget, FLOPs, sizes. */
export function Header({ name, path, dirty, analysis, canUndo, canRedo, run }: HeaderProps) {
  const t = analysis.totals;
  const share = Math.min(1, t.params / t.budget);
  const errors = analysis.diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = analysis.diagnostics.length - errors;
  const level = share > 1 ? 'over' : share > 0.8 ? 'near' : 'ok';
  return (
    <header className="app-header">
      <div className="brand">
        <span className="logo">◆</span> TRM Studio
      </div>
      <div className="doc-title" title={path ?? 'not saved yet'}>
        <span data-testid="doc-name">{name}</span>
        {dirty ? (
          <span className="dirty" title="Unsaved changes" data-testid="dirty-marker">
            ●
          </span>
        ) : null}
        <span className="doc-path">{path ? path.split(/[\\/]/).pop() : 'unsaved'}</span>
      </div>
      <nav className="toolbar">
        <button onClick={() => run('templates')} title="Templates">
          Templates
        </button>
        <button onClick={() => run('new')} title="New (Ctrl+N)">
          New
        </button>
        <button onClick={() => run('open')} title="Open (Ctrl+O)">
          Open
        </button>
        <button onClick={() => run('save')} title="Save (Ctrl+S)" data-testid="save">
          Save
        </button>
        <span className="sep" />
        <button
          onClick={() => run('undo')}
          disabled={!canUndo}
          title="Undo (Ctrl+Z)"
          aria-label="Undo"
        >
          ↶
        </button>
        <button
          onClick={() => run('redo')}
          disabled={!canRedo}
          title="Redo (Ctrl+Y)"
          aria-label="Redo"
        >
          ↷
        </button>
        <button onClick={() => run('autoLayout')} title="Auto-layout (L)">
          Layout
        </button>
        <button onClick={() => run('help')} title="Shortcuts (?)" aria-label="Help">
          ?
        </button>
      </nav>
      <div className="budget" data-testid="budget-meter">
        <div className="budget-main">
          <span className="budget-label">Params</span>
          <strong data-testid="total-params">{formatCount(t.params)}</strong>
          <span className="muted">/ {formatCount(t.budget)}</span>
        </div>
        <div className={`budget-bar ${level}`}>
          <div style={{ width: `${Math.max(share * 100, t.params ? 1 : 0)}%` }} />
        </div>
        <div className="budget-facts">
          <span title="Forward FLOPs per token">{formatCount(t.flopsPerToken)} FLOP/token</span>
          <span title="Weights on disk: fp32 / fp16 / int8">
            {formatBytes(t.bytes.fp32)} · {formatBytes(t.bytes.fp16)} · {formatBytes(t.bytes.int8)}
          </span>
          <span title="Activations per token (fp32, recursion bodies once)">
            act {formatBytes(t.activationBytesPerToken)}/tok
          </span>
        </div>
      </div>
      <div
        className={`status-pill ${errors ? 'error' : warnings ? 'warning' : 'ok'}`}
        data-testid="status"
      >
        {errors
          ? `${errors} error${errors > 1 ? 's' : ''}`
          : warnings
            ? `${warnings} warning${warnings > 1 ? 's' : ''}`
            : 'Valid'}
      </div>
    </header>
  );
}
