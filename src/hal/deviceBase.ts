/**
 * What every device in src/hal/ shares (the rules at the top of types.ts, written once):
 *  - typed events, emitted guarded: a listener that throws is logged with the device that
 *    emitted it and the event, and the other listeners and the device carry on;
 *  - health transitions: `setHealth(state, reason)` stamps `since` from the injected clock and
 *    emits `health` only when the state or the reason changed. Before start(): offline
 *    'not started'.
 * The constructor does no I/O; subclasses implement start() and stop().
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Clock } from '../kernel/clock.js';
import { guardedEmit } from '../kernel/guardedEmit.js';
import type { DeviceEvents, Health, HealthState } from './types.js';

export interface DeviceBaseOptions {
  /** unique per gateway: names the device in logs */
  id: string;
  clock: Clock;
  /** the module's child logger; listener failures and health changes go here */
  log: Logger;
  /**
   * log every health change (online: info, stopped: debug, else warn). Default true; false for
   * a device that only mirrors the health of something that logs its own (a relay channel, a
   * bridge port).
   */
  logHealth?: boolean;
}

/** The reason of a device that was stopped. */
export const STOPPED = 'stopped';

export abstract class DeviceBase<E extends DeviceEvents & Record<keyof E, unknown[]>> extends EventEmitter<E> {
  readonly id: string;
  protected readonly clock: Clock;
  protected readonly log: Logger;
  readonly #logHealth: boolean;
  #health: Health;

  constructor(options: DeviceBaseOptions) {
    super();
    this.id = options.id;
    this.clock = options.clock;
    this.log = options.log;
    this.#logHealth = options.logHealth ?? true;
    this.#health = { state: 'offline', reason: 'not started', since: options.clock.now() };
  }

  /** The current health (a copy). */
  health(): Health {
    return { ...this.#health };
  }

  abstract start(): Promise<void>;
  abstract stop(): Promise<void>;

  /** Moves to `state` for `reason`; emits `health` only on a change. Returns whether it changed. */
  protected setHealth(state: HealthState, reason: string, since = this.clock.now()): boolean {
    if (this.#health.state === state && this.#health.reason === reason) return false;
    this.#health = { state, reason, since };
    if (this.#logHealth) {
      if (state === 'online') this.log.info(reason);
      // being stopped is routine; anything else that is not online is worth a warning
      else if (reason === STOPPED) this.log.debug({ state }, reason);
      else this.log.warn({ state }, reason);
    }
    this.emitGuarded('health' as keyof E & string, ...([this.health()] as E[keyof E & string]));
    return true;
  }

  /** Emits to each listener in turn; see guardedEmit. */
  protected emitGuarded<K extends keyof E & string>(event: K, ...args: E[K]): boolean {
    return guardedEmit(this, this.listenerFailed, event, ...args);
  }

  /** Logs a listener's failure with the device and event (never the arguments: they may carry credentials). */
  protected readonly listenerFailed = (err: unknown, event: string): void => {
    this.log.error({ err, owner: this.id, event }, 'a listener threw; the device carries on');
  };
}
