/**
 * Passage mode from a door's schedule (`passage:` in its config): on while the schedule is open
 * — with first-person-in, only once a staff member was granted there that day — and re-checked
 * at every minute boundary. A schedule the rules do not have keeps passage off, with a warning.
 */
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../kernel/clock.js';
import type { DoorBehaviour } from './doorConfig.js';

/** What passage needs from the gateway (a part of DoorContext). */
export interface PassageRules {
  clock: Clock;
  /** is the schedule open now? null when the schedule is unknown */
  passageOpen(scheduleId: string, now: number): boolean | null;
  /** the local day number (site time) of an instant */
  localDay(now: number): number;
}

export class DoorPassage {
  private on = false;
  private running = false;
  private firstInDay: number | null = null;
  private timer: TimerHandle | null = null;

  /** `onChange` runs when passage turns on or off (after `active` changed). */
  constructor(
    private readonly config: DoorBehaviour['passage'],
    private readonly rules: PassageRules,
    private readonly log: Logger,
    private readonly onChange: (on: boolean) => void,
  ) {}

  get active(): boolean {
    return this.on;
  }

  start(): void {
    this.running = true;
    this.evaluate();
  }

  /** Stops the minute checks; passage stays as it is until the next evaluate(). */
  stop(): void {
    this.running = false;
    this.rules.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  /** Re-reads the schedule now (and arms the check at the next minute boundary). Off while stopped. */
  evaluate(): void {
    const clock = this.rules.clock;
    clock.clearTimeout(this.timer);
    this.timer = null;
    const passage = this.config;
    if (!passage || !this.running) {
      this.on = false;
      return;
    }
    const now = clock.now();
    const open = this.rules.passageOpen(passage.scheduleId, now);
    if (open === null) this.log.warn({ scheduleId: passage.scheduleId }, 'passage schedule is not in the rules: passage stays off');
    const wanted = open === true && (!passage.firstPersonIn || this.firstInDay === this.rules.localDay(now));
    if (open !== true) this.firstInDay = null;
    if (wanted !== this.on) {
      this.on = wanted;
      this.onChange(wanted);
    }
    this.timer = clock.setTimeout(() => this.evaluate(), 60_000 - (now % 60_000));
  }

  /** A staff member was granted: with first-person-in, the day's first grant in the open schedule re-evaluates passage. Returns whether it did. */
  staffGranted(): boolean {
    const passage = this.config;
    if (!passage?.firstPersonIn) return false;
    const now = this.rules.clock.now();
    if (this.rules.passageOpen(passage.scheduleId, now) !== true) return false;
    const day = this.rules.localDay(now);
    if (this.firstInDay === day) return false;
    this.firstInDay = day;
    this.evaluate();
    return true;
  }
}
