/**
 * Assembles a PIN from keypad keys: digits accumulate, '#' submits, '*' clears, and an entry
 * is abandoned `timeoutMs` after the last key. An entry longer than `maxDigits` (a stored PIN's
 * MAX_PIN_DIGITS, or the site's offline doorcode length when it is longer) is refused. The digits never leave this object except in the
 * submitted result, which the controller hashes at once; nothing here logs them.
 */
import type { Clock, TimerHandle } from '../kernel/clock.js';

export const MAX_PIN_DIGITS = 8;

export type PinKeyResult =
  | { kind: 'digit'; length: number }
  | { kind: 'submitted'; digits: string }
  | { kind: 'cleared' }
  | { kind: 'empty_submit' }
  | { kind: 'too_long' }
  | { kind: 'ignored' };

export class PinEntry {
  private digits = '';
  private timer: TimerHandle | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly timeoutMs: number,
    private readonly onAbandoned: () => void,
    private readonly maxDigits = MAX_PIN_DIGITS,
  ) {}

  press(key: string): PinKeyResult {
    if (key === '*') {
      this.reset();
      return { kind: 'cleared' };
    }
    if (key === '#') {
      const digits = this.digits;
      this.reset();
      return digits.length === 0 ? { kind: 'empty_submit' } : { kind: 'submitted', digits };
    }
    if (key.length !== 1 || key < '0' || key > '9') return { kind: 'ignored' };
    if (this.digits.length >= this.maxDigits) {
      this.reset();
      return { kind: 'too_long' };
    }
    this.digits += key;
    this.arm();
    return { kind: 'digit', length: this.digits.length };
  }

  reset(): void {
    this.digits = '';
    this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      if (this.digits.length === 0) return;
      this.digits = '';
      this.onAbandoned();
    }, this.timeoutMs);
  }
}
