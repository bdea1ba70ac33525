import { spawn, type ChildProcess } from 'node:child_process';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { StepMetrics, TrainEvent } from '../contract/events.ts';
import type { DataSpec } from '../data/spec.ts';
import type { GraphDocument } from '../graph/schema.ts';
import type { TrainConfigInput } from '../train/config.ts';
import type { RunSession, SessionOutcome } from '../train/session.ts';
import { importPytorchRun } from './import-run.ts';
import { writePytorchPackage } from './package.ts';
import { findTorchPython, torchMissing } from './python-env.ts';

export interface PytorchRequest {
  document: GraphDocument;
  data: DataSpec;
  config: TrainConfigInput;
  /** The run folder: the package goes to <dir>/pytorch, its run to <dir>/pytorch/run. */
  dir: string;
  /** Processes under torchrun (1: a plain `python train.py`). */
  processes?: number;
  env?: NodeJS.ProcessEnv;
}

/** The package folder and the PyTorch run folder inside a Studio run folder. */
export function pytorchFolders(dir: string): { pkg: string; run: string } {
  const pkg = path.join(dir, 'pytorch');
  return { pkg, run: path.join(pkg, 'run') };
}

/**
 * A training run on the PyTorch engine, with the same face as the tfjs worker session: the
 * graph is written as a PyTorch project into the run folder, `python train.py` (or torchrun
 * with N processes) trains it as a child process, and its metrics lines become the same
 * events the Train panel's curves read. Pause and resume are SIGSTOP / SIGCONT; stop is
 * SIGTERM, on which train.py finishes its step and writes a checkpoint.
 */
export class PytorchSession implements RunSession {
  readonly done: Promise<SessionOutcome>;
  private child: ChildProcess | undefined;
  private stopped = false;
  private paused = false;
  private step = 0;

  constructor(
    private readonly request: PytorchRequest,
    private readonly onEvent: (e: TrainEvent) => void,
  ) {
    this.done = this.run().catch((e: unknown) => {
      const message = (e as Error).message;
      this.onEvent({ type: 'error', message, step: this.step });
      return { status: 'failed' as const, step: this.step, message };
    });
  }

  private async run(): Promise<SessionOutcome> {
    const r = this.request;
    const probe = await findTorchPython(r.env);
    if (!probe.ok) throw new Error(torchMissing(probe));
    const { pkg, run } = pytorchFolders(r.dir);
    const report = await writePytorchPackage(pkg, {
      doc: r.document,
      data: r.data,
      config: r.config,
    });
    if (this.stopped) {
      this.onEvent({ type: 'stopped', step: 0, reason: 'stopped' });
      return { status: 'stopped', step: 0 };
    }
    const n = r.processes ?? 1;
    // torch 1.13 on Python 3.11 cannot parse its launcher's own defaults for these two.
    const args =
      n > 1
        ? ['-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', String(n)].concat([
            '--redirects',
            '1',
            '--tee',
            '2',
            'train.py',
          ])
        : ['train.py'];
    const child = spawn(probe.python, [...args, '--out', run], {
      cwd: pkg,
      env: { ...process.env, ...r.env, PYTHONUNBUFFERED: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so a signal reaches torchrun's workers too.
      detached: true,
    });
    this.child = child;
    let stderr = '';
    let lastCheckpoint: string | undefined;
    let outcome: Extract<SessionOutcome, { status: 'completed' | 'stopped' }> | undefined;
    let buffer = '';
    const device = probe.devices.find((d) => d !== 'cpu') ?? 'cpu';
    const handle = (line: string) => {
      let raw: Record<string, unknown>;
      try {
        raw = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return; // a library's own output, not a metrics line
      }
      const event = this.translate(raw, report.params, device, n);
      if (!event) return;
      if (event.type === 'checkpoint') lastCheckpoint = event.path;
      if (event.type === 'stopped') {
        // Reported once the run is imported (below), with the Studio checkpoint.
        outcome = { status: event.reason, step: event.step };
        return;
      }
      this.onEvent(event);
    };
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const l of lines) if (l.trim()) handle(l.trim());
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    const code = await new Promise<number | null>((resolve) => {
      child.on('error', (e) => {
        stderr += `\n${e.message}`;
        resolve(-1);
      });
      child.on('exit', (c) => resolve(c));
    });
    if (buffer.trim()) handle(buffer.trim());
    if (outcome) return this.finish(outcome, lastCheckpoint);
    const last = stderr.trim().split('\n').filter(Boolean).slice(-3).join(' ').slice(-600);
    const message =
      `The PyTorch trainer exited (code ${code}) at step ${this.step}` +
      (last ? `: ${last}` : '.') +
      (lastCheckpoint
        ? ` Its last checkpoint is ${lastCheckpoint}; resume it with python train.py --resume ${run}.`
        : '');
    this.onEvent({
      type: 'error',
      message,
      step: this.step,
      ...(lastCheckpoint ? { lastCheckpoint } : {}),
    });
    return {
      status: 'failed',
      step: this.step,
      message,
      ...(lastCheckpoint ? { lastCheckpoint } : {}),
    };
  }

  /**
   * The PyTorch run as a Studio run: its last checkpoint imported into the run folder's
   * checkpoints/, so Playground, Insight, evaluation and ONNX export read it like any run.
   */
  private async finish(
    outcome: Extract<SessionOutcome, { status: 'completed' | 'stopped' }>,
    pytorchCheckpoint: string | undefined,
  ): Promise<SessionOutcome> {
    const { pkg, run } = pytorchFolders(this.request.dir);
    if (!pytorchCheckpoint) {
      this.onEvent({ type: 'stopped', step: outcome.step, reason: outcome.status });
      return outcome;
    }
    const imported = path.join(pkg, 'studio');
    const checkpoints = path.join(this.request.dir, 'checkpoints');
    try {
      await rm(imported, { recursive: true, force: true });
      const report = await importPytorchRun({ run, out: imported, packageDir: pkg });
      await rm(checkpoints, { recursive: true, force: true });
      await rename(path.join(imported, 'checkpoints'), checkpoints);
      await rm(imported, { recursive: true, force: true });
      const lastCheckpoint = path.join(checkpoints, path.basename(report.checkpoint));
      this.onEvent({ type: 'checkpoint', step: report.step, path: lastCheckpoint });
      this.onEvent({ type: 'stopped', step: outcome.step, reason: outcome.status, lastCheckpoint });
      return { ...outcome, lastCheckpoint };
    } catch (e) {
      const message = `PyTorch trained ${outcome.step} steps, but bringing the run into the Studio failed: ${(e as Error).message} The PyTorch run is in ${run}; trm import ${run} retries.`;
      this.onEvent({
        type: 'error',
        message,
        step: outcome.step,
        lastCheckpoint: pytorchCheckpoint,
      });
      return { status: 'failed', step: outcome.step, message, lastCheckpoint: pytorchCheckpoint };
    }
  }

  /** A metrics line of train.py as the Studio's event (validated; unknown lines dropped). */
  private translate(
    raw: Record<string, unknown>,
    params: number,
    device: string,
    processes: number,
  ): TrainEvent | undefined {
    const { type, ...rest } = raw;
    let candidate: unknown;
    switch (type) {
      case 'started':
        candidate = {
          type: 'started',
          backend: `pytorch ${String(raw.device ?? device)}${processes > 1 ? ` ×${processes}` : ''}`,
          params: typeof raw.params === 'number' ? raw.params : params,
          startStep: raw.step ?? 0,
          steps: raw.steps,
          data: this.request.document.name,
          info: `Training on PyTorch ${String(raw.torch ?? '')} (${String(raw.device ?? device)}${processes > 1 ? `, ${processes} processes` : ''}); the project is in ${pytorchFolders(this.request.dir).pkg}.`,
        };
        break;
      case 'step': {
        const m = rest as Record<string, unknown>;
        this.step = (m.step as number) ?? this.step;
        // What StepMetrics holds and train.py wrote; its extra fields stay in metrics.jsonl.
        const keys = Object.keys(StepMetrics.shape);
        candidate = {
          type: 'step',
          metrics: Object.fromEntries(keys.filter((k) => k in m).map((k) => [k, m[k]])),
        };
        break;
      }
      case 'eval':
        candidate = { type: 'eval', report: raw.report };
        break;
      case 'checkpoint':
        candidate = { type: 'checkpoint', step: raw.step, path: raw.path };
        break;
      case 'stopped':
        candidate = { type: 'stopped', step: raw.step, reason: raw.reason };
        break;
      default:
        return undefined;
    }
    const parsed = TrainEvent.safeParse(candidate);
    return parsed.success ? parsed.data : undefined;
  }

  pause(): void {
    if (!this.child || this.paused) return;
    this.paused = true;
    this.signal('SIGSTOP');
    this.onEvent({ type: 'paused', step: this.step });
  }

  resume(): void {
    if (!this.child || !this.paused) return;
    this.paused = false;
    this.signal('SIGCONT');
    this.onEvent({ type: 'resumed', step: this.step });
  }

  stop(): void {
    this.stopped = true;
    if (this.paused) this.resume();
    this.signal('SIGTERM');
  }

  async terminate(): Promise<void> {
    this.stopped = true;
    this.signal('SIGKILL');
    await this.done;
  }

  /** The signal to the trainer, and under torchrun to its whole process group's workers. */
  private signal(sig: NodeJS.Signals): void {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    try {
      process.kill(-child.pid!, sig);
    } catch {
      // Already gone.
    }
  }
}
