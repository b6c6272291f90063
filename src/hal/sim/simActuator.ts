/**
 * A simulated strike, maglock or motor lock behind a relay.
 *
 *  - Unpowered (before start(), after stop()) a fail-secure lock is locked and a fail-safe lock
 *    released; start() powers the relay board and locks.
 *  - unlock(ms) releases and re-locks by itself on the injected clock; another unlock while
 *    released extends the release (never shortens it). hold(true) releases until hold(false);
 *    hold(false) re-locks unless a timed release is still running. lock() re-locks now and ends
 *    a hold.
 *  - setOffline() simulates a lost link to the relay board: commands reject with
 *    DEVICE_OFFLINE, the relay keeps its state and a running release still ends on time (the
 *    board owns the pulse). failNext(code) makes the next command that reaches the board reject;
 *    an injected DEVICE_TIMEOUT also makes the actuator `degraded` until a command is confirmed.
 *  - Every command is recorded with the clock time, rejected ones with the error code; the
 *    board's own re-lock is recorded as 'relock'.
 */
import { GatewayError, type GatewayErrorCode } from '../../kernel/gatewayError.js';
import type { TimerHandle } from '../../kernel/clock.js';
import type { ActuatorEvents, ActuatorState, DoorActuator } from '../types.js';
import { SimDevice, type SimDeviceOptions } from './simDevice.js';

export interface SimActuatorOptions extends SimDeviceOptions {
  /** released when unpowered (maglock); default false (fail-secure strike) */
  failSafe?: boolean;
}

export type ActuatorCommand = 'start' | 'stop' | 'unlock' | 'lock' | 'hold' | 'relock';

export interface ActuatorRecord {
  at: number;
  command: ActuatorCommand;
  /** unlock: the release asked for */
  ms?: number;
  /** hold: released or not */
  released?: boolean;
  /** the code the command was rejected with */
  rejected?: GatewayErrorCode;
}

/** Failures failNext() can inject. */
export type SimFailureCode = 'DEVICE_TIMEOUT' | 'DEVICE_ERROR';

/** The longest release one unlock() accepts (the timer limit of Node, about 24.8 days). */
export const MAX_UNLOCK_MS = 2_147_483_647;

export class SimActuator extends SimDevice<ActuatorEvents, ActuatorRecord> implements DoorActuator {
  readonly kind = 'actuator' as const;
  readonly failSafe: boolean;
  private released: boolean;
  private held = false;
  private releaseUntil: number | null = null;
  private relockTimer: TimerHandle | null = null;
  private failures: SimFailureCode[] = [];

  constructor(options: SimActuatorOptions) {
    super(options);
    this.failSafe = options.failSafe ?? false;
    this.released = this.failSafe;
  }

  state(): ActuatorState {
    return this.released ? 'unlocked' : 'locked';
  }

  /** Whether the relay coil carries current: fail-secure when released, fail-safe when locked. */
  energised(): boolean {
    return this.failSafe ? !this.released : this.released;
  }

  /** Clock time the running timed release ends, if one is running. */
  relocksAt(): number | undefined {
    return this.releaseUntil ?? undefined;
  }

  /** Makes the next command that reaches the board reject with `code` (queued, one per call). */
  failNext(code: SimFailureCode = 'DEVICE_TIMEOUT'): void {
    this.failures.push(code);
  }

  /** Rejects INPUT_INVALID unless ms is an integer 1–MAX_UNLOCK_MS. */
  async unlock(ms: number): Promise<void> {
    if (!Number.isInteger(ms) || ms < 1 || ms > MAX_UNLOCK_MS) {
      throw new GatewayError('INPUT_INVALID', `actuator ${this.id}: unlock needs whole milliseconds 1–${MAX_UNLOCK_MS}, got ${String(ms)}`, { id: this.id, field: 'ms' });
    }
    this.command({ command: 'unlock', ms });
    const until = Math.max(this.releaseUntil ?? 0, this.clock.now() + ms);
    if (until !== this.releaseUntil) {
      this.clock.clearTimeout(this.relockTimer);
      this.releaseUntil = until;
      this.relockTimer = this.clock.setTimeout(() => this.releaseEnded(), until - this.clock.now());
    }
    this.setReleased(true);
  }

  async lock(): Promise<void> {
    this.command({ command: 'lock' });
    this.held = false;
    this.cancelRelease();
    this.setReleased(false);
  }

  /** Rejects INPUT_INVALID unless `released` is a boolean. */
  async hold(released: boolean): Promise<void> {
    if (typeof released !== 'boolean') {
      throw new GatewayError('INPUT_INVALID', `actuator ${this.id}: hold takes true or false`, { id: this.id, field: 'released' });
    }
    this.command({ command: 'hold', released });
    this.held = released;
    this.setReleased(released || this.releaseUntil !== null);
  }

  protected override onStart(): void {
    this.record({ at: this.clock.now(), command: 'start' });
    this.held = false;
    this.setReleased(false);
  }

  protected override onStop(): void {
    this.held = false;
    this.cancelRelease();
    this.record({ at: this.clock.now(), command: 'stop' });
    this.setReleased(this.failSafe);
  }

  /** Records the command; throws (recorded with its code) when it cannot be carried out. */
  private command(entry: Omit<ActuatorRecord, 'at'>): void {
    const at = this.clock.now();
    const unavailable = this.unavailableReason();
    if (unavailable) {
      this.record({ at, ...entry, rejected: 'DEVICE_OFFLINE' });
      throw new GatewayError('DEVICE_OFFLINE', `actuator ${this.id} is offline: ${unavailable.replace(/^offline: /, '')}`, { id: this.id });
    }
    const failure = this.failures.shift();
    if (failure) {
      this.record({ at, ...entry, rejected: failure });
      if (failure === 'DEVICE_TIMEOUT') {
        this.setTransientFault('degraded', `${entry.command} not confirmed in time (simulated)`);
        throw new GatewayError('DEVICE_TIMEOUT', `actuator ${this.id}: ${entry.command} not confirmed in time (simulated)`, { id: this.id });
      }
      throw new GatewayError('DEVICE_ERROR', `actuator ${this.id}: ${entry.command} refused by the relay board (simulated)`, { id: this.id });
    }
    this.record({ at, ...entry });
    this.clearTransientFault();
  }

  private releaseEnded(): void {
    this.relockTimer = null;
    this.releaseUntil = null;
    if (this.held) return;
    this.record({ at: this.clock.now(), command: 'relock' });
    this.setReleased(false);
  }

  private cancelRelease(): void {
    this.clock.clearTimeout(this.relockTimer);
    this.relockTimer = null;
    this.releaseUntil = null;
  }

  private setReleased(released: boolean): void {
    if (released === this.released) return;
    this.released = released;
    this.emitGuarded('state', this.state());
  }
}
