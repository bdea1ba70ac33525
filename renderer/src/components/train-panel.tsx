import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { dataForTask, declaredTaskFix, puzzleFileSpec } from '../task-data.ts';
import { recursionDepth } from '../../../engine/graph/recursion-depth.ts';
import { documentTraining } from '../../../engine/graph/training-meta.ts';
import type { GraphDocument } from '../../../engine/graph/schema.ts';
import type { DataFile, Result, RunSummary, TrainEvent } from '../../../engine/contract/api.ts';
import type { ApiClient } from '../api-client.ts';
import { LiveChart } from './chart.tsx';
import {
  requiredVocab,
  TextFileInput,
  textDataArg,
  textFileSpec,
  TokenizerFields,
  VocabHint,
  type TextDataChoice,
} from './data-picker.tsx';
import { PuzzleFileInput } from './puzzle-file-input.tsx';

type Options = Result<'train.options'>;

interface JsonProp {
  type?: string;
  enum?: unknown[];
  default?: unknown;
  description?: string;
  minimum?: number;
  maximum?: number;
}

interface Field {
  key: string;
  kind: 'number' | 'integer' | 'boolean' | 'enum' | 'json';
  help: string;
  default: unknown;
  options?: string[];
}

/** Form fields from a JSON Schema (the engine's zod schema, via z.toJSONSchema). */
function fieldsOf(schema: Record<string, unknown> | undefined): Field[] {
  const props = (schema?.properties ?? {}) as Record<string, JsonProp>;
  return Object.entries(props).map(([key, p]) => ({
    key,
    kind: p.enum
      ? 'enum'
      : p.type === 'integer' || p.type === 'number' || p.type === 'boolean'
        ? p.type
        : 'json',
    help: p.description ?? '',
    default: p.default,
    options: p.enum?.map(String),
  }));
}

/** Settings that only mean something for a graph with deep supervision and a halting head. */
const RECURSIVE_ONLY = new Set([
  'haltWeight',
  'haltEarly',
  'halting',
  'haltExplore',
  'supervisionSteps',
]);

/**
 * The trainer's fields as this document will run them: its own `meta.training` values replace
 * the trainer's defaults (a blank field means "the document's value"), and the deep-supervision
 * fields are left out for graphs without recursion.
 */
function documentFields(fields: Field[], doc: GraphDocument, recursive: boolean): Field[] {
  let own: Record<string, unknown> = {};
  try {
    own = documentTraining(doc);
  } catch {
    // A malformed meta.training is reported by the document's validation; show the defaults.
  }
  return fields
    .filter((f) => recursive || !RECURSIVE_ONLY.has(f.key))
    .map((f) =>
      Object.hasOwn(own, f.key)
        ? { ...f, default: own[f.key], help: `${f.help} This document sets it.`.trim() }
        : f,
    );
}

/** Typed form values → the object the engine validates (blank means "use the default"). */
function valuesOf(fields: Field[], raw: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const v = raw[f.key];
    if (v === undefined || v.trim() === '') continue;
    if (f.kind === 'number' || f.kind === 'integer') out[f.key] = Number(v);
    else if (f.kind === 'boolean') out[f.key] = v === 'true';
    else if (f.kind === 'json') {
      try {
        out[f.key] = JSON.parse(v);
      } catch {
        throw new Error(
          `The setting "${f.key}" is not valid JSON; write it like ${JSON.stringify(f.default)}.`,
        );
      }
    } else out[f.key] = v;
  }
  return out;
}

function FieldInput({
  field,
  value,
  onChange,
  prefix,
}: {
  field: Field;
  value: string | undefined;
  onChange: (v: string) => void;
  prefix: string;
}) {
  const id = `${prefix}-${field.key}`;
  const shown =
    field.default === undefined
      ? ''
      : typeof field.default === 'string'
        ? field.default
        : JSON.stringify(field.default);
  return (
    <label className="field" title={field.help} htmlFor={id}>
      <span className="field-name">{field.key}</span>
      {field.kind === 'enum' || field.kind === 'boolean' ? (
        <select id={id} value={value ?? shown} onChange={(e) => onChange(e.target.value)}>
          {(field.options ?? ['true', 'false']).map((o) => (
            <option key={o}>{o}</option>
          ))}
        </select>
      ) : (
        <input
          id={id}
          value={value ?? ''}
          placeholder={shown}
          onChange={(e) => onChange(e.target.value)}
        />
      )}
      {field.help ? <span className="field-help">{field.help}</span> : null}
    </label>
  );
}

/** The curves of one run, as uPlot's aligned columns. */
class Curves {
  step: number[] = [];
  loss: number[] = [];
  accuracy: number[] = [];
  lr: number[] = [];
  gradNorm: number[] = [];
  valLoss: (number | null)[] = [];
  valAccuracy: (number | null)[] = [];
  add(e: TrainEvent): boolean {
    if (e.type === 'step') {
      const m = e.metrics;
      this.step.push(m.step);
      this.loss.push(m.loss);
      this.accuracy.push(m.accuracy);
      this.lr.push(m.lr);
      this.gradNorm.push(m.gradNorm);
      this.valLoss.push(null);
      this.valAccuracy.push(null);
      return true;
    }
    if (e.type === 'eval') {
      let i = this.step.lastIndexOf(e.report.step);
      if (i < 0) {
        i = this.step.length - 1;
        if (i < 0) return false;
      }
      this.valLoss[i] = e.report.loss;
      this.valAccuracy[i] = e.report.accuracy;
      return true;
    }
    return false;
  }
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** The latest held-out evaluation in words: what the run's model scores on unseen data. */
function EvalSummary({ report: r }: { report: Extract<TrainEvent, { type: 'eval' }>['report'] }) {
  const parts = [
    ...(r.exactMatch !== undefined ? [`exact ${pct(r.exactMatch)}`] : []),
    ...(r.openAccuracy !== undefined ? [`open cells ${pct(r.openAccuracy)}`] : []),
    `${r.openAccuracy !== undefined ? 'all cells' : 'accuracy'} ${pct(r.accuracy)}`,
    ...(r.perplexity !== undefined ? [`perplexity ${r.perplexity.toFixed(2)}`] : []),
  ];
  return (
    <div className="train-eval" role="status" data-testid="eval-summary">
      <span className="stat-label">
        Held-out @ step {r.step}
        {r.ema ? ' (EMA weights)' : ''}
      </span>{' '}
      {parts.join(' · ')}{' '}
      <span className="muted">({r.examples.toLocaleString('en-US')} examples)</span>
    </div>
  );
}

function formatEta(sec: number): string {
  if (!Number.isFinite(sec)) return '—';
  const s = Math.round(sec);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

/** A failure as a sentence and the next step. */
function explain(message: string): string {
  if (/nan|diverg|infinit/i.test(message) && !/lower the learning rate/i.test(message))
    return `${message} Lower the learning rate (lr) or turn gradient clipping on (clipNorm), then start again.`;
  return message;
}

const ACTIVE = new Set(['starting', 'running', 'paused']);

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
  const [options, setOptions] = useState<Options | null>(null);
  const [source, setSource] = useState<'corpus' | 'task' | 'file' | 'puzzle'>('corpus');
  const [corpus, setCorpus] = useState('brown');
  const [task, setTask] = useState('copy');
  const [taskValues, setTaskValues] = useState<Record<string, string>>({});
  const [file, setFile] = useState('');
  const [layout, setLayout] = useState('sudoku-csv');
  const [puzzlePath, setPuzzlePath] = useState('');
  const [puzzleValues, setPuzzleValues] = useState<Record<string, string>>({});
  const [fileInfo, setFileInfo] = useState<DataFile | null>(null);
  const [textChoice, setTextChoice] = useState<TextDataChoice>({
    tokenizer: 'char',
    vocabSize: '',
  });
  const [config, setConfig] = useState<Record<string, string>>({});
  const [run, setRun] = useState<RunSummary | null>(null);
  const [last, setLast] = useState<Extract<TrainEvent, { type: 'step' }>['metrics'] | null>(null);
  /** The latest held-out evaluation, shown in words beside the charts. */
  const [lastEval, setLastEval] = useState<Extract<TrainEvent, { type: 'eval' }>['report'] | null>(
    null,
  );
  const [error, setError] = useState<string | null>(null);
  /** Why a faster backend was not used (a GPU package without its driver). */
  const [notice, setNotice] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const curves = useRef(new Curves());
  const runId = useRef<string | null>(null);

  const recursive = useMemo(() => recursionDepth(doc).kind !== 'none', [doc]);
  const configFields = useMemo(
    () => documentFields(fieldsOf(options?.config), doc, recursive),
    [options, doc, recursive],
  );
  const taskFields = useMemo(() => fieldsOf(options?.tasks[task]), [options, task]);
  const puzzleFields = useMemo(
    () => fieldsOf(options?.puzzleFiles.find((l) => l.type === layout)?.options),
    [options, layout],
  );

  useEffect(() => onRun(run), [run, onRun]);

  // The data the document declares (`meta.task`) is where the panel starts, and where it goes
  // when another document is opened: a Sudoku template trains on Sudoku of its size.
  const declared = doc.meta?.task;
  const pickDeclared = useCallback(() => {
    const choice = dataForTask(declared);
    if (!choice) return;
    setError(null);
    setSource(choice.source);
    if (choice.source === 'corpus') setCorpus(choice.corpus);
    else {
      setTask(choice.task);
      setTaskValues(choice.values);
    }
  }, [declared]);
  useEffect(pickDeclared, [pickDeclared]);

  const apply = useCallback((e: TrainEvent) => {
    if (curves.current.add(e)) setVersion((v) => v + 1);
    if (e.type === 'step') setLast(e.metrics);
    if (e.type === 'eval') setLastEval(e.report);
    setRun((r) => {
      if (!r) return r;
      switch (e.type) {
        case 'started':
          return { ...r, status: 'running', backend: e.backend, params: e.params, steps: e.steps };
        case 'step':
          return { ...r, step: e.metrics.step };
        case 'paused':
          return { ...r, status: 'paused' };
        case 'resumed':
          return { ...r, status: 'running' };
        case 'checkpoint':
          return { ...r, lastCheckpoint: e.path };
        case 'stopped':
          return {
            ...r,
            status: e.reason,
            step: e.step,
            lastCheckpoint: e.lastCheckpoint ?? r.lastCheckpoint,
          };
        case 'error':
          return {
            ...r,
            status: 'failed',
            message: e.message,
            lastCheckpoint: e.lastCheckpoint ?? r.lastCheckpoint,
          };
        default:
          return r;
      }
    });
    if (e.type === 'error') setError(explain(e.message));
    if (e.type === 'started') setNotice(e.notice ?? null);
  }, []);

  // Options, then re-attach to a run still training in the engine (the window was reloaded).
  useEffect(() => {
    let live = true;
    void (async () => {
      try {
        const [o, status] = await Promise.all([
          client.call('train.options', {}),
          client.call('train.status', {}),
        ]);
        if (!live) return;
        setOptions(o);
        if (status.run) {
          runId.current = status.run.runId;
          curves.current = new Curves();
          setLastEval(null);
          setRun(status.run);
          for (const e of status.events) apply(e);
          setRun(status.run);
          onActive();
        }
      } catch (e) {
        setError((e as Error).message);
      }
    })();
    return () => {
      live = false;
    };
  }, [client, apply, onActive]);

  useEffect(
    () =>
      client.onEvent((e) => {
        if (e.type === 'train.event' && e.runId === runId.current) apply(e.event);
      }),
    [client, apply],
  );

  const start = async () => {
    setError(null);
    try {
      let data: string | Record<string, unknown>;
      if (source === 'corpus') data = textCorpus ? textDataArg(corpus, textChoice) : corpus;
      else if (source === 'file') {
        if (!file.trim())
          throw new Error('Drop a text file here, choose one, or type its path in the workspace.');
        data = textFileSpec(file.trim(), textChoice);
      } else if (source === 'puzzle') {
        data = puzzleFileSpec(layout, puzzlePath, valuesOf(puzzleFields, puzzleValues));
      } else {
        const v = valuesOf(taskFields, taskValues);
        const pairs = Object.entries(v).map(([k, x]) => `${k}=${String(x)}`);
        data = pairs.length ? `${task}:${pairs.join(',')}` : task;
      }
      curves.current = new Curves();
      setVersion((x) => x + 1);
      setLast(null);
      setLastEval(null);
      const { runId: id, dir } = await client.call('train.start', {
        document: doc,
        data,
        config: valuesOf(configFields, config),
      });
      runId.current = id;
      setRun({
        runId: id,
        name: doc.name,
        status: 'starting',
        startedAt: new Date().toISOString(),
        step: 0,
        steps: Number(config.steps || configFields.find((f) => f.key === 'steps')?.default || 0),
        backend: null,
        data: typeof data === 'string' ? data : JSON.stringify(data),
        params: null,
        lastCheckpoint: null,
        message: null,
        dir,
      });
    } catch (e) {
      setError(explain((e as Error).message));
    }
  };

  const command = async (m: 'train.pause' | 'train.resume' | 'train.stop') => {
    if (!run) return;
    try {
      await client.call(m, { runId: run.runId });
    } catch (e) {
      setError((e as Error).message);
    }
  };

  const chosen = dataForTask(declared);
  const onDeclaredData =
    chosen?.source === source &&
    (chosen.source === 'corpus' ? chosen.corpus === corpus : chosen.task === task);
  const declaredFix = error ? declaredTaskFix(error, declared, onDeclaredData) : null;
  const c = curves.current;
  /** Corpora of plain text take a tokenizer choice (the masked-LM one has its own). */
  const textCorpus = options?.corpora.find((o) => o.id === corpus)?.tokenizer ?? false;
  const textData = source === 'file' || (source === 'corpus' && textCorpus);
  const active = run !== null && ACTIVE.has(run.status);
  const share = run && run.steps > 0 ? Math.min(1, run.step / run.steps) : 0;
  const backendLabel = run?.backend
    ? `${run.backend.startsWith('tensorflow-gpu') ? 'GPU' : 'CPU'} · ${run.backend}`
    : active
      ? 'starting…'
      : 'chosen when a run starts';

  return (
    <section className="train-panel" aria-label="Train" data-testid="train-panel">
      <div className="train-settings">
        <h3>Data</h3>
        <div className="segmented" role="radiogroup" aria-label="Data source">
          {(
            [
              ['corpus', 'Built-in corpus'],
              ['task', 'Generated task'],
              ['file', 'Text file'],
              ['puzzle', 'Puzzle files'],
            ] as const
          ).map(([k, label]) => (
            <button
              key={k}
              role="radio"
              aria-checked={source === k}
              className={source === k ? 'on' : ''}
              onClick={() => setSource(k)}
              disabled={active}
            >
              {label}
            </button>
          ))}
        </div>
        {source === 'corpus' ? (
          <select aria-label="Corpus" value={corpus} onChange={(e) => setCorpus(e.target.value)}>
            {(options?.corpora ?? []).map((o) => (
              <option key={o.id} value={o.id}>
                {o.label}
              </option>
            ))}
          </select>
        ) : null}
        {source === 'task' ? (
          <>
            <select aria-label="Task" value={task} onChange={(e) => setTask(e.target.value)}>
              {Object.keys(options?.tasks ?? {}).map((t) => (
                <option key={t}>{t}</option>
              ))}
            </select>
            <div className="fields">
              {taskFields.map((f) => (
                <FieldInput
                  key={f.key}
                  field={f}
                  prefix="task"
                  value={taskValues[f.key]}
                  onChange={(v) => setTaskValues((x) => ({ ...x, [f.key]: v }))}
                />
              ))}
            </div>
          </>
        ) : null}
        {source === 'file' ? (
          <TextFileInput
            client={client}
            nativeDialogs={nativeDialogs}
            path={file}
            file={fileInfo}
            onPath={setFile}
            onFile={(f) => {
              setFileInfo(f);
              setFile(f.path);
            }}
            onError={setError}
            disabled={active}
          />
        ) : null}
        {source === 'puzzle' ? (
          <PuzzleFileInput
            client={client}
            nativeDialogs={nativeDialogs}
            layouts={options?.puzzleFiles ?? []}
            layout={layout}
            path={puzzlePath}
            onLayout={(l) => {
              setLayout(l);
              setPuzzleValues({});
            }}
            onPath={setPuzzlePath}
            onError={setError}
            disabled={active}
          >
            {puzzleFields.map((f) => (
              <FieldInput
                key={f.key}
                field={f}
                prefix="puzzle"
                value={puzzleValues[f.key]}
                onChange={(v) => setPuzzleValues((x) => ({ ...x, [f.key]: v }))}
              />
            ))}
          </PuzzleFileInput>
        ) : null}
        {textData ? (
          <>
            <TokenizerFields choice={textChoice} onChange={setTextChoice} disabled={active} />
            <VocabHint
              doc={doc}
              needed={requiredVocab(
                textChoice,
                source === 'file' && fileInfo?.path === file ? fileInfo : null,
              )}
              exact={textChoice.tokenizer === 'bpe'}
              onSetDim={active ? undefined : onSetDim}
              onUseTask={active ? undefined : pickDeclared}
            />
          </>
        ) : null}
        <h3>Trainer</h3>
        <div className="fields">
          {configFields.map((f) => (
            <FieldInput
              key={f.key}
              field={f}
              prefix="train"
              value={config[f.key]}
              onChange={(v) => setConfig((x) => ({ ...x, [f.key]: v }))}
            />
          ))}
        </div>
      </div>
      <div className="train-main">
        <div className="train-bar">
          <div className="train-buttons">
            {active ? (
              <>
                {run.status === 'paused' ? (
                  <button className="primary" onClick={() => void command('train.resume')}>
                    Resume
                  </button>
                ) : (
                  <button
                    onClick={() => void command('train.pause')}
                    disabled={run.status !== 'running'}
                  >
                    Pause
                  </button>
                )}
                <button className="danger" onClick={() => void command('train.stop')}>
                  Stop
                </button>
              </>
            ) : (
              <button className="primary" onClick={() => void start()} disabled={!options}>
                ▶ Start training
              </button>
            )}
            <button onClick={onExport} disabled={active}>
              Export…
            </button>
            {onTry ? (
              <button onClick={onTry} disabled={active || !run?.lastCheckpoint}>
                Try it…
              </button>
            ) : null}
            {recursive && run?.lastCheckpoint && !active ? (
              <button onClick={onInsight} data-testid="train-insight">
                Recursion insight…
              </button>
            ) : null}
          </div>
          <div className="train-backend" data-testid="backend">
            <span className="stat-label">Backend</span> {backendLabel}
          </div>
          <div className="train-status" data-testid="run-status">
            {run
              ? `${run.status}${run.params ? ` · ${run.params.toLocaleString('en-US')} params` : ''}`
              : 'no run yet'}
          </div>
        </div>
        <div className="progress" data-testid="progress">
          <div className="progress-track">
            <div
              className={`progress-fill ${run?.status ?? ''}`}
              style={{ width: `${share * 100}%` }}
            />
          </div>
          <div className="progress-figures">
            <span data-testid="progress-step">
              step {run?.step ?? 0} / {run?.steps ?? 0}
            </span>
            <span data-testid="tokens-per-sec">
              {last
                ? `${Math.round(last.tokensPerSec).toLocaleString('en-US')} tokens/s`
                : '— tokens/s'}
            </span>
            <span data-testid="eta">
              ETA {last?.etaSec !== undefined && active ? formatEta(last.etaSec) : '—'}
            </span>
            <span>loss {last ? last.loss.toFixed(3) : '—'}</span>
          </div>
        </div>
        {lastEval ? <EvalSummary report={lastEval} /> : null}
        {error ? (
          <div className="train-error" role="alert" data-testid="train-error">
            {declaredFix ? declaredFix.text : error}
            {declaredFix && !active ? (
              <button onClick={pickDeclared} data-testid="use-declared-task">
                Use {declaredFix.task}
              </button>
            ) : null}
          </div>
        ) : null}
        {notice ? (
          <div className="train-notice" role="status" data-testid="backend-notice">
            {notice}
          </div>
        ) : null}
        <div className="charts">
          <LiveChart
            title="Loss"
            testId="chart-loss"
            version={version}
            data={[c.step, c.loss, c.valLoss]}
            series={[
              { label: 'train', color: '#7c9cff' },
              { label: 'validation', color: '#fbbf24', points: true },
            ]}
          />
          <LiveChart
            title="Accuracy"
            testId="chart-accuracy"
            version={version}
            data={[c.step, c.accuracy, c.valAccuracy]}
            series={[
              { label: 'train', color: '#34d399' },
              { label: 'validation', color: '#fbbf24', points: true },
            ]}
          />
          <LiveChart
            title="Learning rate"
            testId="chart-lr"
            version={version}
            data={[c.step, c.lr]}
            series={[{ label: 'lr', color: '#c084fc' }]}
          />
          <LiveChart
            title="Gradient norm"
            testId="chart-grad"
            version={version}
            data={[c.step, c.gradNorm]}
            series={[{ label: 'grad norm', color: '#f87171' }]}
          />
        </div>
      </div>
    </section>
  );
}
