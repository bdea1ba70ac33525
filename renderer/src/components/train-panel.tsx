import { useEffect, useMemo, useState } from 'react';
import { recursionDepth } from '../../../engine/graph/recursion-depth.ts';
import type { GraphDocument } from '../../../engine/graph/schema.ts';
import type { RunSummary } from '../../../engine/contract/api.ts';
import type { ApiClient } from '../api-client.ts';
import { glossaryEntry } from '../../../engine/contract/glossary-lookup.ts';
import { formValues, schemaFields } from '../schema-form.ts';
import { declaredTaskFix } from '../task-data.ts';
import { SchemaFields } from './schema-fields.tsx';
import { InitSummary } from './init-summary.tsx';
import { EngineChoice, type EngineValue } from './engine-choice.tsx';
import { StartFromPicker, type StartFrom } from './start-from.tsx';
import { TrainBar } from './train-bar.tsx';
import { TrainCharts } from './train-charts.tsx';
import { TrainDataForm } from './train-data-form.tsx';
import { EvalSummary, TrainProgress } from './train-progress.tsx';
import { trainerFields } from './trainer-fields.ts';
import { useTrainData } from './use-train-data.ts';
import { useTrainRun } from './use-train-run.ts';
import './train-panel.css';

const trainerEntry = (key: string) => glossaryEntry('train', key);

/**
 * The Train panel: data and trainer settings on the left (forms from the engine's schemas), the
 * run's controls, progress and live curves on the right.
 */
export function TrainPanel({
  client,
  doc,
  onExport,
  onTry,
  onInsight,
  onRun,
  onActive,
  onSetDim,
  nativeDialogs = false,
}: {
  client: ApiClient;
  doc: GraphDocument;
  /** Set a graph dimension (the vocab hint's one-click fix); undoable like any edit. */
  onSetDim?: (name: string, value: number) => void;
  /** Electron shows a native file dialog for data; the browser uses its own picker. */
  nativeDialogs?: boolean;
  onExport: () => void;
  /** Open the playground on the run's checkpoint. */
  onTry?: () => void;
  /** Open the recursion insight (offered for a recursive model's finished run). */
  onInsight: () => void;
  /** The run shown (the Export dialog exports its weights). */
  onRun: (run: RunSummary | null) => void;
  /** A run was found still training after a reload: show the panel. */
  onActive: () => void;
}) {
  const train = useTrainRun(client, onActive);
  const { options, run, active, error, setError } = train;
  const data = useTrainData(doc, options, setError);
  const [config, setConfig] = useState<Record<string, string>>({});
  const [startFrom, setStartFrom] = useState<StartFrom | null>(null);
  const [engine, setEngine] = useState<EngineValue>({ engine: 'tfjs', processes: 1 });

  const recursive = useMemo(() => recursionDepth(doc).kind !== 'none', [doc]);
  const configFields = useMemo(
    () => trainerFields(schemaFields(options?.config), doc, recursive, engine.engine),
    [options, doc, recursive, engine.engine],
  );

  useEffect(() => onRun(run), [run, onRun]);

  const start = () =>
    train.start(doc, {
      data: data.spec,
      config: () => formValues(configFields, config),
      steps: Number(config.steps || configFields.find((f) => f.key === 'steps')?.default || 0),
      ...(startFrom ? { initFrom: startFrom } : {}),
      ...(engine.engine === 'pytorch' ? engine : {}),
    });
  const declaredFix = error ? declaredTaskFix(error, data.declared, data.onDeclaredData) : null;

  return (
    <section className="train-panel" aria-label="Train" data-testid="train-panel">
      <div className="train-settings">
        <TrainDataForm
          client={client}
          doc={doc}
          options={options}
          data={data}
          active={active}
          nativeDialogs={nativeDialogs}
          onSetDim={onSetDim}
          onError={setError}
        />
        <EngineChoice client={client} value={engine} onChange={setEngine} disabled={active} />
        <StartFromPicker
          client={client}
          doc={doc}
          value={startFrom}
          onChange={setStartFrom}
          onError={setError}
          disabled={active}
        />
        <h3>Trainer</h3>
        <div className="fields">
          <SchemaFields
            fields={configFields}
            prefix="train"
            glossary={trainerEntry}
            values={config}
            onChange={(key, text) => setConfig((x) => ({ ...x, [key]: text }))}
          />
        </div>
      </div>
      <div className="train-main">
        <TrainBar
          run={run}
          active={active}
          ready={options !== null}
          recursive={recursive}
          onStart={() => void start()}
          onCommand={(m) => void train.command(m)}
          onExport={onExport}
          onTry={onTry}
          onInsight={onInsight}
        />
        <TrainProgress run={run} last={train.last} active={active} />
        {train.initReport ? <InitSummary report={train.initReport} /> : null}
        {train.lastEval ? <EvalSummary report={train.lastEval} /> : null}
        {error ? (
          <div className="train-error" role="alert" data-testid="train-error">
            {declaredFix ? declaredFix.text : error}
            {declaredFix && !active ? (
              <button onClick={data.pickDeclared} data-testid="use-declared-task">
                Use {declaredFix.task}
              </button>
            ) : null}
          </div>
        ) : null}
        {train.info ? (
          <div className="train-info" role="status" data-testid="engine-info">
            {train.info}
          </div>
        ) : null}
        {train.notice ? (
          <div className="train-notice" role="status" data-testid="backend-notice">
            {train.notice}
          </div>
        ) : null}
        <TrainCharts curves={train.curves} version={train.version} />
      </div>
    </section>
  );
}
