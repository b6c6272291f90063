/**
 * What every relay channel used as a DoorActuator shares, whatever its board speaks: the door's
 * intention (released or not, held or timed, the timed release's deadline and re-lock timer),
 * the lifecycle against its board (attach on start; re-lock, then detach on stop) and the
 * `state` events. A board-specific subclass says how the intention reaches the board
 * (`apply()`), what its state is and what the board's health means for it:
 *  - RelayActuator (relayBoard.ts): LCUS boards, a latched level per channel;
 *  - ModbusRelayActuator (modbusRelayActuator.ts): board-timed flashes renewed by a keepalive.
 */
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../../../kernel/clock.js';
import { GatewayError } from '../../../kernel/gatewayError.js';
import { DeviceBase, STOPPED } from '../../deviceBase.js';
import type { ActuatorEvents, ActuatorState, DoorActuator, Health } from '../../types.js';

export interface RelayChannelOptions {
  /** the actuator's device id from the config */
  id: string;
  /** true: a maglock that is released when unpowered */
  failSafe: boolean;
}

/** What a channel needs of its board. */
export interface RelayChannelBoard {
  readonly isOpen: boolean;
  health(): Health;
  offlineError(): GatewayError;
  attach(channel: RelayChannel): Promise<void>;
  detach(): Promise<void>;
}

export abstract class RelayChannel extends DeviceBase<ActuatorEvents> implements DoorActuator {
  readonly kind = 'actuator' as const;
  readonly failSafe: boolean;
  protected started = false;
  /** what the door controller wants: released or not */
  protected released = false;
  protected holding = false;
  /** end of a timed release (null while holding or locked) */
  protected relockAt: number | null = null;
  private relockTimer: TimerHandle | null = null;
  private lastState: ActuatorState = 'unknown';

  constructor(
    private readonly host: RelayChannelBoard,
    readonly channel: number,
    options: RelayChannelOptions,
    clock: Clock,
    logger: Logger,
  ) {
    super({ id: options.id, clock, log: logger.child({ actuator: options.id, channel }), logHealth: false });
    this.failSafe = options.failSafe;
  }

  abstract state(): ActuatorState;

  /** @internal the board's health changed (it logs it) */
  abstract boardHealth(health: Health): void;

  /** Sends what the door should be now. */
  protected abstract apply(): Promise<void>;

  /** Forgets what the board last applied (at start: unknown until it is written again). */
  protected abstract forgetApplied(): void;

  /** Logged when the re-lock at a timed release's end could not be sent. */
  protected abstract readonly relockFailedNote: string;

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.forgetApplied();
    await this.host.attach(this);
    this.boardHealth(this.host.health());
  }

  /** Re-locks this door (a fail-secure relay is de-energised) and releases the board. */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.rest();
    if (this.host.isOpen) await this.apply().catch((err: unknown) => this.log.error({ err }, 'could not re-lock on stop'));
    this.started = false;
    this.setHealth('offline', STOPPED);
    this.emitState();
    await this.host.detach();
  }

  async unlock(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms <= 0) throw new GatewayError('INPUT_INVALID', `unlock needs a positive duration, got ${ms}`, { id: this.id, field: 'ms' });
    this.assertReady();
    this.released = true;
    if (!this.holding) this.armRelock(Math.max(this.relockAt ?? 0, this.clock.now() + ms));
    await this.apply();
  }

  async lock(): Promise<void> {
    this.rest();
    this.assertReady();
    await this.apply();
  }

  async hold(released: boolean): Promise<void> {
    if (!released) return this.lock();
    this.assertReady();
    this.cancelRelock();
    this.holding = true;
    this.released = true;
    await this.apply();
  }

  /** @internal back to locked: no timer, no hold */
  rest(): void {
    this.cancelRelock();
    this.holding = false;
    this.released = false;
  }

  /** @internal the board closed under us */
  boardStopped(): void {
    if (!this.started) return;
    this.started = false;
    this.rest();
    this.setHealth('offline', STOPPED);
    this.emitState();
  }

  protected emitState(): void {
    const state = this.state();
    if (state === this.lastState) return;
    this.lastState = state;
    this.emitGuarded('state', state);
  }

  private assertReady(): void {
    if (!this.started) throw new GatewayError('DEVICE_OFFLINE', `actuator ${this.id} is not started`, { id: this.id });
    if (!this.host.isOpen) throw this.host.offlineError();
  }

  private armRelock(at: number): void {
    this.clock.clearTimeout(this.relockTimer);
    this.relockAt = at;
    this.relockTimer = this.clock.setTimeout(() => {
      this.relockTimer = null;
      this.relockAt = null;
      this.rest();
      this.apply().catch((err: unknown) => this.log.warn({ err }, this.relockFailedNote));
    }, at - this.clock.now());
  }

  private cancelRelock(): void {
    this.clock.clearTimeout(this.relockTimer);
    this.relockTimer = null;
    this.relockAt = null;
  }
}
