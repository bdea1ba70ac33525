import { Worker, type ResourceLimits } from 'node:worker_threads';
import { TrainEvent, type TrainCommand, type TrainRequest } from '../contract/events.ts';
import { explainFailure } from '../runtime/failures.ts';

/**
 * The worker is TypeScript like the rest of the engine. Node 20 loads a worker's entry file
 * before `--import tsx` hooks apply ("Unknown file extension .ts"), so a one-line bootstrap
 * registers tsx in the thread first and then imports the entry.
 */
function bootstrap(): string {
  // A bundled host (Electron's main.mjs) is not next to worker.ts; it names the file instead.
  const worker = process.env.TRM_TRAIN_WORKER ?? new URL('./worker.ts', import.meta.url).href;
  return `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})
  .then((tsx) => { tsx.register(); return import(${JSON.stringify(worker)}); })`;
}

export type SessionOutcome =
  | { status: 'completed' | 'stopped'; step: number; lastCheckpoint?: string }
  | { status: 'failed'; step: number; message: string; lastCheckpoint?: string };

/** A training run as its host drives it, whichever engine trains it. */
export interface RunSession {
  readonly done: Promise<SessionOutcome>;
  pause(): void;
  resume(): void;
  /** Stop after the current step, writing a checkpoint first. */
  stop(): void;
  /** End it at once (no checkpoint). */
  terminate(): Promise<void>;
}

/**
 * A training run in a worker thread: the host (Electron main process, web host, CLI) keeps
 * its event loop; events arrive validated; pause / resume / stop are messages.
 */
export class TrainingSession implements RunSession {
  /** Settles when the run ends (completed, stopped, failed or the worker died). */
  readonly done: Promise<SessionOutcome>;
  private readonly worker: Worker;

  constructor(
    request: TrainRequest,
    onEvent: (e: TrainEvent) => void,
    /** Heap limits for the worker (tests use them to provoke an out-of-memory). */
    resourceLimits?: ResourceLimits,
  ) {
    this.worker = new Worker(bootstrap(), {
      eval: true,
      ...(resourceLimits ? { resourceLimits } : {}),
    });
    this.done = new Promise<SessionOutcome>((resolve) => {
      let outcome: SessionOutcome | undefined;
      let lastStep = 0;
      this.worker.on('message', (raw: unknown) => {
        const parsed = TrainEvent.safeParse(raw);
        const e: TrainEvent = parsed.success
          ? parsed.data
          : {
              type: 'error',
              message: `The trainer sent a malformed event: ${parsed.error.issues[0]!.message}.`,
              step: lastStep,
            };
        if (e.type === 'step') lastStep = e.metrics.step;
        if (e.type === 'stopped') {
          outcome = {
            status: e.reason,
            step: e.step,
            ...(e.lastCheckpoint ? { lastCheckpoint: e.lastCheckpoint } : {}),
          };
        }
        if (e.type === 'error') {
          outcome = {
            status: 'failed',
            step: e.step,
            message: e.message,
            ...(e.lastCheckpoint ? { lastCheckpoint: e.lastCheckpoint } : {}),
          };
        }
        onEvent(e);
      });
      this.worker.on('error', (err) => {
        const code = (err as NodeJS.ErrnoException).code ?? '';
        const batch = (request.config as { batch?: unknown } | undefined)?.batch;
        const message = explainFailure(`The training worker crashed: ${code} ${err.message}`, {
          ...(typeof batch === 'number' ? { batch } : {}),
          step: lastStep,
        });
        outcome ??= { status: 'failed', step: lastStep, message };
        onEvent({ type: 'error', message, step: lastStep });
      });
      this.worker.on('exit', (code) => {
        resolve(
          outcome ?? {
            status: 'failed',
            step: lastStep,
            message: `The training worker exited (code ${code}) without finishing; resume from the last checkpoint.`,
          },
        );
      });
    });
    this.worker.postMessage({ type: 'start', request });
  }

  private send(c: TrainCommand): void {
    this.worker.postMessage(c);
  }

  pause(): void {
    this.send({ type: 'pause' });
  }

  resume(): void {
    this.send({ type: 'resume' });
  }

  /** Ask the run to stop after the current step; it writes a checkpoint first. */
  stop(): void {
    this.send({ type: 'stop' });
  }

  /** Kill the worker at once (no checkpoint). */
  async terminate(): Promise<void> {
    await this.worker.terminate();
  }
}
