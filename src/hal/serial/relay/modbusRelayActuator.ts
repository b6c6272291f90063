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
import type { ActuatorState, Health } from '../../types.js';
import { RelayChannel, type RelayChannelBoard, type RelayChannelOptions } from './relayChannel.js';
import { flashUnits, type RelayCommand } from './waveshareCommand.js';

export type ModbusRelayActuatorOptions = RelayChannelOptions;

/** What the actuator needs of its board (ModbusRelayBoard). */
export interface LeaseBoard extends RelayChannelBoard {
  readonly keepaliveMs: number;
  send(command: RelayCommand): Promise<void>;
}

export class ModbusRelayActuator extends RelayChannel {
  private keepaliveTimer: TimerHandle | null = null;
  /** the released/locked state the board last confirmed; null = unknown */
  private confirmedReleased: boolean | null = null;
  protected readonly relockFailedNote = 're-lock not confirmed; the board ends its flash by itself and the state is re-sent when the link returns';

  constructor(
    private readonly board: LeaseBoard,
    channel: number,
    options: ModbusRelayActuatorOptions,
    clock: Clock,
    logger: Logger,
  ) {
    super(board, channel, options, clock, logger);
  }

  state(): ActuatorState {
    if (!this.started || this.health().state !== 'online' || this.confirmedReleased === null) return 'unknown';
    return this.confirmedReleased ? 'unlocked' : 'locked';
  }

  /** @internal the command for what this door should be now: a flash while released, else the latched rest */
  intendedCommand(): RelayCommand {
    const restEnergised = this.failSafe;
    if (!this.released) return { kind: 'latch', channel: this.channel, energised: restEnergised };
    const left = this.holding || this.relockAt === null ? this.board.keepaliveMs : Math.min(this.board.keepaliveMs, this.relockAt - this.clock.now());
    return { kind: 'pulse', channel: this.channel, energised: !restEnergised, units: flashUnits(left) };
  }

  /** @internal back to locked: no timers, no hold */
  override rest(): void {
    super.rest();
    this.clearKeepalive();
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

  /** Sends the release's next flash (or the rest); the keepalive is armed when the board confirmed it. */
  protected apply(): Promise<void> {
    this.clearKeepalive();
    return this.board.send(this.intendedCommand());
  }

  protected forgetApplied(): void {
    this.confirmedReleased = null;
  }

  private clearKeepalive(): void {
    this.clock.clearTimeout(this.keepaliveTimer);
    this.keepaliveTimer = null;
  }

  /** Re-sends the flash at half its length while the release outlasts it. */
  private armKeepalive(): void {
    this.clearKeepalive();
    const keepalive = this.board.keepaliveMs;
    if (!this.released) return;
    if (!this.holding && this.relockAt !== null && this.relockAt - this.clock.now() <= keepalive) return; // this flash covers the rest
    this.keepaliveTimer = this.clock.setTimeout(() => {
      this.keepaliveTimer = null;
      this.apply().catch((err: unknown) => {
        this.log.warn({ err }, 'keepalive flash not confirmed; the board ends the release by itself, the next keepalive tries again');
        this.armKeepalive();
      });
    }, keepalive / 2);
  }
}
