import { useCallback } from 'react';
import type { GraphDocument } from '../../../engine/graph/schema.ts';
import type { Result } from '../../../engine/contract/api.ts';
import { ApiCallError, type ApiClient } from '../api-client.ts';
import type { WriteConflict } from '../components/conflict-dialog.tsx';
import { layoutCrowded } from '../layout.ts';
import { emptyDocument } from '../../../engine/graph/edits/apply-edit.ts';
import { isDirty } from '../state/reducer.ts';
import type { SetDialog } from './dialog.ts';
import type { Editor } from './use-editor.ts';

/**
 * New, open, save and save as, and templates: what moves a document between the editor and
 * files. Unsaved edits are never dropped without asking; a save the engine refuses (the file
 * changed on disk, or the name is taken) opens the conflict dialog.
 */
export function useDocumentFiles({
  client,
  editor: { dispatch, stateRef },
  nativeDialogs,
  say,
  attempt,
  setDialog,
}: {
  client: ApiClient;
  editor: Editor;
  /** Electron's own file dialogs; the browser uses the app's. */
  nativeDialogs: boolean;
  say: (text: string, kind?: 'error' | 'info') => void;
  attempt: <T>(work: () => Promise<T>) => Promise<T | undefined>;
  setDialog: SetDialog;
}) {
  const mayDiscard = useCallback(() => {
    const s = stateRef.current;
    return !isDirty(s) || window.confirm(`Discard unsaved changes to “${s.doc.name}”?`);
  }, [stateRef]);

  const load = useCallback(
    async (doc: GraphDocument, path: string | null, version?: string) => {
      dispatch({ type: 'load', doc: await layoutCrowded(doc), path, version: version ?? null });
      setDialog(null);
    },
    [dispatch, setDialog],
  );

  /** Run a save; a refusal that needs a choice (changed on disk, name taken) asks for it. */
  const write = useCallback(
    async (
      path: string,
      doc: GraphDocument,
      call: () => Promise<Result<'document.save'> | null>,
    ) => {
      try {
        const result = await call();
        if (!result) return;
        dispatch({ type: 'saved', path: result.path, doc, version: result.version ?? null });
        setDialog(null);
        say(`Saved ${result.path.split(/[\\/]/).pop()}.`, 'info');
      } catch (e) {
        if (e instanceof ApiCallError && (e.code === 'conflict' || e.code === 'exists')) {
          return setDialog({
            type: 'conflict',
            conflict: { kind: e.code, path, message: e.message },
          });
        }
        say((e as Error).message);
      }
    },
    [dispatch, say, setDialog],
  );

  const saveAs = useCallback(
    async (path?: string, overwrite?: boolean) => {
      const doc = stateRef.current.doc;
      if (!path && !nativeDialogs) return setDialog({ type: 'saveAs' });
      await write(path ?? '', doc, () =>
        client.call('document.saveAs', { doc, path, ...(overwrite ? { overwrite } : {}) }),
      );
    },
    [client, nativeDialogs, setDialog, stateRef, write],
  );

  const save = useCallback(() => {
    const s = stateRef.current;
    if (!s.path) return void saveAs();
    const path = s.path;
    void write(path, s.doc, () =>
      client.call('document.save', {
        path,
        doc: s.doc,
        ...(s.version ? { version: s.version } : {}),
      }),
    );
  }, [client, saveAs, stateRef, write]);

  /** Replace the file the refused save was for, once the person said so. */
  const overwrite = useCallback(
    ({ kind, path }: WriteConflict) => {
      if (kind === 'exists') return void saveAs(path, true);
      const doc = stateRef.current.doc;
      void write(path, doc, () => client.call('document.save', { path, doc }));
    },
    [client, saveAs, stateRef, write],
  );

  /** Open a document without asking (the caller has asked, or there is nothing to lose). */
  const reopen = useCallback(
    (path?: string) =>
      attempt(async () => {
        const opened = await client.call('document.open', { path });
        if (opened) await load(opened.doc, opened.path, opened.version);
      }),
    [attempt, client, load],
  );

  const openPath = useCallback(
    async (path?: string) => {
      if (mayDiscard()) await reopen(path);
    },
    [reopen, mayDiscard],
  );

  /** The native open dialog, or the app's list of the workspace's documents. */
  const open = useCallback(() => {
    if (nativeDialogs) return void openPath();
    void attempt(async () =>
      setDialog({ type: 'open', listing: await client.call('document.list', {}) }),
    );
  }, [attempt, client, nativeDialogs, openPath, setDialog]);

  const newDocument = useCallback(() => {
    if (mayDiscard()) void load(emptyDocument(), null);
  }, [load, mayDiscard]);

  const openTemplate = useCallback(
    (id: string) =>
      void attempt(async () => {
        if (!mayDiscard()) return;
        const { doc } = await client.call('templates.get', { id });
        await load(doc, null);
      }),
    [attempt, client, load, mayDiscard],
  );

  return { save, saveAs, overwrite, reopen, openPath, open, newDocument, openTemplate };
}

export type DocumentFiles = ReturnType<typeof useDocumentFiles>;
