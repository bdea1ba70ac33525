import { useCallback, useState } from 'react';
import type { ExportReport, RunSummary } from '../../engine/contract/api.ts';
import type { ApiClient } from './api-client.ts';
import { AppDialogs } from './app/app-dialogs.tsx';
import { AppToolbar } from './app/app-toolbar.tsx';
import type { Dialog } from './app/dialog.ts';
import { useCommands } from './app/use-commands.ts';
import { useDocumentFiles } from './app/use-document-files.ts';
import { useEditor } from './app/use-editor.ts';
import { useStartup } from './app/use-startup.ts';
import { Workspace } from './app/workspace.tsx';
import { RecoveryBanner } from './components/dialogs.tsx';
import { Header } from './components/header.tsx';
import { TrainPanel } from './components/train-panel.tsx';
import { useToast, useUnsavedWorkGuard } from './hooks.ts';
import './app/app.css';

/**
 * The app: the header, the designer, the Train panel docked below it, and the dialog open over
 * them. State lives in the hooks; this wires them to the parts.
 */
export function App({ client }: { client: ApiClient }) {
  const editor = useEditor();
  const { state, dispatch } = editor;
  const [dialog, setDialog] = useState<Dialog>(null);
  const [trainOpen, setTrainOpen] = useState(false);
  const [trainRun, setTrainRun] = useState<RunSummary | null>(null);
  const [exports, setExports] = useState<ExportReport[]>([]);
  const showTrain = useCallback(() => setTrainOpen(true), []);
  const toggleTrain = useCallback(() => setTrainOpen((o) => !o), []);
  const openTemplates = useCallback(() => setDialog({ type: 'templates' }), []);

  const { toast, say, attempt } = useToast();
  const startup = useStartup(client, editor, attempt, openTemplates);
  const { info, recovery } = startup;
  const recoveryState = useUnsavedWorkGuard(client, state, say);
  const files = useDocumentFiles({
    client,
    editor,
    nativeDialogs: info?.nativeDialogs ?? false,
    say,
    attempt,
    setDialog,
  });
  const run = useCommands({
    client,
    editor,
    files,
    say,
    setDialog,
    toggleTrain,
    paused: dialog !== null,
  });

  return (
    <div className="app">
      <Header
        name={state.doc.name}
        path={state.path}
        dirty={editor.dirty}
        recovery={recoveryState}
        analysis={editor.analysis}
        canUndo={state.past.length > 0}
        canRedo={state.future.length > 0}
        run={run}
      >
        <AppToolbar trainOpen={trainOpen} onToggleTrain={toggleTrain} setDialog={setDialog} />
      </Header>
      {recovery ? (
        <RecoveryBanner
          recovery={recovery}
          onRestore={() => startup.restore(recovery)}
          onDiscard={startup.discard}
        />
      ) : null}
      <Workspace editor={editor} toast={toast} say={say} run={run} />
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
      <AppDialogs
        client={client}
        dialog={dialog}
        setDialog={setDialog}
        doc={state.doc}
        info={info}
        templates={startup.templates}
        trainRun={trainRun}
        exports={exports}
        onExport={(r) => setExports((x) => [...x, r])}
        files={files}
      />
    </div>
  );
}
