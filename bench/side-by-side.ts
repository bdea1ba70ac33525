/**
 * Ours and PyTorch measured side by side: repetitions of every contender alternate within each
 * round (the order reversed every other round), so the load of a shared machine drifts over
 * all of them alike. PyTorch runs in one long-lived process (torch_ref.py --serve) that trains
 * from the same initial weights on each request, so a repetition costs no interpreter start.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, type TrainResult } from './train.ts';

const here = dirname(fileURLToPath(import.meta.url));
export const PYTHON = '/usr/bin/python3';

export type Outcome = TrainResult & { torch?: string };

export interface Contender {
  /** e.g. `native×1`, `torch×2`. */
  key: string;
  side: 'ours' | 'torch';
  run(seconds: number): Promise<Outcome | string>;
}

export function torchAvailable(): boolean {
  return spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

/**
 * torch_ref.py's environment: its best setting here is OPENBLAS_NUM_THREADS=1 (issue 8).
 * `passive` sets OMP_WAIT_POLICY=PASSIVE: OpenMP's spinning threads made a 2-thread step 10×
 * slower on a loaded 2-core machine, and sleeping ones do not.
 */
const torchEnv = (passive = false) => ({
  ...process.env,
  OPENBLAS_NUM_THREADS: '1',
  OMP_NUM_THREADS: '2',
  ...(passive ? { OMP_WAIT_POLICY: 'PASSIVE' } : {}),
});

/** A torch_ref.py --serve process over one dump. */
export class TorchServer {
  private readonly lines: AsyncIterableIterator<string>;
  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    this.lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  }

  static async start(dump: string, passive = false): Promise<TorchServer | string> {
    const child = spawn(PYTHON, [join(here, 'torch_ref.py'), dump, '--serve'], {
      env: torchEnv(passive),
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const server = new TorchServer(child);
    const first = await server.lines.next();
    if (first.done) return `torch_ref.py failed: ${err.trim().split('\n').pop() ?? 'no output'}`;
    return server;
  }

  async run(seconds: number, threads: number, minSteps: number): Promise<Outcome | string> {
    this.child.stdin.write(`${JSON.stringify({ seconds, threads, min_steps: minSteps })}\n`);
    const line = await this.lines.next();
    if (line.done) return 'torch_ref.py exited during a run';
    const j = JSON.parse(line.value) as Record<string, number | string | null>;
    return {
      steps: j.steps as number,
      stepMs: j.step_ms as number,
      tokensPerSec: j.tokens_per_sec as number,
      firstLoss: j.first_loss as number,
      lastLoss: j.last_loss as number,
      ...(j.loss10 != null ? { loss10: j.loss10 as number } : {}),
      torch: j.torch as string,
    };
  }

  close(): void {
    this.child.stdin.end();
  }
}

/**
 * torch's profiler table for a dump (self CPU ms per op and step), or why it failed: 2 threads
 * with sleeping OpenMP workers, the setting that holds up on a loaded machine.
 */
export function torchProfile(dump: string): string {
  const r = spawnSync(PYTHON, [join(here, 'torch_ref.py'), dump, '--profile', '--threads', '2'], {
    env: torchEnv(true),
    encoding: 'utf8',
  });
  return r.status === 0 ? r.stdout.trim() : `torch profile failed: ${r.stderr.trim()}`;
}

export interface SideBySide {
  /** Per contender, its outcome in each round (undefined where that run failed). */
  runs: Map<string, (Outcome | undefined)[]>;
}

export async function interleave(
  contenders: Contender[],
  rounds: number,
  seconds: number,
): Promise<SideBySide> {
  const runs = new Map<string, (Outcome | undefined)[]>(contenders.map((c) => [c.key, []]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? contenders : [...contenders].reverse();
    for (const c of order) {
      const r = await c.run(seconds);
      if (typeof r === 'string') console.log(`${c.key}: ${r}`);
      runs.get(c.key)![round] = typeof r === 'string' ? undefined : r;
    }
  }
  return { runs };
}

/**
 * Per round, ours ÷ torch for one fixed pair of contenders (each side's best by median): a
 * best-of-several per round would favour the side with more settings.
 */
export function pairedRatios(runs: SideBySide['runs'], ours: string, torch: string): number[] {
  const a = runs.get(ours) ?? [];
  const b = runs.get(torch) ?? [];
  return a.flatMap((r, i) => (r && b[i] ? [r.tokensPerSec / b[i].tokensPerSec] : []));
}

/** The repetition with the median throughput (so its step time and losses travel with it). */
export function medianRun(xs: Outcome[]): Outcome | undefined {
  if (xs.length === 0) return undefined;
  const m = median(xs.map((x) => x.tokensPerSec));
  return xs.find((x) => x.tokensPerSec === m);
}
