/**
 * Time as a service. Runtime code takes a Clock (the current time and timers); core logic takes
 * `now` (epoch ms) as an argument. Tests use ManualClock and move time with advance(), which fires
 * the timers that fall due, in order — no test sleeps on the wall clock.
 */
export type TimerHandle = { readonly id: number } | NodeJS.Timeout;

export interface Timers {
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | null | undefined): void;
}

export interface Clock extends Timers {
  /** milliseconds since the Unix epoch */
  now(): number;
}

export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    return setTimeout(callback, ms);
  }

  clearTimeout(handle: TimerHandle | null | undefined): void {
    if (handle) clearTimeout(handle as NodeJS.Timeout);
  }
}

interface PendingTimer {
  id: number;
  due: number;
  callback: () => void;
}

/** A clock that only moves when told to. For tests and simulations. */
export class ManualClock implements Clock {
  private current: number;
  private nextId = 1;
  private timers: PendingTimer[] = [];

  constructor(start: number | string = 0) {
    this.current = typeof start === 'string' ? Date.parse(start) : start;
  }

  now(): number {
    return this.current;
  }

  /** Jumps to an instant without firing timers (e.g. to set up a scenario). */
  set(to: number | string): void {
    this.current = typeof to === 'string' ? Date.parse(to) : to;
  }

  /** Moves time forward by `ms`, firing every timer that falls due, in due order. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      const next = this.timers.filter((t) => t.due <= target).sort((a, b) => a.due - b.due || a.id - b.id)[0];
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.current = Math.max(this.current, next.due);
      next.callback();
    }
    this.current = target;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const timer = { id: this.nextId++, due: this.current + Math.max(0, ms), callback };
    this.timers.push(timer);
    return { id: timer.id };
  }

  clearTimeout(handle: TimerHandle | null | undefined): void {
    if (!handle || !('id' in handle)) return;
    this.timers = this.timers.filter((t) => t.id !== (handle as { id: number }).id);
  }

  /** Delays of the pending timers from now, soonest first (for assertions). */
  pending(): number[] {
    return this.timers.map((t) => t.due - this.current).sort((a, b) => a - b);
  }
}
