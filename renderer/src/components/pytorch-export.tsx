import { useState } from 'react';
import type { GraphDocument } from '../../../engine/graph/schema.ts';
import type { Result, RunSummary } from '../../../engine/contract/api.ts';
import type { ApiClient } from '../api-client.ts';

type Project = Result<'export.pytorch'>;

/**
 * The Export dialog's "PyTorch project": the picked run's graph, weights, data and recipe (or
 * the document with its initial weights) written as a PyTorch project to train past CPU scale;
 * shows where it went and the two commands that train it.
 */
export function PytorchExport({
  client,
  doc,
  picked,
  disabled,
}: {
  client: ApiClient;
  doc: GraphDocument;
  picked: RunSummary | null;
  disabled: boolean;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [project, setProject] = useState<Project | null>(null);
  const go = async () => {
    setBusy(true);
    setError(null);
    setProject(null);
    try {
      setProject(
        await client.call('export.pytorch', picked ? { runId: picked.runId } : { document: doc }),
      );
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="pytorch-export" data-testid="pytorch-export">
      <h3>PyTorch project</h3>
      <p className="muted">
        The same graph, weights, data and recipe as a PyTorch project, to train on a GPU or a
        cluster (torchrun); <code>trm import</code> brings its run back.
      </p>
      <button onClick={() => void go()} disabled={busy || disabled}>
        {busy ? 'Writing the project…' : 'Export PyTorch project'}
      </button>
      {error ? (
        <div className="train-error" role="alert">
          {error}
        </div>
      ) : null}
      {project ? (
        <div className="pytorch-project" data-testid="pytorch-project">
          <div>
            Written to <code>{project.dir}</code>: {project.files.length} files,{' '}
            {project.params.toLocaleString('en-US')} parameters, {project.trainExamples} training
            examples.
          </div>
          {project.commands.map((c) => (
            <pre key={c}>{c}</pre>
          ))}
        </div>
      ) : null}
    </section>
  );
}
