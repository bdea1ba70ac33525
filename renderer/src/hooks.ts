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

/**
 * Autosave waits for a pause in editing (so a burst of edits is one write) but never longer
 * than the max-wait after the first unsaved edit (so steady editing still lands): together
 * with the write itself, every edit older than a second is in the recovery file.
 */
export const AUTOSAVE_DEBOUNCE_MS = 300;
export const AUTOSAVE_MAX_WAIT_MS = 600;

/** Whether the recovery file holds the latest edit: `pending` until its write lands. */
export type RecoveryState = 'none' | 'pending' | 'saved';

/**
 * Nothing typed is lost: unsaved work goes to the recovery file shortly after each change,
 * and closing the window with unsaved changes asks first. A failed autosave (full disk) is
 * reported once through `onError`, not swallowed. Returns whether the latest edit is on disk,
 * which the header shows (a person can tell when it is safe to pull the plug).
 */
export function useUnsavedWorkGuard(
  client: ApiClient,
  state: EditorState,
  onError?: (message: string) => void,
) {
  const dirty = isDirty(state);
  const stateNow = useRef(state);
  stateNow.current = state;
  const firstUnsaved = useRef<number | null>(null);
  // Writes go one after another, so an older snapshot never lands after a newer one.
  const writes = useRef<Promise<unknown>>(Promise.resolve());
  const lastError = useRef<string | null>(null);
  const report = useRef(onError);
  report.current = onError;
  const [recovery, setRecovery] = useState<RecoveryState>('none');
  /** Counts edits: a write settles `saved` only if no edit came after its snapshot. */
  const edits = useRef(0);
  const enqueue = useCallback((work: () => Promise<unknown>) => {
    writes.current = writes.current.then(work).then(
      () => void (lastError.current = null),
      (e: Error) => {
        if (e.message !== lastError.current) report.current?.(e.message);
        lastError.current = e.message;
      },
    );
  }, []);

  useEffect(() => {
    if (!dirty) {
      firstUnsaved.current = null;
      return;
    }
    const seq = ++edits.current;
    setRecovery('pending');
    const now = Date.now();
    firstUnsaved.current ??= now;
    const due = Math.min(now + AUTOSAVE_DEBOUNCE_MS, firstUnsaved.current + AUTOSAVE_MAX_WAIT_MS);
    const { doc, path, version } = stateNow.current;
    const t = setTimeout(() => {
      firstUnsaved.current = null;
      enqueue(() =>
        client
          .call('document.autosave', { doc, path, ...(version ? { version } : {}) })
          .then(() => {
            if (edits.current === seq) setRecovery('saved');
          }),
      );
    }, due - now);
    return () => clearTimeout(t);
  }, [client, dirty, enqueue, state.doc, state.path, state.version]);

  // Back to the saved state (undo, save): the recovery file has nothing left to offer.
  const wasDirty = useRef(dirty);
  useEffect(() => {
    if (wasDirty.current && !dirty) {
      edits.current++;
      setRecovery('none');
      enqueue(() => client.call('document.discardRecovery', {}));
    }
    wasDirty.current = dirty;
  }, [client, dirty, enqueue]);

  useEffect(() => {
    const warn = (e: BeforeUnloadEvent) => {
      if (isDirty(stateNow.current)) e.preventDefault();
    };
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, []);
  return recovery;
}
