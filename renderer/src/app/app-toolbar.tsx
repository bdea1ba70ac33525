import type { SetDialog } from './dialog.ts';

/** The header's buttons beyond the file commands: the Train panel and the run dialogs. */
export function AppToolbar({
  trainOpen,
  onToggleTrain,
  setDialog,
}: {
  trainOpen: boolean;
  onToggleTrain: () => void;
  setDialog: SetDialog;
}) {
  return (
    <>
      <span className="sep" />
      <button
        className={trainOpen ? 'on' : ''}
        onClick={onToggleTrain}
        aria-pressed={trainOpen}
        data-testid="toggle-train"
      >
        Train
      </button>
      <button onClick={() => setDialog({ type: 'export' })}>Export</button>
      <button onClick={() => setDialog({ type: 'runs' })} title="Runs (R)" data-testid="open-runs">
        Runs
      </button>
      <button
        onClick={() => setDialog({ type: 'playground' })}
        title="Playground (P)"
        data-testid="open-playground"
      >
        Playground
      </button>
      <button
        onClick={() => setDialog({ type: 'insight' })}
        title="Recursion insight"
        data-testid="open-insight"
      >
        Insight
      </button>
      <button
        onClick={() => setDialog({ type: 'glossary' })}
        title="Glossary: what every node, setting and concept is (G)"
        data-testid="open-glossary"
      >
        Glossary
      </button>
    </>
  );
}
