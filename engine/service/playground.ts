import { stat } from 'node:fs/promises';
import { listExportModels } from './export-files.ts';
import { join, relative } from 'node:path';
import { ModelCache, type Lease } from '../infer/model-cache.ts';
import type { SamplingConfig } from '../contract/sampling.ts';
import type { GenerateOptions, NextLogits } from '../infer/generate.ts';
import type {
  GenerationSettings,
  InferSource,
  ParsedParams,
  PlaygroundSources,
  Result,
  ServerEvent,
  SolveResult,
} from '../contract/api.ts';
import { CheckpointPointerError, resolveCheckpointDir } from '../io/checkpoint-files.ts';
import { confineTo } from '../io/confine.ts';
import { confineRecorded } from './data-paths.ts';
import { ServiceError } from './errors.ts';
import type { FilePolicy } from './files.ts';
import { describeModel, type PlaygroundModel } from './playground-model.ts';
import type { RunManager } from './runs.ts';

/**
 * The playground's engine side: finds models to try, keeps the last few loaded (LRU), streams
 * generated text as events and solves puzzles step by step. Generation runs on the host's
 * event loop, so it yields between tokens and stops when cancelled.
 */

/** Generations running at once; more is a runaway client, not a person trying prompts. */
const MAX_LIVE = 4;
const MODELS_KEPT = 2;

/** Decoding settings as the playground shows them → the decoder's config. */
export function samplingConfig(s: GenerationSettings): SamplingConfig {
  const greedy = { temperature: 0, topK: 0, topP: 1, beams: 1 };
  const common = { maxNewTokens: s.maxTokens, seed: s.seed };
  switch (s.strategy) {
    case 'greedy':
      return { ...greedy, ...common };
    case 'beam':
      return { ...greedy, beams: s.beamWidth, ...common };
    case 'sample':
      return { temperature: s.temperature, topK: s.topK, topP: s.topP, beams: 1, ...common };
  }
}

const yieldToEventLoop = () => new Promise<void>((r) => setImmediate(r));

/** A prompt checked and turned into tokens, and how to decode from it and show the tokens. */
interface DecodingJob {
  promptTokens: number;
  run(cfg: SamplingConfig, opts: Pick<GenerateOptions, 'onToken' | 'signal'>): Promise<unknown>;
  decode(tokens: readonly number[]): string;
}

/**
 * A language model continues the prompt; an encoder–decoder translates it as a source (its
 * digits, the target written until its end token). A prompt the model cannot read is refused
 * with the engine's sentence.
 */
async function decodingJob(m: PlaygroundModel, prompt: string): Promise<DecodingJob> {
  const { model } = m;
  // A tfjs forward pass returns synchronously: yield so other requests get a turn.
  const yielding =
    (forward: NextLogits): NextLogits =>
    async (seqs) => {
      await yieldToEventLoop();
      return forward(seqs);
    };
  if (m.info.kind === 'seq2seq') {
    const { decodeTarget, encodeSource, seq2seqLayoutOf, translate } =
      await import('../infer/seq2seq.ts');
    const layout = seq2seqLayoutOf(model.dataSpec)!;
    let source: number[];
    try {
      source = encodeSource(prompt, layout);
    } catch (e) {
      throw new ServiceError('bad-prompt', (e as Error).message);
    }
    return {
      promptTokens: source.length,
      run: (cfg, opts) => translate(yielding(model.next()), layout, source, cfg, opts),
      decode: decodeTarget,
    };
  }
  if (m.info.kind !== 'lm') {
    throw new ServiceError(
      'not-a-language-model',
      `${m.info.name} solves puzzles (${m.info.task ?? 'a per-cell task'}); it does not generate text. Pick a language model, or solve a puzzle with this one.`,
    );
  }
  const tokenizer = m.tokenizer!;
  if (tokenizer.kind === 'char') {
    const known = new Set(tokenizer.describe().vocab ?? []);
    const unknown = [...new Set([...prompt].filter((ch) => !known.has(ch)))];
    if (unknown.length > 0) {
      throw new ServiceError(
        'bad-prompt',
        `The prompt has characters the model never saw in training: ${unknown.map((c) => JSON.stringify(c)).join(', ')}. Remove or replace them.`,
      );
    }
  }
  const ids = Array.from(await tokenizer.encode(prompt));
  if (ids.length === 0)
    throw new ServiceError('bad-prompt', 'The prompt is empty; type some text first.');
  return {
    promptTokens: ids.length,
    run: async (cfg, opts) => {
      const { generate } = await import('../infer/generate.ts');
      const forward = model.cachedNext?.() ?? model.next();
      return generate(yielding(forward), ids, cfg, { ...opts, contextLength: model.contextLength });
    },
    decode: (tokens) => tokenizer.decode(tokens),
  };
}

export class Playground {
  private readonly cache = new ModelCache<PlaygroundModel>(MODELS_KEPT);
  private readonly live = new Map<string, AbortController>();
  private counter = 0;

  private readonly workspace: string;

  constructor(
    private readonly runs: RunManager,
    private readonly policy: FilePolicy,
    private readonly emit: (event: ServerEvent) => void,
  ) {
    this.workspace = policy.workspace;
  }

  async sources(): Promise<PlaygroundSources> {
    const runs = (await this.runs.list())
      .filter((r) => r.lastCheckpoint !== null)
      .map(({ runId, name, status, step, data }) => ({ runId, name, status, step, data }));
    const folders = [this.workspace, join(this.workspace, 'exports')];
    for (const r of runs) folders.push(join(this.runs.runDir(r.runId), 'exports'));
    const onnx: PlaygroundSources['onnx'] = [];
    for (const folder of folders) {
      // An exports folder linked elsewhere is not listed: its files are not the workspace's.
      if ((await confineTo(this.workspace, folder)) === null) continue;
      for (const name of await listExportModels(folder)) {
        const path = join(folder, name);
        // A file removed since the listing is simply not offered.
        const info = await stat(path).catch(() => null);
        if (info?.isFile())
          onnx.push({
            path,
            name: relative(this.workspace, path),
            modified: info.mtime.toISOString(),
          });
      }
    }
    onnx.sort((a, b) => b.modified.localeCompare(a.modified));
    return { runs, onnx };
  }

  /** The file or folder a source names, checked to exist inside the workspace. */
  private async locate(source: InferSource): Promise<string> {
    if ('onnxPath' in source) {
      const outside = new ServiceError(
        'bad-source',
        `"${source.onnxPath}" is not an ONNX export in the workspace (${this.workspace}); export the model there and pick it from the list.`,
      );
      if (!source.onnxPath.endsWith('.onnx')) throw outside;
      // The workspace's own path policy (links resolved, control characters refused), with
      // the playground's sentences.
      try {
        return await this.policy.workspaceFile(source.onnxPath);
      } catch (e) {
        if (e instanceof ServiceError && e.code === 'read-failed') {
          throw new ServiceError(
            'bad-source',
            `"${source.onnxPath}" does not exist; export the model again or pick another file.`,
          );
        }
        throw outside;
      }
    }
    const folder = await this.runs.folder(source.runId, 'checkpoints');
    try {
      return await resolveCheckpointDir(
        source.checkpoint ? join(folder, source.checkpoint) : folder,
      );
    } catch (e) {
      if (e instanceof CheckpointPointerError) {
        throw new ServiceError('no-checkpoint', `Run ${source.runId}'s latest.json ${e.problem}`);
      }
      throw new ServiceError(
        'no-checkpoint',
        `Run ${source.runId} has no ${source.checkpoint ?? 'checkpoint'} yet; stop it (which writes one) or wait for its first checkpoint, then try it.`,
      );
    }
  }

  private async acquire(source: InferSource): Promise<Lease<PlaygroundModel>> {
    const path = await this.locate(source);
    const key = `${path}@${(await stat(path)).mtimeMs}`;
    return this.cache.acquire(key, async () => {
      const { loadModel } = await import('../infer/load.ts');
      let model;
      const recordedBy = 'runId' in source ? `Run ${source.runId}'s checkpoint` : `${path}`;
      try {
        model = await loadModel(path, confineRecorded(this.workspace, recordedBy));
      } catch (e) {
        if (e instanceof ServiceError) throw e;
        throw new ServiceError('load-failed', (e as Error).message);
      }
      try {
        return await describeModel(model, path);
      } catch (e) {
        await model.dispose();
        throw e;
      }
    });
  }

  private async use<T>(source: InferSource, work: (m: PlaygroundModel) => Promise<T>) {
    const lease = await this.acquire(source);
    try {
      return await work(lease.model);
    } finally {
      lease.release();
    }
  }

  describe(source: InferSource): Promise<Result<'infer.describe'>> {
    return this.use(source, async (m) => m.info);
  }

  async generate(p: ParsedParams<'infer.generate'>): Promise<Result<'infer.generate'>> {
    if (this.live.size >= MAX_LIVE) {
      throw new ServiceError(
        'busy',
        `${MAX_LIVE} generations are already running; stop one before starting another.`,
      );
    }
    // The slot is taken before the first await: checked after it, 20 concurrent calls all saw
    // room and 9 were let in. A call that fails gives its slot back.
    const generationId = `gen-${++this.counter}`;
    const controller = new AbortController();
    this.live.set(generationId, controller);
    let lease: Lease<PlaygroundModel>;
    try {
      lease = await this.acquire(p.source);
    } catch (e) {
      this.live.delete(generationId);
      throw e;
    }
    try {
      const job = await decodingJob(lease.model, p.prompt);
      // The reply (carrying the id) leaves before the first token event.
      setImmediate(() => void this.stream(generationId, lease, job, p.settings, controller));
      return { generationId, promptTokens: job.promptTokens };
    } catch (e) {
      lease.release();
      this.live.delete(generationId);
      throw e;
    }
  }

  private async stream(
    generationId: string,
    lease: Lease<PlaygroundModel>,
    job: DecodingJob,
    settings: GenerationSettings,
    controller: AbortController,
  ): Promise<void> {
    // Decode speed is timed from the first token: the prompt pass and warm-up come before it.
    let firstAt = 0;
    let lastAt = 0;
    const tokens: number[] = [];
    let shown = '';
    let reason: 'length' | 'cancelled' | 'error' = 'length';
    let message: string | null = null;
    let text = '';
    try {
      await job.run(samplingConfig(settings), {
        signal: controller.signal,
        onToken: (t) => {
          lastAt = performance.now();
          if (tokens.length === 0) firstAt = lastAt;
          tokens.push(t);
          text = job.decode(tokens);
          // Byte-level BPE may end mid-character: hold back until the character completes.
          if (text.endsWith('\uFFFD') || controller.signal.aborted) return;
          this.emit({
            type: 'infer.token',
            generationId,
            text: text.slice(shown.length),
            tokens: tokens.length,
          });
          shown = text;
        },
      });
      if (controller.signal.aborted) reason = 'cancelled';
    } catch (e) {
      reason = 'error';
      message = (e as Error).message;
    } finally {
      lease.release();
      this.live.delete(generationId);
    }
    const seconds = (lastAt - firstAt) / 1000;
    this.emit({
      type: 'infer.done',
      generationId,
      text: shown,
      tokens: tokens.length,
      tokensPerSecond: seconds > 0 ? (tokens.length - 1) / seconds : 0,
      reason,
      message,
    });
  }

  cancel(generationId: string): { cancelled: boolean } {
    const controller = this.live.get(generationId);
    controller?.abort();
    return { cancelled: controller !== undefined };
  }

  puzzle(p: ParsedParams<'infer.puzzle'>): Promise<Result<'infer.puzzle'>> {
    return this.use(p.source, async (m) => {
      const source = m.source;
      if (m.info.kind !== 'puzzle' || !source) {
        throw new ServiceError(
          'not-a-puzzle-model',
          `${m.info.name} is ${m.info.kind === 'seq2seq' ? 'an encoder–decoder; it has no puzzles. Type a source' : 'a language model; it has no puzzles. Type a prompt'} instead.`,
        );
      }
      const held = source.validation(Number.MAX_SAFE_INTEGER);
      const seed = p.seed ?? Math.floor(Math.random() * 2 ** 31);
      const row = seed % held.batch;
      const slice = (a: Int32Array) =>
        Array.from(a.subarray(row * held.length, (row + 1) * held.length));
      return {
        puzzle: slice(held.inputs),
        solution: slice(held.targets),
        puzzleId: held.puzzle?.[row] ?? 0,
      };
    });
  }

  solve(p: ParsedParams<'infer.solve'>): Promise<SolveResult> {
    return this.use(p.source, async (m) => {
      const { solvePuzzle } = await import('./playground-solve.ts');
      return solvePuzzle(m, p);
    });
  }

  /** Stop every generation and free the models (host shutdown). */
  close(): void {
    for (const c of this.live.values()) c.abort();
    this.cache.clear();
  }
}
