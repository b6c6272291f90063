/**
 * When the journal writes next. After an append, on the next turn of the event loop (so a burst
 * of appends shares one transaction); and on at most one timer: the durability backstop
 * (`sync`, an fsync once `durableIntervalMs` has passed since the last) or the retry after a
 * failed flush (`retry`). A timer already armed is left as it is.
 */
import type { TimerHandle, Timers } from '../kernel/clock.js';

export type FlushTimerKind = 'sync' | 'retry';

export class FlushSchedule {
  private immediate: NodeJS.Immediate | null = null;
  private timer: { handle: TimerHandle; kind: FlushTimerKind } | null = null;

  /** `onSoon` runs on the turn after soon(); `onTimer` when the armed timer fires. */
  constructor(
    private readonly timers: Timers,
    private readonly onSoon: () => void,
    private readonly onTimer: () => void,
  ) {}

  /** Runs `onSoon` on the next turn of the event loop, once however often it is asked. */
  soon(): void {
    if (this.immediate !== null) return;
    this.immediate = setImmediate(() => {
      this.immediate = null;
      this.onSoon();
    });
  }

  cancelSoon(): void {
    if (this.immediate !== null) clearImmediate(this.immediate);
    this.immediate = null;
  }

  /** Arms the timer for `ms` unless one is armed already. */
  arm(kind: FlushTimerKind, ms: number): void {
    if (this.timer !== null) return;
    const handle = this.timers.setTimeout(() => {
      this.timer = null;
      this.onTimer();
    }, ms);
    this.timer = { handle, kind };
  }

  /** Clears the armed timer; with `kind`, only a timer of that kind. */
  clear(kind?: FlushTimerKind): void {
    if (this.timer === null || (kind !== undefined && this.timer.kind !== kind)) return;
    this.timers.clearTimeout(this.timer.handle);
    this.timer = null;
  }
}
