/**
 * Pause / resume / stop for a running training loop. The loop calls `gate()` between
 * optimizer steps; it yields to the event loop there, so commands arriving as messages are
 * seen, and waits while paused.
 */
export class TrainControl {
  private paused = false;
  private stopped = false;
  private wake: (() => void) | undefined;

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.wake?.();
  }

  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  get stopRequested(): boolean {
    return this.stopped;
  }

  /**
   * Yield once; if paused, report it and wait for resume or stop. Returns false when the
   * run should stop.
   */
  async gate(onPause: () => void, onResume: () => void): Promise<boolean> {
    await new Promise<void>((r) => setImmediate(r));
    if (this.paused && !this.stopped) {
      onPause();
      while (this.paused && !this.stopped) {
        await new Promise<void>((r) => (this.wake = r));
        this.wake = undefined;
      }
      if (!this.stopped) onResume();
    }
    return !this.stopped;
  }
}
