import { useReactFlow } from '@xyflow/react';
import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from 'react';
import type { GraphDocument } from '../../engine/graph/schema.ts';
import { analyzeDocument } from '../../engine/graph/analyze.ts';
import type {
  ExportReport,
  Recovery,
  Result,
  RunSummary,
  TemplateCard,
} from '../../engine/contract/api.ts';
import { ApiCallError, type ApiClient } from './api-client.ts';
import { ComponentsPanel } from './components/components-panel.tsx';
import { ConflictDialog, type WriteConflict } from './components/conflict-dialog.tsx';
import {
  HelpOverlay,
  OpenDialog,
  RecoveryBanner,
  SaveAsDialog,
  TemplateGallery,
} from './components/dialogs.tsx';
import { ExportDialog } from './components/export-dialog.tsx';
import { GraphCanvas } from './components/graph-canvas.tsx';
import { Header } from './components/header.tsx';
import { InsightView } from './components/insight-view.tsx';
import { Inspector } from './components/inspector.tsx';
import { Palette } from './components/palette.tsx';
import { RunsView } from './components/runs-view.tsx';
import { Playground } from './components/playground.tsx';
import { TrainPanel } from './components/train-panel.tsx';
import { useToast, useUnsavedWorkGuard } from './hooks.ts';
import { autoLayout, layoutCrowded } from './layout.ts';
import { groupCommand } from './state/group-command.ts';
import { toggleShared } from './state/shared-toggle.ts';
import { isTyping, useShortcuts, type Command } from './shortcuts.ts';
import { readClipboard, writeClipboard } from './state/clipboard.ts';
import { cloneItems } from './state/clone-items.ts';
import { emptyDocument } from '../../engine/graph/edits/apply-edit.ts';
import { currentGraph, graphOf, initialState, isDirty, reducer } from './state/reducer.ts';

type Dialog =
  | { type: 'templates' }
  | { type: 'open'; listing: Result<'document.list'> }
  | { type: 'saveAs' }
  | { type: 'help' }
  | { type: 'export' }
  | { type: 'conflict'; conflict: WriteConflict }
  | { type: 'runs' }
  | { type: 'playground' }
  | { type: 'insight' }
  | null;

export function App({ client }: { client: ApiClient }) {
  const [state, dispatch] = useReducer(reducer, undefined, () => initialState());
  const [info, setInfo] = useState<Result<'app.info'> | null>(null);
  const [templates, setTemplates] = useState<TemplateCard[]>([]);
  const [recovery, setRecovery] = useState<Recovery | null>(null);
  const [dialog, setDialog] = useState<Dialog>(null);
  const [trainOpen, setTrainOpen] = useState(false);
  const [trainRun, setTrainRun] = useState<RunSummary | null>(null);
  const [exports, setExports] = useState<ExportReport[]>([]);
  const showTrain = useCallback(() => setTrainOpen(true), []);
  const closeDialog = useCallback(() => setDialog(null), []);
  const rf = useReactFlow();
  const stateRef = useRef(state);
  stateRef.current = state;

  const analysis = useMemo(() => analyzeDocument(state.doc), [state.doc]);
  const graphName = currentGraph(state);
  const graph = graphOf(state.doc, graphName) ?? state.doc.main;
  const dirty = isDirty(state);

  const { toast, say, attempt } = useToast();

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
      else setDialog({ type: 'templates' });
    });
  }, [client, attempt]);

  useUnsavedWorkGuard(client, state, say);

  const mayDiscard = useCallback(() => {
    const s = stateRef.current;
    return !isDirty(s) || window.confirm(`Discard unsaved changes to “${s.doc.name}”?`);
  }, []);

  const load = useCallback(async (doc: GraphDocument, path: string | null, version?: string) => {
    dispatch({ type: 'load', doc: await layoutCrowded(doc), path, version: version ?? null });
    setDialog(null);
  }, []);

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
    [say],
  );

  const saveAs = useCallback(
    async (path?: string, overwrite?: boolean) => {
      const doc = stateRef.current.doc;
      if (!path && !info?.nativeDialogs) return setDialog({ type: 'saveAs' });
      await write(path ?? '', doc, () =>
        client.call('document.saveAs', { doc, path, ...(overwrite ? { overwrite } : {}) }),
      );
    },
    [client, info, write],
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

  const toggleInstance = useCallback(
    (id: string) => {
      const s = stateRef.current;
      const r = toggleShared(s, currentGraph(s), id);
      if (!r) return;
      dispatch({ type: 'edit', edit: r.edit });
      say(r.note, 'info');
    },
    [say],
  );

  /** Open component `name` from the top level, whatever is open now. */
  const openComponent = useCallback((name: string) => {
    if (currentGraph(stateRef.current) === name) return;
    dispatch({ type: 'closeGraphs', depth: 1 });
    dispatch({ type: 'openGraph', name });
  }, []);

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
  }, [rf]);

  const run = useCallback(
    (command: Command) => {
      const s = stateRef.current;
      const g = graphOf(s.doc, currentGraph(s)) ?? s.doc.main;
      const picked = g.nodes.filter((n) => s.selection.includes(n.id));
      switch (command) {
        case 'new':
          if (mayDiscard()) void load(emptyDocument(), null);
          return;
        case 'open':
          if (info?.nativeDialogs) return void openPath();
          return void attempt(async () =>
            setDialog({ type: 'open', listing: await client.call('document.list', {}) }),
          );
        case 'save':
          if (!s.path) return void saveAs();
          return void write(s.path, s.doc, () =>
            client.call('document.save', {
              path: s.path as string,
              doc: s.doc,
              ...(s.version ? { version: s.version } : {}),
            }),
          );
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
          return setDialog({ type: 'help' });
        case 'runs':
          return setDialog({ type: 'runs' });
        case 'playground':
          return setDialog({ type: 'playground' });
        case 'insight':
          return setDialog({ type: 'insight' });
        case 'export':
          return setDialog({ type: 'export' });
        case 'train':
          return setTrainOpen((o) => !o);
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
    [attempt, client, info, layout, load, mayDiscard, openPath, rf, saveAs, say, write],
  );

  useEffect(
    () =>
      client.onEvent((e) => {
        if (e.type === 'menu') run(e.command);
        else if (e.type === 'open-recent') void openPath(e.path);
      }),
    [client, run, openPath],
  );

  useShortcuts(run, dialog !== null);

  const selected =
    state.selection.length === 1 ? graph.nodes.find((n) => n.id === state.selection[0]) : undefined;

  return (
    <div className="app">
      <Header
        name={state.doc.name}
        path={state.path}
        dirty={dirty}
        analysis={analysis}
        canUndo={state.past.length > 0}
        canRedo={state.future.length > 0}
        run={run}
      >
        <span className="sep" />
        <button
          className={trainOpen ? 'on' : ''}
          onClick={() => setTrainOpen((o) => !o)}
          aria-pressed={trainOpen}
          data-testid="toggle-train"
        >
          Train
        </button>
        <button onClick={() => setDialog({ type: 'export' })}>Export</button>
        <button
          onClick={() => setDialog({ type: 'runs' })}
          title="Runs (R)"
          data-testid="open-runs"
        >
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
      </Header>
      {recovery ? (
        <RecoveryBanner
          recovery={recovery}
          onRestore={() => {
            dispatch({
              type: 'load',
              doc: recovery.doc,
              path: recovery.path,
              dirty: true,
              version: recovery.version ?? null,
            });
            setRecovery(null);
          }}
          onDiscard={() => {
            setRecovery(null);
            void client.call('document.discardRecovery', {});
            // The chooser only over the untouched empty canvas the app opened on: a document
            // loaded (or drawn) while the banner showed stays in front.
            const s = stateRef.current;
            if (s.generation === 0 && s.past.length === 0) setDialog({ type: 'templates' });
          }}
        />
      ) : null}
      <main className="workspace">
        <div className="sidebar">
          <ComponentsPanel
            doc={state.doc}
            current={graphName}
            dispatch={dispatch}
            onOpen={openComponent}
          />
          <Palette insideComponent={graphName !== 'main'} />
        </div>
        <section className="canvas" aria-label="Graph canvas">
          <nav className="breadcrumb" aria-label="Open graphs">
            {state.view.map((name, i) => (
              <span key={`${name}-${i}`}>
                {i > 0 ? <span className="crumb-sep">›</span> : null}
                <button
                  className={i === state.view.length - 1 ? 'current' : ''}
                  onClick={() => dispatch({ type: 'closeGraphs', depth: i + 1 })}
                >
                  {name === 'main' ? state.doc.name : name}
                </button>
              </span>
            ))}
            {graphName !== 'main' ? (
              <span className="crumb-note">component · shared weights</span>
            ) : null}
          </nav>
          <GraphCanvas
            key={`${graphName}#${state.generation}#${state.view.length}`}
            doc={state.doc}
            graphName={graphName}
            graph={graph}
            info={analysis.graphs[graphName]}
            selection={state.selection}
            dispatch={dispatch}
            onRefused={say}
            onCommand={run}
            onToggleShared={toggleInstance}
          />
          {graph.nodes.length === 0 ? (
            <div className="empty-hint">
              Drag a node from the palette to start, or open a template.
            </div>
          ) : null}
          {toast ? (
            <div className={`toast ${toast.kind}`} role="status" data-testid="toast">
              {toast.text}
            </div>
          ) : null}
        </section>
        <Inspector
          doc={state.doc}
          graphName={graphName}
          node={selected}
          info={selected ? analysis.graphs[graphName]?.nodes[selected.id] : undefined}
          analysis={analysis}
          dispatch={dispatch}
          onSelect={(g, node) => {
            if (g !== graphName) dispatch({ type: 'closeGraphs', depth: 1 });
            if (g !== 'main') dispatch({ type: 'openGraph', name: g });
            dispatch({ type: 'select', nodes: [node] });
          }}
        />
      </main>
      {/* Kept mounted while hidden: its charts and the run's events survive closing it. */}
      <div className={trainOpen ? 'train-dock' : 'train-dock hidden'}>
        <TrainPanel
          client={client}
          doc={state.doc}
          onRun={setTrainRun}
          onExport={() => setDialog({ type: 'export' })}
          onTry={() => setDialog({ type: 'playground' })}
          onInsight={() => setDialog({ type: 'insight' })}
          onActive={showTrain}
          onSetDim={(name, value) =>
            dispatch({ type: 'edit', edit: { type: 'setDim', name, value } })
          }
          nativeDialogs={info?.nativeDialogs ?? false}
        />
      </div>
      {dialog?.type === 'export' ? (
        <ExportDialog
          client={client}
          doc={state.doc}
          run={trainRun}
          results={exports}
          onResult={(r) => setExports((x) => [...x, r])}
          onClose={() => setDialog(null)}
        />
      ) : null}
      {dialog?.type === 'insight' ? (
        <InsightView
          client={client}
          doc={state.doc}
          run={trainRun}
          onClose={() => setDialog(null)}
        />
      ) : null}
      {dialog?.type === 'templates' ? (
        <TemplateGallery
          templates={templates}
          onClose={() => setDialog(null)}
          onEmpty={() => mayDiscard() && void load(emptyDocument(), null)}
          onPick={(id) =>
            void attempt(async () => {
              if (!mayDiscard()) return;
              const { doc } = await client.call('templates.get', { id });
              await load(doc, null);
            })
          }
        />
      ) : null}
      {dialog?.type === 'open' ? (
        <OpenDialog
          listing={dialog.listing}
          onClose={() => setDialog(null)}
          onOpen={(p) => void openPath(p)}
        />
      ) : null}
      {dialog?.type === 'saveAs' ? (
        <SaveAsDialog
          initial={
            state.doc.name
              .replace(/[^A-Za-z0-9_-]+/g, '-')
              .replace(/^-+|-+$/g, '')
              .toLowerCase() || 'model'
          }
          workspace={info?.workspace ?? ''}
          onClose={() => setDialog(null)}
          onSave={(p) => void saveAs(p)}
        />
      ) : null}
      {dialog?.type === 'conflict' ? (
        <ConflictDialog
          conflict={dialog.conflict}
          onClose={() => setDialog(null)}
          onSaveAs={() => void saveAs()}
          // Choosing Reload is the consent to drop the edits: no second confirm.
          onReload={() => void reopen(dialog.conflict.path)}
          onOverwrite={() => {
            const { kind, path } = dialog.conflict;
            if (kind === 'exists') return void saveAs(path, true);
            const doc = stateRef.current.doc;
            void write(path, doc, () => client.call('document.save', { path, doc }));
          }}
        />
      ) : null}
      {dialog?.type === 'playground' ? (
        <Playground client={client} run={trainRun} onClose={() => setDialog(null)} />
      ) : null}
      {dialog?.type === 'help' ? <HelpOverlay onClose={() => setDialog(null)} /> : null}
      {dialog?.type === 'runs' ? <RunsView client={client} onClose={closeDialog} /> : null}
    </div>
  );
}
