/**
 * When the journal prunes its local history (acknowledged events older than the retention, or
 * beyond its row cap). One bounded batch per tick on the injected timers, so a large backlog
 * (a lowered retention, a first start after an upgrade) drains in short transactions with the
 * doors' event loop free between them: the next batch follows after `backlogMs` while batches
 * come back full, otherwise the next look is `idleMs` later.
 */
import type { TimerHandle, Timers } from '../kernel/clock.js';

export interface HistoryLimits {
  /** acknowledged events older than this (by their `at`) are pruned */
  retentionMs: number;
  /** at most this many acknowledged events are kept; the oldest go first */
  maxEvents: number;
}

/** rows deleted by one prune transaction at most */
export const PRUNE_BATCH = 1_000;
const BACKLOG_MS = 50;
const IDLE_MS = 60_000;

export class HistoryPruning {
  private timer: TimerHandle | null = null;
  private running = false;

  /** `pruneOnce(limit)` deletes at most `limit` rows and returns how many it deleted, or null when it could not write now. */
  constructor(
    private readonly timers: Timers,
    private readonly pruneOnce: (limit: number) => number | null,
    private readonly idleMs = IDLE_MS,
    private readonly backlogMs = BACKLOG_MS,
  ) {}

  /** The first batch runs `backlogMs` after start. */
  start(): void {
    this.running = true;
    this.arm(this.backlogMs);
  }

  stop(): void {
    this.running = false;
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(ms: number): void {
    if (!this.running || this.timer !== null) return;
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      const deleted = this.pruneOnce(PRUNE_BATCH);
      // could not write (held, failing): look again later, not in a tight loop
      this.arm(deleted !== null && deleted >= PRUNE_BATCH ? this.backlogMs : this.idleMs);
    }, ms);
  }
}
