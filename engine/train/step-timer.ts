/**
 * Seconds per optimizer step, for tokens/s and the ETA. The first steps include compiling
 * kernels and warming caches (6–13× a steady step on the templates), so they are left out:
 * the pace is the mean of the last `window` steps after the first `skip`.
 */
export class StepTimer {
  private readonly recent: number[] = [];
  private seen = 0;
  private last = 0;

  constructor(
    private readonly skip = 3,
    private readonly window = 20,
  ) {}

  record(seconds: number): void {
    this.seen++;
    this.last = seconds;
    if (this.seen <= this.skip) return;
    this.recent.push(seconds);
    if (this.recent.length > this.window) this.recent.shift();
  }

  /** The steady pace; undefined until a step after the first `skip` has been timed. */
  get secondsPerStep(): number | undefined {
    if (this.recent.length === 0) return undefined;
    return this.recent.reduce((a, b) => a + b, 0) / this.recent.length;
  }

  /** The pace for throughput: the steady one, else the latest step's. */
  get current(): number {
    return this.secondsPerStep ?? this.last;
  }

  /** Seconds left for `steps` more steps; undefined while the pace is not known yet. */
  eta(steps: number): number | undefined {
    const pace = this.secondsPerStep;
    return pace === undefined ? undefined : steps * pace;
  }
}
