/**
 * A door's listeners on its devices' events, each guarded — a handler that throws is logged
 * with the event's name and never reaches the driver that emitted — and removed together when
 * the door stops.
 */
import type { Logger } from 'pino';

/** an emitter whose listeners can be removed again (every device is one) */
export interface ListenedTo<T extends unknown[]> {
  on(event: string, listener: (...args: T) => void): unknown;
  off(event: string, listener: (...args: T) => void): unknown;
}

export class DeviceListeners {
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly log: Logger) {}

  /** Calls `listener` on `event`, guarded, until removeAll(). */
  on<T extends unknown[]>(emitter: ListenedTo<T>, event: string, listener: (...args: T) => void): void {
    const guarded = (...args: T) => {
      try {
        listener(...args);
      } catch (err) {
        this.log.error({ err, event }, 'door handler failed');
      }
    };
    emitter.on(event, guarded);
    this.unsubscribe.push(() => emitter.off(event, guarded));
  }

  removeAll(): void {
    for (const off of this.unsubscribe.splice(0)) off();
  }
}
