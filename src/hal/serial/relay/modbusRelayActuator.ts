/**
 * One relay of a ModbusRelayBoard as a DoorActuator. Created by ModbusRelayBoard.actuator().
 *
 * A release is a lease the board enforces: the channel is sent a flash (a timed pulse, the board
 * returns the relay to its resting level when it ends) of min(time left, keepaliveMs); while the
 * release lasts longer than that, the flash is re-sent every keepaliveMs / 2. `unlock(ms)` ends
 * with an explicit re-lock at its deadline (the board's own flash ends within one 100 ms unit
 * after it); `hold(true)` re-sends flashes until `hold(false)` or `lock()`.
 *
 * Resting (locked) levels are latched: fail-secure strike de-energised, fail-safe maglock
 * energised. A release of a strike is "flash on", of a maglock "flash off": either way the board
 * re-locks the door by itself when the gateway stops renewing the lease.
 *
 * `state()` is what the board last confirmed (its echo); `unknown` before that, after a command
 * the board did not confirm, and while the board is not online.
 */
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../../../kernel/clock.js';
import { GatewayError } from '../../../kernel/gatewayError.js';
import { DeviceBase, STOPPED } from '../../deviceBase.js';
import type { ActuatorEvents, ActuatorState, DoorActuator, Health } from '../../types.js';
import { flashUnits, type RelayCommand } from './waveshareCommand.js';

export interface ModbusRelayActuatorOptions {
  id: string;
  /** true: a maglock that is released when unpowered */
  failSafe: boolean;
}

/** What the actuator needs of its board (ModbusRelayBoard). */
export interface LeaseBoard {
  readonly keepaliveMs: number;
  readonly isOpen: boolean;
  health(): Health;
  send(command: RelayCommand): Promise<void>;
  offlineError(): GatewayError;
  attach(actuator: ModbusRelayActuator): Promise<void>;
  detach(): Promise<void>;
}

export class ModbusRelayActuator extends DeviceBase<ActuatorEvents> implements DoorActuator {
  readonly kind = 'actuator' as const;
  readonly failSafe: boolean;
  private started = false;
  private released = false;
  private holding = false;
  /** end of a timed release (null while holding or locked) */
  private relockAt: number | null = null;
  private relockTimer: TimerHandle | null = null;
  private keepaliveTimer: TimerHandle | null = null;
  /** the released/locked state the board last confirmed; null = unknown */
  private confirmedReleased: boolean | null = null;
  private lastState: ActuatorState = 'unknown';

  constructor(
    private readonly board: LeaseBoard,
    readonly channel: number,
    options: ModbusRelayActuatorOptions,
    clock: Clock,
    logger: Logger,
  ) {
    super({ id: options.id, clock, log: logger.child({ actuator: options.id, channel }), logHealth: false });
    this.failSafe = options.failSafe;
  }

  state(): ActuatorState {
    if (!this.started || this.health().state !== 'online' || this.confirmedReleased === null) return 'unknown';
    return this.confirmedReleased ? 'unlocked' : 'locked';
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.confirmedReleased = null;
    await this.board.attach(this);
    this.boardHealth(this.board.health());
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.rest();
    if (this.board.isOpen) await this.board.send(this.intendedCommand()).catch((err: unknown) => this.log.error({ err }, 'could not re-lock on stop'));
    this.started = false;
    this.setHealth('offline', STOPPED);
    this.emitState();
    await this.board.detach();
  }

  async unlock(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms <= 0) throw new GatewayError('INPUT_INVALID', `unlock needs a positive duration, got ${ms}`, { id: this.id, field: 'ms' });
    this.assertReady();
    this.released = true;
    if (!this.holding) this.armRelock(Math.max(this.relockAt ?? 0, this.clock.now() + ms));
    await this.renew();
  }

  async lock(): Promise<void> {
    this.rest();
    this.assertReady();
    await this.board.send(this.intendedCommand());
  }

  async hold(released: boolean): Promise<void> {
    if (!released) return this.lock();
    this.assertReady();
    this.cancelRelock();
    this.holding = true;
    this.released = true;
    await this.renew();
  }

  /** @internal the command for what this door should be now: a flash while released, else the latched rest */
  intendedCommand(): RelayCommand {
    const restEnergised = this.failSafe;
    if (!this.released) return { kind: 'latch', channel: this.channel, energised: restEnergised };
    const left = this.holding || this.relockAt === null ? this.board.keepaliveMs : Math.min(this.board.keepaliveMs, this.relockAt - this.clock.now());
    return { kind: 'pulse', channel: this.channel, energised: !restEnergised, units: flashUnits(left) };
  }

  /** @internal back to locked: no timers, no hold */
  rest(): void {
    this.cancelRelock();
    this.clock.clearTimeout(this.keepaliveTimer);
    this.keepaliveTimer = null;
    this.holding = false;
    this.released = false;
  }

  /** @internal the board confirmed `command` for this channel (null: a command failed) */
  written(command: RelayCommand | null): void {
    this.confirmedReleased = command === null ? null : command.kind === 'pulse';
    if (command?.kind === 'pulse') this.armKeepalive();
    this.emitState();
  }

  /** @internal */
  boardHealth(health: Health): void {
    if (!this.started) return;
    if (health.state === 'offline') this.confirmedReleased = null;
    this.setHealth(health.state, health.reason);
    this.emitState();
  }

  /** @internal */
  boardStopped(): void {
    if (!this.started) return;
    this.started = false;
    this.rest();
    this.setHealth('offline', STOPPED);
    this.emitState();
  }

  private assertReady(): void {
    if (!this.started) throw new GatewayError('DEVICE_OFFLINE', `actuator ${this.id} is not started`, { id: this.id });
    if (!this.board.isOpen) throw this.board.offlineError();
  }

  /** Sends the release's next flash; the keepalive is armed when the board confirmed it. */
  private renew(): Promise<void> {
    this.clock.clearTimeout(this.keepaliveTimer);
    this.keepaliveTimer = null;
    return this.board.send(this.intendedCommand());
  }

  /** Re-sends the flash at half its length while the release outlasts it. */
  private armKeepalive(): void {
    this.clock.clearTimeout(this.keepaliveTimer);
    this.keepaliveTimer = null;
    const keepalive = this.board.keepaliveMs;
    if (!this.released) return;
    if (!this.holding && this.relockAt !== null && this.relockAt - this.clock.now() <= keepalive) return; // this flash covers the rest
    this.keepaliveTimer = this.clock.setTimeout(() => {
      this.keepaliveTimer = null;
      this.renew().catch((err: unknown) => {
        this.log.warn({ err }, 'keepalive flash not confirmed; the board ends the release by itself, the next keepalive tries again');
        this.armKeepalive();
      });
    }, keepalive / 2);
  }

  private armRelock(at: number): void {
    this.clock.clearTimeout(this.relockTimer);
    this.relockAt = at;
    this.relockTimer = this.clock.setTimeout(() => {
      this.relockTimer = null;
      this.relockAt = null;
      this.rest();
      this.board.send(this.intendedCommand()).catch((err: unknown) => this.log.warn({ err }, 're-lock not confirmed; the board ends its flash by itself and the state is re-sent when the link returns'));
    }, at - this.clock.now());
  }

  private cancelRelock(): void {
    this.clock.clearTimeout(this.relockTimer);
    this.relockTimer = null;
    this.relockAt = null;
  }

  private emitState(): void {
    const state = this.state();
    if (state === this.lastState) return;
    this.lastState = state;
    this.emitGuarded('state', state);
  }
}
