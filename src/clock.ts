/** Time as a service. Runtime code takes a Clock; core logic takes `now` (epoch ms) as an argument. */
export interface Clock {
  /** milliseconds since the Unix epoch */
  now(): number;
}

export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }
}

/** A clock that only moves when told to. For tests and simulations. */
export class ManualClock implements Clock {
  private current: number;

  constructor(start: number | string = 0) {
    this.current = typeof start === 'string' ? Date.parse(start) : start;
  }

  now(): number {
    return this.current;
  }

  set(to: number | string): void {
    this.current = typeof to === 'string' ? Date.parse(to) : to;
  }

  advance(ms: number): void {
    this.current += ms;
  }
}
