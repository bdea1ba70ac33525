import type { Result } from '../../../engine/contract/api.ts';
import type { WriteConflict } from '../components/conflict-dialog.tsx';

/** The dialog open over the app, if any: one at a time. */
export type Dialog =
  | { type: 'templates' }
  | { type: 'open'; listing: Result<'document.list'> }
  | { type: 'saveAs' }
  | { type: 'help' }
  | { type: 'export' }
  | { type: 'conflict'; conflict: WriteConflict }
  | { type: 'runs' }
  | { type: 'playground' }
  | { type: 'insight' }
  | { type: 'glossary' }
  | null;

export type SetDialog = (dialog: Dialog) => void;
