/**
 * A card or a phone key at a card+PIN door, waiting for its holder's PIN: kept until the PIN
 * is submitted, another credential is presented, or `timeoutMs` passes without a PIN.
 */
import type { Clock, TimerHandle } from '../kernel/clock.js';

/** the first factor that waits: its kind and its lookup value */
export interface FirstFactor {
  kind: 'card' | 'mobile';
  value: string;
  /** a phone's access document (kept so that the PIN's decision can consult it too) */
  documentToken?: string;
}

export class PendingCard {
  private pending: { factor: FirstFactor; timer: TimerHandle } | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly timeoutMs: number,
  ) {}

  /** Waits for the PIN to `factor`; `onTimeout` runs if none comes in time. */
  wait(factor: FirstFactor, onTimeout: () => void): void {
    this.cancel();
    const timer = this.clock.setTimeout(() => {
      this.pending = null;
      onTimeout();
    }, this.timeoutMs);
    this.pending = { factor, timer };
  }

  /** The waiting factor, which then no longer waits; null when none waits. */
  take(): FirstFactor | null {
    const factor = this.pending?.factor ?? null;
    this.cancel();
    return factor;
  }

  cancel(): void {
    if (!this.pending) return;
    this.clock.clearTimeout(this.pending.timer);
    this.pending = null;
  }
}
