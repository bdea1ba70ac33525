import { join } from 'node:path';
import type { InsightModel } from '../infer/insight.ts';
import type { DepthSweep, ExampleTrace, ParsedParams, ServerEvent } from '../contract/api.ts';
import { CheckpointPointerError, resolveCheckpointDir } from '../io/checkpoint-files.ts';
import { confineRecorded } from './data-paths.ts';
import { ServiceError } from './errors.ts';
import type { RunManager } from './runs.ts';

/**
 * `insight.*`: recursion insight over a run's checkpoint, in the host process (like export).
 * Jobs run one at a time so two windows cannot double the memory or fight over the cached
 * model; the last opened checkpoint stays loaded, since a person scrubs several examples
 * of one run in a row.
 */
export class InsightJobs {
  private queue: Promise<unknown> = Promise.resolve();
  private cached: { dir: string; model: InsightModel } | undefined;
  private readonly running = new Map<string, AbortController>();

  constructor(
    private readonly runs: RunManager,
    private readonly emit: (event: ServerEvent) => void,
  ) {}

  /** Runs `work` after every earlier job, whatever became of them. */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async model(runId: string, checkpoint: string | undefined): Promise<InsightModel> {
    await this.runs.graphOf(runId);
    const folder = await this.runs.folder(runId, 'checkpoints');
    let dir: string;
    try {
      dir = await resolveCheckpointDir(checkpoint ? join(folder, checkpoint) : folder);
    } catch (e) {
      if (e instanceof CheckpointPointerError) {
        throw new ServiceError('no-checkpoint', `Run ${runId}'s latest.json ${e.problem}`);
      }
      throw new ServiceError(
        'no-checkpoint',
        checkpoint
          ? `Run ${runId} has no checkpoint ${checkpoint}; pick one of its saved steps.`
          : `Run ${runId} has no checkpoint yet; stop it (which writes one) or wait for the first checkpoint.`,
      );
    }
    if (this.cached?.dir === dir) return this.cached.model;
    this.drop();
    const { openInsight } = await import('../infer/insight.ts');
    try {
      const confineData = confineRecorded(this.runs.workspace, `Run ${runId}'s checkpoint`);
      this.cached = { dir, model: await openInsight(dir, { confineData }) };
    } catch (e) {
      if (e instanceof ServiceError) throw e;
      throw new ServiceError('insight-failed', (e as Error).message);
    }
    return this.cached.model;
  }

  depth(params: ParsedParams<'insight.depth'>): Promise<DepthSweep> {
    const { jobId } = params;
    if (jobId !== undefined && this.running.has(jobId))
      throw new ServiceError('busy', `Insight job ${jobId} is already running; wait for it.`);
    const abort = new AbortController();
    if (jobId !== undefined) this.running.set(jobId, abort);
    return this.serial(async () => {
      try {
        const m = await this.model(params.runId, params.checkpoint);
        const { depthSweep, InsightCancelled } = await import('../infer/insight.ts');
        try {
          return await depthSweep(m, {
            ...(params.examples !== undefined ? { examples: params.examples } : {}),
            ...(params.maxDepth !== undefined ? { maxDepth: params.maxDepth } : {}),
            signal: abort.signal,
            onProgress: (done, total) => {
              if (jobId !== undefined) this.emit({ type: 'insight.progress', jobId, done, total });
            },
          });
        } catch (e) {
          if (e instanceof InsightCancelled) throw new ServiceError('cancelled', e.message);
          throw new ServiceError('insight-failed', (e as Error).message);
        }
      } finally {
        if (jobId !== undefined) this.running.delete(jobId);
      }
    });
  }

  example(params: ParsedParams<'insight.example'>): Promise<ExampleTrace> {
    if (params.index !== undefined && params.input !== undefined) {
      throw new ServiceError(
        'bad-params',
        'Give either a held-out example index or an input, not both.',
      );
    }
    return this.serial(async () => {
      const m = await this.model(params.runId, params.checkpoint);
      const { exampleTrace } = await import('../infer/insight-example.ts');
      try {
        return await exampleTrace(m, {
          ...(params.index !== undefined ? { index: params.index } : {}),
          ...(params.input !== undefined ? { input: params.input } : {}),
          ...(params.maxDepth !== undefined ? { maxDepth: params.maxDepth } : {}),
          ...(params.topK !== undefined ? { topK: params.topK } : {}),
        });
      } catch (e) {
        throw new ServiceError('insight-failed', (e as Error).message);
      }
    });
  }

  cancel(jobId: string): { cancelled: boolean } {
    const job = this.running.get(jobId);
    job?.abort();
    return { cancelled: job !== undefined };
  }

  private drop(): void {
    this.cached?.model.dispose();
    this.cached = undefined;
  }

  /** Host shutdown: cancel what runs, then free the cached model. */
  async close(): Promise<void> {
    for (const job of this.running.values()) job.abort();
    await this.serial(async () => this.drop());
  }
}
