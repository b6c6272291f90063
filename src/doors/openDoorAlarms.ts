/**
 * The alarms of a door standing open: `forced_open` when it opens while nothing released it,
 * `held_open` when it stays open `heldOpenMs` after opening. Each is raised once per opening and
 * cleared when the door closes.
 */
import type { Clock, TimerHandle } from '../kernel/clock.js';

export type OpenDoorAlarm = 'forced_open' | 'held_open';

export class OpenDoorAlarms {
  private readonly active = new Set<OpenDoorAlarm>();
  private heldTimer: TimerHandle | null = null;

  /** `onRaised` runs when an alarm starts, `onCleared` when the door closes on it. */
  constructor(
    private readonly clock: Clock,
    private readonly heldOpenMs: number,
    private readonly onRaised: (alarm: OpenDoorAlarm) => void,
    private readonly onCleared: (alarm: OpenDoorAlarm) => void,
  ) {}

  /** the alarms raised and not yet cleared */
  list(): OpenDoorAlarm[] {
    return [...this.active];
  }

  /** The door opened where it must not stand open; `forced` when nothing had released it. */
  opened(forced: boolean): void {
    if (forced) this.raise('forced_open');
    this.clock.clearTimeout(this.heldTimer);
    this.heldTimer = this.clock.setTimeout(() => {
      this.heldTimer = null;
      this.raise('held_open');
    }, this.heldOpenMs);
  }

  /** The door closed: the held-open watch ends, and what was raised is cleared. */
  closed(): void {
    this.stop();
    for (const alarm of ['forced_open', 'held_open'] as const) if (this.active.delete(alarm)) this.onCleared(alarm);
  }

  /** Ends the held-open watch (the door stops); raised alarms stay. */
  stop(): void {
    this.clock.clearTimeout(this.heldTimer);
    this.heldTimer = null;
  }

  private raise(alarm: OpenDoorAlarm): void {
    if (this.active.has(alarm)) return;
    this.active.add(alarm);
    this.onRaised(alarm);
  }
}
