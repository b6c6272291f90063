/**
 * The journal's upkeep of its local history, behind the appends: each tick, on the injected
 * timers, one bounded transaction that (1) copies the next rows' door and person into the
 * lookup tables `journal_by_door` / `journal_by_person` (what door and person queries read), and
 * (2) prunes acknowledged events older than the retention or beyond the history's row cap.
 * Batches are small, so a large backlog (a flood of events, a lowered retention, the first
 * start after an upgrade) drains in short transactions with the doors' event loop free between
 * them: while a tick finds a full batch the next follows after `backlogMs`; after a write the
 * journal nudges it to look within `nudgeMs`; otherwise it looks every `idleMs`.
 */
import type { TimerHandle, Timers } from '../kernel/clock.js';

export interface HistoryLimits {
  /** acknowledged events older than this (by their `at`) are pruned */
  retentionMs: number;
  /** at most this many acknowledged events are kept; the oldest go first */
  maxEvents: number;
}

/** rows looked up, and rows pruned, by one upkeep transaction at most */
export const UPKEEP_BATCH = 250;
const BACKLOG_MS = 50;
const NUDGE_MS = 1_000;
const IDLE_MS = 60_000;

/** What one tick did; null when the journal could not write then (held, failing). */
export type UpkeepResult = { looked: number; pruned: number } | null;

export class HistoryUpkeep {
  private timer: { handle: TimerHandle; due: number } | null = null;
  private running = false;

  /** `tick(limit)` does at most `limit` rows of each kind of work. */
  constructor(
    private readonly timers: Timers,
    private readonly now: () => number,
    private readonly tick: (limit: number) => UpkeepResult,
  ) {}

  /** The first tick runs `backlogMs` after start. */
  start(): void {
    this.running = true;
    this.arm(BACKLOG_MS);
  }

  stop(): void {
    this.running = false;
    this.clear();
  }

  /** New rows were written: look within a second (sooner if already due). */
  nudge(): void {
    this.arm(NUDGE_MS);
  }

  /** Arms the timer for `ms` unless one is due sooner. */
  private arm(ms: number): void {
    if (!this.running) return;
    const due = this.now() + ms;
    if (this.timer !== null) {
      if (this.timer.due <= due) return;
      this.clear();
    }
    const handle = this.timers.setTimeout(() => {
      this.timer = null;
      const done = this.tick(UPKEEP_BATCH);
      const full = done !== null && (done.looked >= UPKEEP_BATCH || done.pruned >= UPKEEP_BATCH);
      // could not write (held, failing): look again later, not in a tight loop
      this.arm(full ? BACKLOG_MS : IDLE_MS);
    }, ms);
    this.timer = { handle, due };
  }

  private clear(): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer.handle);
    this.timer = null;
  }
}
