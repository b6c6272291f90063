/** The gaps between ticks of a 1 ms timer: how long the event loop (the doors' loop) was blocked. */
export class StallMonitor {
  private timer: NodeJS.Timeout | null = null;
  private last = 0;
  private started = 0;
  /** process.hrtime (CLOCK_MONOTONIC) at start(), to line gaps up with other tools' timestamps */
  startedMonotonicNs = 0n;
  readonly gaps: number[] = [];
  /** when each gap ended, ms after start() */
  readonly ends: number[] = [];

  start(): void {
    this.last = performance.now();
    this.startedMonotonicNs = process.hrtime.bigint();
    this.started = this.last;
    const tick = () => {
      const now = performance.now();
      this.gaps.push(now - this.last);
      this.ends.push(now - this.started);
      this.last = now;
      this.timer = setTimeout(tick, 1);
    };
    this.timer = setTimeout(tick, 1);
  }

  /** Stops; records the gap still open (a stall that the awaited event ended inside). */
  stop(): { gaps: number[]; ends: number[] } {
    if (this.timer !== null) clearTimeout(this.timer);
    const now = performance.now();
    this.gaps.push(now - this.last);
    this.ends.push(now - this.started);
    return { gaps: this.gaps, ends: this.ends };
  }
}

/** The longest gap that ended after `fromMs` (ms after the monitor's start). */
export function maxGapAfter(run: { gaps: number[]; ends: number[] }, fromMs: number): number {
  let max = 0;
  for (let i = 0; i < run.gaps.length; i++) if (run.ends[i]! > fromMs && run.gaps[i]! > max) max = run.gaps[i]!;
  return max;
}
