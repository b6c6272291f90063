/**
 * The bridge's answers to `Q` (queryVersion): every `V` line answers every request waiting; each
 * request times out on its own clock timer, and all of them end when the bridge stops.
 */
import type { Clock, TimerHandle } from '../../../kernel/clock.js';

interface Waiter {
  resolve(version: string): void;
  reject(err: unknown): void;
  timer: TimerHandle;
}

export class VersionRequests {
  private readonly waiting = new Set<Waiter>();

  constructor(private readonly clock: Clock) {}

  /** A request: `reply` resolves with the next version, or rejects with `timeout()` after `ms`; `fail` ends it now. */
  open(ms: number, timeout: () => Error): { reply: Promise<string>; fail(err: unknown): void } {
    let waiter!: Waiter;
    const reply = new Promise<string>((resolve, reject) => {
      waiter = { resolve, reject, timer: this.clock.setTimeout(() => this.settle(waiter, { error: timeout() }), ms) };
    });
    this.waiting.add(waiter);
    return { reply, fail: (error) => this.settle(waiter, { error }) };
  }

  answer(version: string): void {
    for (const waiter of [...this.waiting]) this.settle(waiter, { version });
  }

  failAll(error: unknown): void {
    for (const waiter of [...this.waiting]) this.settle(waiter, { error });
  }

  private settle(waiter: Waiter, outcome: { version: string } | { error: unknown }): void {
    if (!this.waiting.delete(waiter)) return;
    this.clock.clearTimeout(waiter.timer);
    if ('version' in outcome) waiter.resolve(outcome.version);
    else waiter.reject(outcome.error);
  }
}
