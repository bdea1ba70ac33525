import type { ReactNode } from 'react';
import type { Analysis } from '../../../engine/contract/api.ts';
import { formatBytes, formatCount } from '../format.ts';
import './header.css';
import type { RecoveryState } from '../hooks.ts';

export interface HeaderProps {
  name: string;
  path: string | null;
  dirty: boolean;
  /** Whether the recovery file holds the latest edit. */
  recovery?: RecoveryState;
  analysis: Analysis;
  canUndo: boolean;
  canRedo: boolean;
  run: (
    command:
      'new' | 'open' | 'save' | 'saveAs' | 'templates' | 'undo' | 'redo' | 'autoLayout' | 'help',
  ) => void;
  /** Extra toolbar buttons (the Train panel toggle). */
  children?: ReactNode;
}

/** Title, file commands and the budget meter: parameters vs budget, FLOPs, sizes. */
export function Header({
  name,
  path,
  dirty,
  recovery,
  analysis,
  canUndo,
  canRedo,
  run,
  children,
}: HeaderProps) {
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
          <span
            className="dirty"
            title={
              recovery === 'saved'
                ? 'Unsaved changes (a recovery copy is on disk)'
                : 'Unsaved changes (saving a recovery copy…)'
            }
            data-testid="dirty-marker"
            data-recovery={recovery ?? 'none'}
          >
            ●
          </span>
        ) : null}
        {path ? <span className="doc-path">{path.split(/[\\/]/).pop()}</span> : null}
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
        {children}
      </nav>
      <div className="budget" data-testid="budget-meter">
        <div
          className="stat stat-params"
          title={
            `${t.params.toLocaleString('en-US')} parameters against the ${formatCount(t.budget)} budget` +
            (t.uncountedParams > 0
              ? `, plus ${t.uncountedParams.toLocaleString('en-US')} puzzle-embedding values not counted (as the TRM paper counts)`
              : '')
          }
        >
          <span className="stat-label">Params</span>
          <span className="stat-value">
            <strong data-testid="total-params">{formatCount(t.params)}</strong>
            <span className="muted"> / {formatCount(t.budget)}</span>
          </span>
          <div className={`budget-bar ${level}`}>
            <div style={{ width: `${Math.max(share * 100, t.params ? 1.5 : 0)}%` }} />
          </div>
        </div>
        <div className="stat" title="Forward FLOPs per token, every recursion step included">
          <span className="stat-label">FLOP / token</span>
          <span className="stat-value">{formatCount(t.flopsPerToken)}</span>
        </div>
        <div className="stat" title="Weights on disk per export precision">
          <span className="stat-label">fp32 · fp16 · int8</span>
          <span className="stat-value">
            {formatBytes(t.bytes.fp32)} · {formatBytes(t.bytes.fp16)} · {formatBytes(t.bytes.int8)}
          </span>
        </div>
        {t.context ? (
          <div
            className="stat"
            title={`One sequence of ${t.context} tokens: activations of every step (fp32), and the KV cache a decoder keeps`}
          >
            <span className="stat-label">Memory @ {t.context} tokens</span>
            <span className="stat-value">
              act {formatBytes(t.activationBytesPerToken * t.context)}
              {t.kvBytesPerToken ? ` · KV ${formatBytes(t.kvBytesPerToken * t.context)}` : ''}
            </span>
          </div>
        ) : null}
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
