import { useReactFlow } from '@xyflow/react';
import { useCallback, useEffect } from 'react';
import type { ApiClient } from '../api-client.ts';
import { autoLayout } from '../layout.ts';
import { isTyping, useShortcuts, type Command } from '../shortcuts.ts';
import { readClipboard, writeClipboard } from '../state/clipboard.ts';
import { cloneItems } from '../state/clone-items.ts';
import { groupCommand } from '../state/group-command.ts';
import { currentGraph, graphOf } from '../state/reducer.ts';
import type { SetDialog } from './dialog.ts';
import type { DocumentFiles } from './use-document-files.ts';
import type { Editor } from './use-editor.ts';

/**
 * Every command the app takes, whichever way it comes: a key (quiet while a dialog is open),
 * the native menu, a toolbar button or the canvas's context menu. Returns the one `run`.
 */
export function useCommands({
  client,
  editor: { dispatch, stateRef },
  files: { newDocument, open, save, saveAs, openPath },
  say,
  setDialog,
  toggleTrain,
  paused,
}: {
  client: ApiClient;
  editor: Editor;
  files: DocumentFiles;
  say: (text: string) => void;
  setDialog: SetDialog;
  toggleTrain: () => void;
  /** A dialog is open: keys other than save and open do nothing. */
  paused: boolean;
}) {
  const rf = useReactFlow();

  const layout = useCallback(async () => {
    const s = stateRef.current;
    const g = graphOf(s.doc, currentGraph(s));
    if (!g) return;
    const sizes = new Map(
      rf
        .getNodes()
        .map((n) => [n.id, { width: n.measured?.width ?? 220, height: n.measured?.height ?? 90 }]),
    );
    const positions = await autoLayout(g, sizes);
    dispatch({ type: 'edit', edit: { type: 'moveNodes', graph: currentGraph(s), positions } });
    setTimeout(() => void rf.fitView({ padding: 0.15, duration: 200 }), 50);
  }, [dispatch, rf, stateRef]);

  const run = useCallback(
    (command: Command) => {
      const s = stateRef.current;
      const g = graphOf(s.doc, currentGraph(s)) ?? s.doc.main;
      const picked = g.nodes.filter((n) => s.selection.includes(n.id));
      switch (command) {
        case 'new':
          return newDocument();
        case 'open':
          return open();
        case 'save':
          return save();
        case 'saveAs':
          return void saveAs();
        case 'templates':
          return setDialog({ type: 'templates' });
        case 'undo':
        case 'redo':
        case 'selectAll':
          // Native menu accelerators reach us even while a field has focus: edit its text then.
          if (isTyping(document.activeElement)) return void document.execCommand(command);
          if (command !== 'selectAll') return dispatch({ type: command });
          return dispatch({ type: 'select', nodes: g.nodes.map((n) => n.id) });
        case 'fitView':
          return void rf.fitView({ padding: 0.15, duration: 200 });
        case 'autoLayout':
          return void layout();
        case 'help':
        case 'runs':
        case 'playground':
        case 'insight':
        case 'glossary':
        case 'export':
          return setDialog({ type: command });
        case 'train':
          return toggleTrain();
        case 'back':
          return dispatch({ type: 'closeGraphs', depth: s.view.length - 1 });
        case 'copy':
        case 'cut':
          if (!picked.length) return;
          writeClipboard(picked, g.edges);
          if (command === 'cut') {
            const ids = picked.map((n) => n.id);
            dispatch({
              type: 'edit',
              edit: { type: 'removeItems', graph: currentGraph(s), nodes: ids, edges: [] },
            });
          }
          return;
        case 'enter': {
          const [one] = picked;
          const name = one?.params.component;
          if (picked.length !== 1 || typeof name !== 'string' || !graphOf(s.doc, name)) return;
          return dispatch({ type: 'openGraph', name });
        }
        case 'group':
        case 'ungroup':
        case 'wrapRecursion': {
          const r = groupCommand(command, s);
          if ('error' in r) return say(r.error);
          return dispatch({ type: 'edit', edit: r.edit });
        }
        case 'duplicate':
        case 'paste': {
          const items = command === 'paste' ? readClipboard() : { nodes: picked, edges: g.edges };
          if (!items || !items.nodes.length) return;
          const copy = cloneItems(g, items.nodes, items.edges, { x: 40, y: 40 });
          dispatch({ type: 'edit', edit: { type: 'paste', graph: currentGraph(s), ...copy } });
          return;
        }
      }
    },
    [dispatch, layout, newDocument, open, rf, save, saveAs, say, setDialog, stateRef, toggleTrain],
  );

  useEffect(
    () =>
      client.onEvent((e) => {
        if (e.type === 'menu') run(e.command);
        else if (e.type === 'open-recent') void openPath(e.path);
      }),
    [client, run, openPath],
  );

  useShortcuts(run, paused);

  return run;
}
