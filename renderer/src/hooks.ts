import { useCallback, useEffect, useRef, useState } from 'react';
import type { ApiClient } from './api-client.ts';
import { isDirty, type EditorState } from './state/reducer.ts';

export interface Toast {
  text: string;
  kind: 'error' | 'info';
}

/** A transient message, and `attempt`, which turns a failed call into that message. */
export function useToast() {
  const [toast, setToast] = useState<Toast | null>(null);
  useEffect(() => {
    if (!toast) return;
    const t = setTimeout(() => setToast(null), toast.kind === 'error' ? 6000 : 2500);
    return () => clearTimeout(t);
  }, [toast]);
  const say = useCallback(
    (text: string, kind: Toast['kind'] = 'error') => setToast({ text, kind }),
    [],
  );
  const attempt = useCallback(
    async <T>(work: () => Promise<T>): Promise<T | undefined> => {
      try {
        return await work();
      } catch (e) {
        say((e as Error).message);
        return undefined;
      }
    },
    [say],
  );
  return { toast, say, attempt };
}

const AUTOSAVE_MS = 600;

/**
 * Nothing typed is lost: unsaved work goes to the recovery file shortly after each change,
 * and closing the window with unsaved changes asks first.
 */
export function useUnsavedWorkGuard(client: ApiClient, state: EditorState) {
  const dirty = isDirty(state);
  useEffect(() => {
    if (!dirty) return;
    const t = setTimeout(() => {
      void client
        .call('document.autosave', { doc: state.doc, path: state.path })
        .catch(() => undefined);
    }, AUTOSAVE_MS);
    return () => clearTimeout(t);
  }, [client, dirty, state.doc, state.path]);

  // Back to the saved state (undo, save): the recovery file has nothing left to offer.
  const wasDirty = useRef(dirty);
  useEffect(() => {
    if (wasDirty.current && !dirty)
      void client.call('document.discardRecovery', {}).catch(() => undefined);
    wasDirty.current = dirty;
  }, [client, dirty]);

  const current = useRef(state);
  current.current = state;
  useEffect(() => {
    const warn = (e: BeforeUnloadEvent) => {
      if (isDirty(current.current)) e.preventDefault();
    };
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, []);
}
