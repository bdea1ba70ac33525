import type { ReactNode } from 'react';
import type { Result } from '../../../engine/contract/api.ts';
import type { ApiClient } from '../api-client.ts';
import { TextFileInput } from './data-picker.tsx';
import './fields.css';

/**
 * The puzzle-file half of the Train panel: the layout (Sudoku-Extreme CSV, Maze-Hard CSV, an
 * ARC-AGI task folder) and its path in the workspace. A CSV may be dropped or chosen like a
 * text file (copied into the workspace data/ folder); a folder is typed. The engine checks
 * every row when the run starts, and a bad one comes back as the run's error sentence.
 */
export type PuzzleLayout = Result<'train.options'>['puzzleFiles'][number];

export function PuzzleFileInput({
  client,
  nativeDialogs,
  layouts,
  layout,
  path,
  onLayout,
  onPath,
  onError,
  disabled,
  children,
}: {
  client: ApiClient;
  nativeDialogs: boolean;
  layouts: PuzzleLayout[];
  layout: string;
  path: string;
  onLayout: (type: string) => void;
  onPath: (path: string) => void;
  onError: (message: string | null) => void;
  disabled: boolean;
  /** The layout's option fields. */
  children?: ReactNode;
}) {
  const chosen = layouts.find((l) => l.type === layout);
  return (
    <>
      <select
        aria-label="Puzzle file layout"
        value={layout}
        disabled={disabled}
        onChange={(e) => onLayout(e.target.value)}
      >
        {layouts.map((l) => (
          <option key={l.type} value={l.type}>
            {l.label}
          </option>
        ))}
      </select>
      {chosen?.folder ? (
        <label className="field" htmlFor="puzzle-folder">
          <span className="field-name">folder</span>
          <input
            id="puzzle-folder"
            aria-label="Task folder"
            placeholder="data/arc/training (in the workspace)"
            value={path}
            disabled={disabled}
            onChange={(e) => onPath(e.target.value)}
          />
          <span className="field-help">
            A folder in the workspace with one task JSON per file ({'{"train": […], "test": […]}'}
            ); the tasks&apos; test pairs are held out.
          </span>
        </label>
      ) : (
        <TextFileInput
          client={client}
          nativeDialogs={nativeDialogs}
          path={path}
          file={null}
          onPath={onPath}
          onFile={(f) => onPath(f.path)}
          onError={onError}
          disabled={disabled}
        />
      )}
      <div className="fields">{children}</div>
    </>
  );
}
