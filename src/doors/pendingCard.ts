/**
 * A card at a card+PIN door, waiting for its holder's PIN: kept until the PIN is submitted,
 * another credential is presented, or `timeoutMs` passes without a PIN.
 */
import type { Clock, TimerHandle } from '../kernel/clock.js';

export class PendingCard {
  private pending: { value: string; timer: TimerHandle } | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly timeoutMs: number,
  ) {}

  /** Waits for the PIN to the card `value`; `onTimeout` runs if none comes in time. */
  wait(value: string, onTimeout: () => void): void {
    this.cancel();
    const timer = this.clock.setTimeout(() => {
      this.pending = null;
      onTimeout();
    }, this.timeoutMs);
    this.pending = { value, timer };
  }

  /** The waiting card's value, which then no longer waits; null when no card waits. */
  take(): string | null {
    const value = this.pending?.value ?? null;
    this.cancel();
    return value;
  }

  cancel(): void {
    if (!this.pending) return;
    this.clock.clearTimeout(this.pending.timer);
    this.pending = null;
  }
}
