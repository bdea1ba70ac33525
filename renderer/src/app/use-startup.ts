import { useEffect, useState } from 'react';
import type { Recovery, Result, TemplateCard } from '../../../engine/contract/api.ts';
import type { ApiClient } from '../api-client.ts';
import type { Editor } from './use-editor.ts';

/**
 * What the app reads when it opens: the host's info, the template cards, and work kept after
 * the app last closed without saving, which the person restores or discards. With nothing
 * kept, the template gallery opens.
 */
export function useStartup(
  client: ApiClient,
  editor: Editor,
  attempt: <T>(work: () => Promise<T>) => Promise<T | undefined>,
  openTemplates: () => void,
) {
  const [info, setInfo] = useState<Result<'app.info'> | null>(null);
  const [templates, setTemplates] = useState<TemplateCard[]>([]);
  const [recovery, setRecovery] = useState<Recovery | null>(null);
  const { dispatch, stateRef } = editor;

  useEffect(() => {
    void attempt(async () => {
      const [appInfo, cards, recovered] = await Promise.all([
        client.call('app.info', {}),
        client.call('templates.list', {}),
        client.call('document.recover', {}),
      ]);
      setInfo(appInfo);
      setTemplates(cards);
      if (recovered) setRecovery(recovered);
      else openTemplates();
    });
  }, [client, attempt, openTemplates]);

  const restore = (kept: Recovery) => {
    dispatch({
      type: 'load',
      doc: kept.doc,
      path: kept.path,
      dirty: true,
      version: kept.version ?? null,
    });
    setRecovery(null);
  };

  const discard = () => {
    setRecovery(null);
    void client.call('document.discardRecovery', {});
    // The chooser only over the untouched empty canvas the app opened on: a document
    // loaded (or drawn) while the banner showed stays in front.
    const s = stateRef.current;
    if (s.generation === 0 && s.past.length === 0) openTemplates();
  };

  return { info, templates, recovery, restore, discard };
}
