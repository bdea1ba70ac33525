import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { appendFile, mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDataArg } from '../data/data-arg.ts';
import type { DataSpec } from '../data/spec.ts';
import { configFromDocument } from '../train/document-config.ts';
import { z } from 'zod';
import {
  AdditionSpec,
  ArcSpec,
  MazeCsvSpec,
  MazeSpec,
  parseDataSpec,
  Seq2SeqSpec,
  SequenceTaskSpec,
  SudokuCsvSpec,
  SudokuSpec,
} from '../data/spec.ts';
import { formatDiagnostic } from '../graph/diagnostics.ts';
import { graphDigest } from '../graph/digest.ts';
import { analyzeDocument } from '../graph/analyze.ts';
import { parseTrainConfig, TrainConfig } from '../train/config.ts';
import type { TrainEvent } from '../contract/events.ts';
import { TrainingSession, type RunSession } from '../train/session.ts';
import { PytorchSession } from '../pytorch/session.ts';
import { findTorchPython, torchMissing } from '../pytorch/python-env.ts';
import {
  RunSummary,
  startingRun,
  type ParsedParams,
  type RunDetail,
  type ServerEvent,
} from '../contract/api.ts';
import { confineTo } from '../io/confine.ts';
import { parseJsonText } from '../graph/json-text.ts';
import { confineDataSpec } from './data-paths.ts';
import { ServiceError } from './errors.ts';
import { writeAtomic } from './files.ts';
import { checkTrainingFits, estimateTrainingMemory } from '../train/preflight.ts';
import { writeError } from '../io/durable-write.ts';
import { newestIntact, resumeCommand } from '../io/checkpoint-integrity.ts';
import { emptyMetrics, foldMetrics, RunFold } from './run-metrics.ts';
import { deleteRunFolder, foldRunFile, readRunDetail } from './run-record.ts';

/**
 * Training runs owned by the service process (Electron main / web host), not the window:
 * a reloaded window asks `train.status` and re-attaches. Each run is a folder
 * `<workspace>/runs/<runId>/` holding the graph snapshot, the config and data spec, the
 * metrics as JSON lines, checkpoints and exports.
 */

interface LiveRun {
  summary: RunSummary;
  session: RunSession;
  events: TrainEvent[];
  /** Why the metrics file could not be appended to; the run was stopped. */
  metricsError?: string;
  /** Resolves once the worker exited and the final run.json is written. */
  settled?: Promise<void>;
  /** The memory preflight's estimate, held against the runs that start after it. */
  bytes: number;
}

/**
 * Training runs going at once: each takes the BLAS threads of a core or two, so more than two
 * on a small machine only slow each other down (and stack their memory). A core-rich machine
 * runs one more per four cores.
 */
export const MAX_RUNS = Math.max(2, Math.floor(availableParallelism() / 4));

const ACTIVE = ['starting', 'running', 'paused'];

/** Step events kept in memory per run for a re-attaching window (older ones stay on disk). */
const MAX_EVENTS = 20_000;

/** Trainer settings and data options as JSON Schema: the Train panel builds its form from them. */
export function trainOptions() {
  const json = (schema: z.ZodType) =>
    z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  const optionsOf = (schema: z.ZodObject) =>
    json(schema.omit({ type: true, validationSize: true } as never));
  return {
    config: json(TrainConfig),
    tasks: {
      copy: optionsOf(SequenceTaskSpec),
      reverse: optionsOf(SequenceTaskSpec),
      sort: optionsOf(SequenceTaskSpec),
      addition: optionsOf(AdditionSpec),
      seq2seq: optionsOf(Seq2SeqSpec),
      sudoku: optionsOf(SudokuSpec),
      maze: optionsOf(MazeSpec),
    },
    puzzleFiles: [
      {
        type: 'sudoku-csv',
        label: 'Sudoku CSV (Sudoku-Extreme)',
        folder: false,
        schema: SudokuCsvSpec,
      },
      { type: 'maze-csv', label: 'Maze CSV (Maze-Hard)', folder: false, schema: MazeCsvSpec },
      { type: 'arc', label: 'ARC-AGI task folder', folder: true, schema: ArcSpec },
    ].map(({ schema, ...layout }) => ({
      ...layout,
      options: json((schema as z.ZodObject).omit({ type: true, path: true } as never)),
    })),
    corpora: [
      // Plain text takes the Train panel's tokenizer choice (characters or BPE); the masked-LM
      // corpus has its own. `brown-bpe` stays a CLI shorthand.
      { id: 'brown', label: 'Brown corpus', tokenizer: true },
      { id: 'brown-mlm', label: 'Brown corpus (masked tokens)', tokenizer: false },
    ],
  };
}

let enginesProbe: ReturnType<typeof findTorchPython> | undefined;

/** The engines besides tfjs: the PyTorch interpreter found here (probed once), or why none. */
export async function trainEngines() {
  enginesProbe ??= findTorchPython();
  const p = await enginesProbe;
  return {
    pytorch: p.ok
      ? { ok: true as const, python: p.python, torch: p.torch, devices: p.devices }
      : { ok: false as const, reason: torchMissing(p) },
  };
}

function newRunId(): string {
  const t = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${t}-${randomBytes(3).toString('hex')}`;
}

export class RunManager {
  private readonly live = new Map<string, LiveRun>();
  /** Starts between their admission and their live entry, holding their slot and memory. */
  private readonly admitted = new Set<{ bytes: number }>();
  private latest: string | null = null;

  constructor(
    readonly workspace: string,
    private readonly emit: (event: ServerEvent) => void,
  ) {}

  get runsDir(): string {
    return join(this.workspace, 'runs');
  }

  runDir(runId: string): string {
    return join(this.runsDir, runId);
  }

  /**
   * A run's folder, or a file or folder in it, checked to lie in the workspace once links are
   * resolved: a run folder linked elsewhere is neither read nor written through.
   */
  async folder(runId: string, ...parts: string[]): Promise<string> {
    const path = join(this.runDir(runId), ...parts);
    if ((await confineTo(this.workspace, path)) === null) {
      throw new ServiceError(
        'outside-workspace',
        `Run ${runId}'s folder links outside the workspace (${this.workspace}); the app neither reads nor writes through such a link. Move the run into ${this.runsDir} or delete the link.`,
      );
    }
    return path;
  }

  /** Runs holding a slot and memory: the live ones still going, and starts under way. */
  private going(): { runId: string; bytes: number }[] {
    const live = [...this.live.values()].filter((r) => ACTIVE.includes(r.summary.status));
    return [
      ...live.map((r) => ({ runId: r.summary.runId, bytes: r.bytes })),
      ...[...this.admitted].map((a) => ({ runId: 'another run being started', bytes: a.bytes })),
    ];
  }

  /**
   * Takes a slot synchronously, before any await: checked after one, concurrent calls all saw
   * room. The caller gives it back once the run is live (or failed to start).
   */
  private admit(): { bytes: number } {
    const going = this.going();
    if (going.length >= MAX_RUNS) {
      throw new ServiceError(
        'busy',
        `${going.length} training runs are already going (${going.map((r) => r.runId).join(', ')}), the most this machine runs at once (${MAX_RUNS}: two, or one per four of its ${availableParallelism()} cores). Stop one or wait for it to finish, then start again.`,
      );
    }
    const slot = { bytes: 0 };
    this.admitted.add(slot);
    return slot;
  }

  async start(params: ParsedParams<'train.start'>) {
    const slot = this.admit();
    try {
      return await this.launch(params, slot);
    } finally {
      this.admitted.delete(slot);
    }
  }

  /** The checkpoint folder a fine-tuned run starts from, checked to exist in the workspace. */
  private async initSource(from: NonNullable<ParsedParams<'train.start'>['initFrom']>) {
    const folder = await this.folder(from.runId, 'checkpoints');
    const path = from.checkpoint ? join(folder, from.checkpoint) : folder;
    const marker = join(path, from.checkpoint ? 'checkpoint.json' : 'latest.json');
    if (!(await stat(marker).catch(() => null))) {
      throw new ServiceError(
        'no-such-run',
        from.checkpoint
          ? `Run ${from.runId} has no checkpoint ${from.checkpoint}; pick one of its checkpoints again.`
          : `Run ${from.runId} has no checkpoint to start from (it saved none); pick a run that did.`,
      );
    }
    return path;
  }

  private async launch(
    { document, data, config, initFrom, engine, processes }: ParsedParams<'train.start'>,
    slot: { bytes: number },
  ) {
    let spec: unknown;
    if (typeof data === 'string') {
      const text = data.trim();
      const isSpec = text.startsWith('{');
      // A bare file name is resolved in the workspace before the shorthand parser sees it.
      const looksLikeFile = !isSpec && /[./\\]/.test(text.split(':')[0] ?? '');
      try {
        spec = looksLikeFile ? { type: 'text', path: text } : parseDataArg(text, document);
      } catch (e) {
        throw new ServiceError('bad-data', (e as Error).message.replace(/--data/g, 'The data'));
      }
    } else {
      spec = structuredClone(data);
    }
    await confineDataSpec(spec, this.workspace);
    if (typeof spec === 'object' && spec !== null) {
      const s = spec as Record<string, unknown>;
      const T = document.dims?.T;
      if (
        (s.type === 'text' || s.type === 'corpus') &&
        s.length === undefined &&
        typeof T === 'number'
      )
        s.length = T;
    }
    let merged: Record<string, unknown>;
    let parsedConfig: TrainConfig;
    try {
      merged = { ...configFromDocument(document), ...config };
      parsedConfig = parseTrainConfig(merged);
    } catch (e) {
      throw new ServiceError('bad-config', (e as Error).message);
    }
    try {
      parseDataSpec(spec);
    } catch (e) {
      throw new ServiceError('bad-data', (e as Error).message);
    }
    if (engine === 'pytorch') {
      if (initFrom)
        throw new ServiceError(
          'bad-config',
          'The PyTorch engine does not start from an earlier run yet; train this one with tfjs, or clear "Start from".',
        );
      const engines = await trainEngines();
      if (!engines.pytorch.ok) throw new ServiceError('bad-config', engines.pytorch.reason);
    }
    const initPath = initFrom ? await this.initSource(initFrom) : undefined;
    const analysis = analyzeDocument(document);
    const problem = analysis.diagnostics.find((d) => d.severity === 'error');
    if (problem) {
      throw new ServiceError(
        'invalid-document',
        `The graph cannot be trained: ${formatDiagnostic(problem)} Fix it, then start again.`,
      );
    }
    const length = (spec as { length?: unknown } | null)?.length;
    const estimate = estimateTrainingMemory(document, parsedConfig.batch, {
      ema: parsedConfig.ema > 0,
      ...(typeof length === 'number' ? { context: length } : {}),
    });
    // No await between the check and the reservation: a concurrent start sees this memory held.
    // (A PyTorch run's memory is its own process's, often a GPU's: tfjs's estimate says nothing.)
    if (engine === 'tfjs') {
      checkTrainingFits(estimate, parsedConfig.batch, {
        backend: parsedConfig.backend,
        going: this.going().filter((r) => r.bytes > 0),
      });
      slot.bytes = estimate.total;
    }
    const runId = newRunId();
    const dir = this.runDir(runId);
    try {
      await mkdir(join(dir, 'checkpoints'), { recursive: true });
    } catch (e) {
      throw new ServiceError('write-failed', writeError(e, dir, 'the run folder').message);
    }
    await writeAtomic(join(dir, 'graph.json'), `${JSON.stringify(document, null, 2)}\n`);
    await writeAtomic(
      join(dir, 'config.json'),
      `${JSON.stringify({ config: merged, data: spec, ...(initFrom ? { initFrom } : {}) }, null, 2)}\n`,
    );
    const summary: RunSummary = {
      ...startingRun({
        runId,
        name: document.name,
        steps: parseTrainConfig(merged).steps,
        data,
        dir,
      }),
      graphDigest: graphDigest(document),
      metrics: emptyMetrics(),
    };
    await this.saveSummary(summary);
    const metricsFile = join(dir, 'metrics.jsonl');
    let writes = Promise.resolve();
    const onEvent = (e: TrainEvent) => {
      this.apply(run, e);
      if (run.events.length >= MAX_EVENTS) run.events.splice(0, run.events.length / 2);
      run.events.push(e);
      writes = writes
        .then(() => appendFile(metricsFile, `${JSON.stringify(e)}\n`))
        .catch((err: unknown) => {
          // A run whose record cannot be written (a full disk) stops at once: training on
          // would lose its curve, and its next checkpoint would fail on the same disk.
          if (run.metricsError) return;
          run.metricsError = `${writeError(err, metricsFile, "the run's metrics").message.replace(/ Nothing there was changed;.*$/, '')} The run was stopped to keep its record whole; free space, then resume from the last checkpoint.`;
          run.session.stop();
        });
      this.emit({ type: 'train.event', runId, event: e });
    };
    const session: RunSession =
      engine === 'pytorch'
        ? new PytorchSession(
            { document, data: spec as DataSpec, config: merged, dir, processes },
            onEvent,
          )
        : new TrainingSession(
            {
              document,
              data: spec,
              config: merged,
              outDir: join(dir, 'checkpoints'),
              ...(initFrom && initPath
                ? {
                    initFrom: {
                      path: initPath,
                      resizeEmbedding: initFrom.resizeEmbedding,
                      label: initFrom.runId,
                    },
                  }
                : {}),
            },
            onEvent,
          );
    const run: LiveRun = { summary, bytes: slot.bytes, events: [], session };
    this.live.set(runId, run);
    this.latest = runId;
    run.settled = run.session.done.then(async () => {
      await writes;
      if (run.metricsError) {
        run.summary.status = 'failed';
        run.summary.message = run.metricsError;
        const event: TrainEvent = {
          type: 'error',
          message: run.metricsError,
          step: run.summary.step,
          ...(run.summary.lastCheckpoint ? { lastCheckpoint: run.summary.lastCheckpoint } : {}),
        };
        run.events.push(event);
        this.emit({ type: 'train.event', runId, event });
      }
      if (run.summary.status === 'running' || run.summary.status === 'starting') {
        run.summary.status = 'failed';
        run.summary.message ??= 'The training worker ended without saying why; start again.';
      }
      await this.saveSummary(run.summary);
    });
    return { runId, dir };
  }

  private apply(run: LiveRun, e: TrainEvent): void {
    const s = run.summary;
    foldMetrics((s.metrics ??= emptyMetrics()), e);
    switch (e.type) {
      case 'started':
        Object.assign(s, {
          status: 'running',
          backend: e.backend,
          params: e.params,
          ...(e.trainableParams !== undefined ? { trainableParams: e.trainableParams } : {}),
          ...(e.frozenParams !== undefined ? { frozenParams: e.frozenParams } : {}),
          steps: e.steps,
        });
        if (e.initFrom) {
          s.initFrom = {
            run: e.initFrom.run,
            step: e.initFrom.step,
            mapped: e.initFrom.mapped.length + e.initFrom.resized.length,
            initialised: e.initFrom.initialised.length,
          };
        }
        void this.saveSummary(s);
        return;
      case 'step':
        s.step = e.metrics.step;
        return;
      case 'checkpoint':
        // run.json follows every checkpoint, so a host killed mid-run leaves a record that
        // names what can be resumed.
        Object.assign(s, { lastCheckpoint: e.path, step: e.step });
        void this.saveSummary(s);
        return;
      case 'paused':
        s.status = 'paused';
        return;
      case 'resumed':
        s.status = 'running';
        return;
      case 'stopped':
        Object.assign(s, { status: e.reason, step: e.step });
        if (e.lastCheckpoint) s.lastCheckpoint = e.lastCheckpoint;
        return;
      case 'error':
        Object.assign(s, { status: 'failed', message: e.message });
        if (e.lastCheckpoint) s.lastCheckpoint = e.lastCheckpoint;
        return;
      case 'eval':
        return;
    }
  }

  /**
   * Record a run's summary in its folder. A failure (full disk) must not take the host down
   * from a fire-and-forget call: the run keeps its state in memory and says why it is stale.
   */
  /** run.json writes in flight (shutdown waits for them). */
  private readonly saving = new Set<Promise<void>>();

  private saveSummary(s: RunSummary): Promise<void> {
    const write = writeAtomic(
      join(s.dir, 'run.json'),
      `${JSON.stringify(s, null, 2)}\n`,
      'run.json',
    ).catch((e: unknown) => {
      s.message ??= (e as Error).message;
    });
    this.saving.add(write);
    return write.finally(() => this.saving.delete(write));
  }

  private liveRun(runId: string): LiveRun {
    const run = this.live.get(runId);
    if (!run || ['completed', 'stopped', 'failed'].includes(run.summary.status)) {
      throw new ServiceError(
        'no-such-run',
        `Run ${runId} is not training any more; start a new run from the Train panel.`,
      );
    }
    return run;
  }

  control(runId: string, command: 'pause' | 'resume' | 'stop'): RunSummary {
    const run = this.liveRun(runId);
    run.session[command]();
    return { ...run.summary };
  }

  /** The run a window should show: the one asked for, else the latest one still training. */
  status(runId?: string): { run: RunSummary | null; events: TrainEvent[] } {
    const id = runId ?? this.latest;
    const run = id ? this.live.get(id) : undefined;
    if (!run) return { run: null, events: [] };
    if (runId === undefined && !['starting', 'running', 'paused'].includes(run.summary.status))
      return { run: null, events: [] };
    return { run: { ...run.summary }, events: [...run.events] };
  }

  async list(): Promise<RunSummary[]> {
    let names: string[];
    try {
      names = await readdir(this.runsDir);
    } catch {
      return [];
    }
    const out: RunSummary[] = [];
    for (const name of names) {
      const live = this.live.get(name);
      if (live) {
        out.push({ ...live.summary });
        continue;
      }
      try {
        const parsed = RunSummary.safeParse(
          parseJsonText(await readFile(await this.folder(name, 'run.json'), 'utf8')),
        );
        if (!parsed.success) continue;
        // The folder the run is in, not the one its record names (a planted run.json could name any).
        parsed.data.dir = this.runDir(name);
        await interrupted(parsed.data);
        // Runs recorded before run.json kept figures: read them from the metrics (curves capped small).
        parsed.data.metrics ??= (await foldRunFile(parsed.data.dir, new RunFold(2))).metrics;
        out.push(parsed.data);
      } catch {
        // A folder that is not a run (or a damaged one) is left out.
      }
    }
    return out.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  }

  /** A run's summary: the live one while it is held here, else its run.json. */
  private async summaryOf(runId: string): Promise<RunSummary> {
    const live = this.live.get(runId);
    if (live) return structuredClone(live.summary);
    const parsed = RunSummary.safeParse(
      await readFile(await this.folder(runId, 'run.json'), 'utf8')
        .then(parseJsonText)
        .catch(() => null),
    );
    if (!parsed.success) {
      throw new ServiceError(
        'no-such-run',
        `There is no readable run ${runId} in ${this.runsDir}; refresh the runs list and pick one again.`,
      );
    }
    parsed.data.dir = this.runDir(runId);
    return interrupted(parsed.data);
  }

  /** Runs comparison: one run in full (files are read from the run's own folder). */
  async get(runId: string): Promise<RunDetail> {
    const summary = await this.summaryOf(runId);
    return readRunDetail(await this.folder(runId), summary);
  }

  /** Runs comparison: delete a finished run's folder; a run still training is refused. */
  async remove(runId: string): Promise<{ deleted: string }> {
    const live = this.live.get(runId);
    if (live && ['starting', 'running', 'paused'].includes(live.summary.status)) {
      throw new ServiceError(
        'run-active',
        `Run ${runId} is still training; stop it in the Train panel first, then delete it.`,
      );
    }
    // A run that just ended still writes its final run.json: let it, or it would recreate the folder.
    await live?.settled?.catch(() => undefined);
    await deleteRunFolder(this.runsDir, runId);
    this.live.delete(runId);
    if (this.latest === runId) this.latest = null;
    return { deleted: runId };
  }

  async graphOf(runId: string): Promise<unknown> {
    const file = await this.folder(runId, 'graph.json');
    try {
      return parseJsonText(await readFile(file, 'utf8'));
    } catch {
      throw new ServiceError(
        'no-such-run',
        `There is no run ${runId} in ${this.runsDir}; pick one from the runs list.`,
      );
    }
  }

  /**
   * Stop every worker, then wait for what their ends write (the final run.json, the metrics),
   * so nothing is written into a workspace after the host said it closed.
   */
  async shutdown(): Promise<void> {
    for (const run of this.live.values()) await run.session.terminate();
    await Promise.all([...this.live.values()].map((r) => r.settled?.catch(() => undefined)));
    await Promise.all([...this.saving]);
  }
}

/**
 * A run.json that says "running" for a run this process does not hold was left by an app that
 * ended mid-run (a crash, a kill, a power cut): show it as failed, with the way on. Its record
 * may lag the disk (or name a checkpoint damaged since), so the newest intact checkpoint in the
 * run's checkpoints folder is what it reports.
 */
async function interrupted(s: RunSummary): Promise<RunSummary> {
  if (s.status !== 'starting' && s.status !== 'running' && s.status !== 'paused') return s;
  const was = s.status === 'paused' ? 'paused' : 'training';
  const folder = join(s.dir, 'checkpoints');
  const last = await newestIntact(folder);
  s.status = 'failed';
  s.lastCheckpoint = last?.dir ?? null;
  s.step = Math.max(s.step, last?.step ?? 0);
  s.message =
    `The app ended while this run was ${was} (step ${s.step} of ${s.steps}). ` +
    (last
      ? `Its last checkpoint ${last.dir} (step ${last.step}) keeps the weights: continue with \`${resumeCommand(folder)}\`.`
      : 'It wrote no checkpoint; start it again.');
  return s;
}
