import { useState, type KeyboardEvent } from 'react';
import type { InferSource, ModelInfo, SolveResult } from '../../../engine/contract/api.ts';
import type { ApiClient } from '../api-client.ts';
import './playground-puzzle.css';

type PuzzleInfo = NonNullable<ModelInfo['puzzle']>;

/** The token an erased cell takes: the task's blank, else its first editable token. */
function eraser(p: PuzzleInfo): number {
  if (p.blank !== null) return p.blank;
  const open = p.symbols.indexOf(' ');
  return open > 0 ? open : (p.editable[0] ?? 1);
}

/** The token a typed key stands for, if a person may place it here. */
function tokenOfKey(p: PuzzleInfo, key: string): number | undefined {
  if (key === 'Backspace' || key === 'Delete' || key === '.' || key === '0') return eraser(p);
  const t = p.symbols.findIndex((s) => s !== '' && s.toLowerCase() === key.toLowerCase());
  return t >= 0 && p.editable.includes(t) ? t : undefined;
}

const MOVES: Record<string, number[]> = {
  ArrowLeft: [0, -1],
  ArrowRight: [0, 1],
  ArrowUp: [-1, 0],
  ArrowDown: [1, 0],
};

function Grid({
  p,
  cells,
  classOf,
  label,
  showBlank = false,
  selected,
  onSelect,
  onKey,
}: {
  p: PuzzleInfo;
  cells: number[];
  classOf: (i: number) => string;
  label: string;
  /** Show the blank symbol (an answer that left a cell blank) instead of an empty cell. */
  showBlank?: boolean;
  selected?: number;
  onSelect?: (i: number) => void;
  onKey?: (e: KeyboardEvent) => void;
}) {
  const box = Math.round(Math.sqrt(p.width));
  const boxed = box * box === p.width && p.width === p.cells / p.width;
  return (
    <div
      className="puzzle-grid"
      role="grid"
      aria-label={label}
      data-testid={label.toLowerCase().replace(/\s+/g, '-')}
      tabIndex={onKey ? 0 : -1}
      onKeyDown={onKey}
      style={{ gridTemplateColumns: `repeat(${p.width}, var(--cell))` }}
    >
      {cells.map((t, i) => {
        const r = Math.floor(i / p.width);
        const c = i % p.width;
        const edges = boxed
          ? `${c % box === 0 && c > 0 ? ' box-left' : ''}${r % box === 0 && r > 0 ? ' box-top' : ''}`
          : '';
        return (
          <div
            key={i}
            role="gridcell"
            aria-selected={selected === i}
            className={`cell ${classOf(i)}${edges}${selected === i ? ' selected' : ''}`}
            onClick={() => onSelect?.(i)}
          >
            {/* Padding (no symbol) shows as ?: a model may still predict it early in training. */}
            {t === p.blank && !showBlank ? '' : p.symbols[t] || '?'}
          </div>
        );
      })}
    </div>
  );
}

/** An editable grid, a random held-out puzzle, and the model's step-by-step answer. */
export function PuzzlePlayground({
  client,
  source,
  info,
}: {
  client: ApiClient;
  source: InferSource;
  info: ModelInfo;
}) {
  const p = info.puzzle!;
  const [cells, setCells] = useState<number[]>(() =>
    Array.from({ length: p.cells }, () => eraser(p)),
  );
  const [solution, setSolution] = useState<number[] | null>(null);
  // The held-out puzzle's id (a per-puzzle embedding's row); an edited puzzle keeps it.
  const [puzzleId, setPuzzleId] = useState(0);
  const [selected, setSelected] = useState(0);
  const [result, setResult] = useState<SolveResult | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const edit = (next: number[]) => {
    setCells(next);
    // An edited puzzle no longer has the generator's answer (the engine works out a Sudoku's).
    setSolution(null);
    setResult(null);
  };

  const onKey = (e: KeyboardEvent) => {
    const move = MOVES[e.key];
    if (move) {
      e.preventDefault();
      const r = Math.min(
        p.cells / p.width - 1,
        Math.max(0, Math.floor(selected / p.width) + move[0]!),
      );
      const c = Math.min(p.width - 1, Math.max(0, (selected % p.width) + move[1]!));
      return setSelected(r * p.width + c);
    }
    const t = tokenOfKey(p, e.key);
    if (t === undefined) return;
    e.preventDefault();
    edit(cells.map((x, i) => (i === selected ? t : x)));
  };

  const attempt = async (work: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const random = () =>
    attempt(async () => {
      const r = await client.call('infer.puzzle', { source });
      setCells(r.puzzle);
      setSolution(r.solution);
      setPuzzleId(r.puzzleId);
      setResult(null);
    });

  const solve = () =>
    attempt(async () => {
      setResult(
        await client.call('infer.solve', {
          source,
          puzzle: cells,
          puzzleId,
          ...(solution ? { solution } : {}),
        }),
      );
    });

  const wrong = new Set(result?.wrong ?? []);
  const given = (i: number) =>
    p.blank === null ? result?.answer[i] === cells[i] : cells[i] !== p.blank;
  const typeable = p.editable
    .map((t) => (t === p.blank ? '.' : JSON.stringify(p.symbols[t])))
    .join(' ');

  return (
    <div className="puzzle-playground">
      <div className="playground-actions">
        <button onClick={() => void random()} disabled={busy}>
          Random puzzle
        </button>
        <button onClick={() => edit(cells.map(() => eraser(p)))} disabled={busy}>
          Clear
        </button>
        <button className="primary" onClick={() => void solve()} disabled={busy}>
          {busy ? 'Working…' : 'Solve'}
        </button>
        <span className="muted">
          Click a cell and type {typeable}; arrows move, Backspace clears.
        </span>
      </div>
      {error ? (
        <div className="train-error" role="alert" data-testid="solve-error">
          {error}
        </div>
      ) : null}
      <div className="puzzle-boards">
        <Grid
          p={p}
          cells={cells}
          label="Puzzle"
          classOf={(i) => (cells[i] === p.blank ? 'empty' : 'given')}
          selected={selected}
          onSelect={setSelected}
          onKey={onKey}
        />
        {result ? (
          <Grid
            p={p}
            cells={result.answer}
            label="Answer"
            showBlank
            classOf={(i) => `${given(i) ? 'given' : 'predicted'}${wrong.has(i) ? ' wrong' : ''}`}
          />
        ) : null}
        {result ? (
          <div className="solve-summary">
            <div data-testid="steps-used">
              {result.halted
                ? `Halted after ${result.stepsUsed} of ${result.supervisionSteps} steps`
                : `Used all ${result.stepsUsed} steps without halting`}
            </div>
            <div data-testid="solve-verdict">
              {result.wrong === null
                ? 'No known solution to check against'
                : result.wrong.length === 0
                  ? '✓ Solved correctly'
                  : `✗ ${result.wrong.length} wrong cell${result.wrong.length > 1 ? 's' : ''} (marked)`}
            </div>
            <table className="step-table" data-testid="step-table">
              <thead>
                <tr>
                  <th>step</th>
                  <th>confidence</th>
                  <th>halt logit</th>
                </tr>
              </thead>
              <tbody>
                {result.steps.map((s, i) => (
                  <tr key={i}>
                    <td>{i + 1}</td>
                    <td>{(s.confidence * 100).toFixed(1)}%</td>
                    <td>{s.halt.toFixed(2)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <div className="muted">{result.millis.toFixed(0)} ms</div>
          </div>
        ) : null}
      </div>
    </div>
  );
}
