import { useCallback, useEffect, useRef, useState } from 'react';
import type { GraphDocument } from '../../../engine/graph/schema.ts';
import type { Params, Result, RunSummary, TrainEvent } from '../../../engine/contract/api.ts';
import { startingRun } from '../../../engine/contract/api.ts';
import type { ApiClient } from '../api-client.ts';
import { Curves } from './train-curves.ts';

export type TrainOptions = Result<'train.options'>;
export type StepMetrics = Extract<TrainEvent, { type: 'step' }>['metrics'];
export type EvalReport = Extract<TrainEvent, { type: 'eval' }>['report'];
export type InitFromReport = NonNullable<Extract<TrainEvent, { type: 'started' }>['initFrom']>;

const ACTIVE = new Set(['starting', 'running', 'paused']);

/** What a new run is started with. */
export interface RunRequest {
  /** The data argument; throws a sentence naming the fix when the choice is incomplete. */
  data: () => string | Record<string, unknown>;
  /** The trainer settings; throws a sentence naming the setting when one is malformed. */
  config: () => Record<string, unknown>;
  /** The step count shown until the run reports its own. */
  steps: number;
  /** Fine-tune: the earlier run (and checkpoint) whose weights the run starts from. */
  initFrom?: Params<'train.start'>['initFrom'];
  /** PyTorch instead of tfjs, with this many processes. */
  engine?: 'tfjs' | 'pytorch';
  processes?: number;
}

/** A failure as a sentence and the next step. */
function explain(message: string): string {
  if (/nan|diverg|infinit/i.test(message) && !/lower the learning rate/i.test(message))
    return `${message} Lower the learning rate (lr) or turn gradient clipping on (clipNorm), then start again.`;
  return message;
}

/** The run's summary after one of its events. */
function advance(r: RunSummary, e: TrainEvent): RunSummary {
  switch (e.type) {
    case 'started':
      return {
        ...r,
        status: 'running',
        backend: e.backend,
        params: e.params,
        ...(e.trainableParams !== undefined ? { trainableParams: e.trainableParams } : {}),
        ...(e.frozenParams !== undefined ? { frozenParams: e.frozenParams } : {}),
        steps: e.steps,
        ...(e.initFrom
          ? {
              initFrom: {
                run: e.initFrom.run,
                step: e.initFrom.step,
                mapped: e.initFrom.mapped.length + e.initFrom.resized.length,
                initialised: e.initFrom.initialised.length,
              },
            }
          : {}),
      };
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
    case 'eval':
      return r;
  }
}

/**
 * The trainer's options and the one run the Train panel follows: started here, or found still
 * training in the engine after the window reloaded (then `onActive` shows the panel). Its
 * events become the summary, the latest figures and the curves.
 */
export function useTrainRun(client: ApiClient, onActive: () => void) {
  const [options, setOptions] = useState<TrainOptions | null>(null);
  const [run, setRun] = useState<RunSummary | null>(null);
  const [last, setLast] = useState<StepMetrics | null>(null);
  /** The latest held-out evaluation, shown in words beside the charts. */
  const [lastEval, setLastEval] = useState<EvalReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  /** Why a faster backend was not used (a GPU package without its driver). */
  const [notice, setNotice] = useState<string | null>(null);
  const [info, setInfo] = useState<string | null>(null);
  /** A fine-tuned run: what its weights took from the earlier run, and what started afresh. */
  const [initReport, setInitReport] = useState<InitFromReport | null>(null);
  /** Moves whenever the curves take a point: the charts redraw on it. */
  const [version, setVersion] = useState(0);
  const curves = useRef(new Curves());
  const runId = useRef<string | null>(null);

  const apply = useCallback((e: TrainEvent) => {
    if (curves.current.add(e)) setVersion((v) => v + 1);
    if (e.type === 'step') setLast(e.metrics);
    if (e.type === 'eval') setLastEval(e.report);
    setRun((r) => r && advance(r, e));
    if (e.type === 'error') setError(explain(e.message));
    if (e.type === 'started') {
      setNotice(e.notice ?? null);
      setInfo(e.info ?? null);
      setInitReport(e.initFrom ?? null);
    }
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

  const start = async (doc: GraphDocument, request: RunRequest) => {
    setError(null);
    try {
      const data = request.data();
      curves.current = new Curves();
      setVersion((x) => x + 1);
      setLast(null);
      setLastEval(null);
      setInitReport(null);
      const { runId: id, dir } = await client.call('train.start', {
        document: doc,
        data,
        config: request.config(),
        ...(request.initFrom ? { initFrom: request.initFrom } : {}),
        ...(request.engine ? { engine: request.engine } : {}),
        ...(request.processes ? { processes: request.processes } : {}),
      });
      runId.current = id;
      setRun(startingRun({ runId: id, name: doc.name, steps: request.steps, data, dir }));
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

  return {
    options,
    run,
    /** Starting, running or paused: the settings wait until it ends. */
    active: run !== null && ACTIVE.has(run.status),
    last,
    lastEval,
    error,
    setError,
    notice,
    info,
    initReport,
    curves: curves.current,
    version,
    start,
    command,
  };
}
