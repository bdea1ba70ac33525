import { useCallback } from 'react';
import type { GraphDocument } from '../../../engine/graph/schema.ts';
import type {
  ExportReport,
  Result,
  RunSummary,
  TemplateCard,
} from '../../../engine/contract/api.ts';
import type { ApiClient } from '../api-client.ts';
import { ConflictDialog } from '../components/conflict-dialog.tsx';
import { HelpOverlay, OpenDialog, SaveAsDialog, TemplateGallery } from '../components/dialogs.tsx';
import { ExportDialog } from '../components/export-dialog.tsx';
import { GlossaryPanel } from '../components/glossary-panel.tsx';
import { InsightView } from '../components/insight-view.tsx';
import { Playground } from '../components/playground.tsx';
import { RunsView } from '../components/runs-view.tsx';
import type { Dialog, SetDialog } from './dialog.ts';
import type { DocumentFiles } from './use-document-files.ts';

/** A file name from a document's name: `Tiny GPT` → `tiny-gpt`. */
const fileStem = (name: string) =>
  name
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .toLowerCase() || 'model';

/** The dialog open over the app (one at a time), wired to what it acts on. */
export function AppDialogs({
  client,
  dialog,
  setDialog,
  doc,
  info,
  templates,
  trainRun,
  exports,
  onExport,
  files,
}: {
  client: ApiClient;
  dialog: Dialog;
  setDialog: SetDialog;
  doc: GraphDocument;
  info: Result<'app.info'> | null;
  templates: TemplateCard[];
  /** The run the Train panel shows: the export, playground and insight start on it. */
  trainRun: RunSummary | null;
  /** This session's exports, kept while the Export dialog is closed. */
  exports: ExportReport[];
  onExport: (r: ExportReport) => void;
  files: DocumentFiles;
}) {
  const close = useCallback(() => setDialog(null), [setDialog]);
  switch (dialog?.type) {
    case undefined:
      return null;
    case 'export':
      return (
        <ExportDialog
          client={client}
          doc={doc}
          run={trainRun}
          results={exports}
          onResult={onExport}
          onClose={close}
        />
      );
    case 'insight':
      return <InsightView client={client} doc={doc} run={trainRun} onClose={close} />;
    case 'templates':
      return (
        <TemplateGallery
          templates={templates}
          onClose={close}
          onEmpty={files.newDocument}
          onPick={files.openTemplate}
        />
      );
    case 'open':
      return (
        <OpenDialog
          listing={dialog.listing}
          onClose={close}
          onOpen={(p) => void files.openPath(p)}
        />
      );
    case 'saveAs':
      return (
        <SaveAsDialog
          initial={fileStem(doc.name)}
          workspace={info?.workspace ?? ''}
          onClose={close}
          onSave={(p) => void files.saveAs(p)}
        />
      );
    case 'conflict':
      return (
        <ConflictDialog
          conflict={dialog.conflict}
          onClose={close}
          onSaveAs={() => void files.saveAs()}
          // Choosing Reload is the consent to drop the edits: no second confirm.
          onReload={() => void files.reopen(dialog.conflict.path)}
          onOverwrite={() => files.overwrite(dialog.conflict)}
        />
      );
    case 'playground':
      return <Playground client={client} run={trainRun} onClose={close} />;
    case 'help':
      return <HelpOverlay onClose={close} />;
    case 'runs':
      return <RunsView client={client} onClose={close} />;
    case 'glossary':
      return <GlossaryPanel onClose={close} />;
  }
}
