/**
 * A USB (CH340) relay board speaking `A0 <channel> <state> <checksum>` at 9600 baud, over one
 * SerialLink. `board.actuator(channel, {id, failSafe})` gives one DoorActuator per relay.
 *
 * Wiring and what "released" means (docs/relay-board.md):
 *  - fail-secure strike (failSafe: false): released by energising the relay; at rest (locked)
 *    the relay is de-energised.
 *  - fail-safe maglock (failSafe: true): released by de-energising the relay; at rest (locked)
 *    the relay is energised — by necessity. Life safety must not depend on this gateway: wire
 *    the maglock supply through the fire panel's release contact.
 *
 * The boards give no feedback: a command resolves when its bytes drained, and `state()` is what
 * was last written (`unknown` while the link is down — the board may have lost power). Writes go
 * through one queue per board. On every link (re)open and every `refreshMs` the board re-sends
 * every channel's intended state (the boards forget on brown-out; unused channels are sent off).
 * Commands while the link is down reject DEVICE_OFFLINE; `lock()` and `hold(false)` still record
 * the locked intention first, so the door locks when the link returns.
 *
 * Lifecycle: the board starts with its first actuator's start() (or board.start()) and stops
 * with its last actuator's stop() (or board.stop()). Stopping sends every channel's resting
 * state — fail-secure channels and unused channels de-energised; a fail-safe channel is left
 * energised (locked), never released — and then closes the link.
 */
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../../../kernel/clock.js';
import { GatewayError } from '../../../kernel/gatewayError.js';
import type { ActuatorState, DoorActuator, Health } from '../../types.js';
import type { SerialLink } from '../serialLink.js';
import { encodeRelayFrame, RELAY_MAX_CHANNELS, type RelayFrame } from './relayFrame.js';
import { RelayChannel, type RelayChannelOptions } from './relayChannel.js';

export const RELAY_BAUD_RATE = 9600;

export interface RelayBoardOptions {
  /** for logs, e.g. 'relays-1' */
  id: string;
  /** opened at RELAY_BAUD_RATE; the board owns its lifecycle */
  link: SerialLink;
  clock: Clock;
  logger: Logger;
  /** relays on the board, 1..16 */
  channels: number;
  /** re-send every channel's intended state this often; 0 disables. Default 30,000 */
  refreshMs?: number;
}

export type RelayActuatorOptions = RelayChannelOptions;

export class RelayBoard {
  private readonly actuators = new Map<number, RelayActuator>();
  private readonly log: Logger;
  private readonly refreshMs: number;
  private queue: Promise<void> = Promise.resolve();
  private running = false;
  private starting: Promise<void> | null = null;
  private opening = false;
  private refreshTimer: TimerHandle | null = null;
  private users = 0;

  constructor(private readonly options: RelayBoardOptions) {
    const { channels, refreshMs = 30_000 } = options;
    if (!Number.isInteger(channels) || channels < 1 || channels > RELAY_MAX_CHANNELS) {
      throw new GatewayError('CONFIG_INVALID', `relay board ${options.id}: channels must be 1..${RELAY_MAX_CHANNELS}`, { id: options.id, field: 'channels' });
    }
    if (!Number.isFinite(refreshMs) || refreshMs < 0) {
      throw new GatewayError('CONFIG_INVALID', `relay board ${options.id}: refreshMs must be >= 0`, { id: options.id, field: 'refreshMs' });
    }
    this.refreshMs = refreshMs;
    this.log = options.logger.child({ module: 'hal:relay', board: options.id });
  }

  /** One actuator per channel; throws CONFIG_INVALID for a channel out of range or taken. */
  actuator(channel: number, options: RelayActuatorOptions): DoorActuator {
    if (!Number.isInteger(channel) || channel < 1 || channel > this.options.channels) {
      throw new GatewayError('CONFIG_INVALID', `relay board ${this.options.id} has channels 1..${this.options.channels}, not ${channel}`, { id: options.id, field: 'channel' });
    }
    if (this.actuators.has(channel)) {
      throw new GatewayError('CONFIG_INVALID', `relay board ${this.options.id} channel ${channel} is already used by ${this.actuators.get(channel)!.id}`, { id: options.id, field: 'channel' });
    }
    const actuator = new RelayActuator(this, channel, options, this.options.clock, this.log);
    this.actuators.set(channel, actuator);
    return actuator;
  }

  /** The link's health. */
  health(): Health {
    return this.options.link.health();
  }

  get isOpen(): boolean {
    return this.running && this.options.link.isOpen;
  }

  /** Opens the link and sends every channel's intended state; idempotent. */
  async start(): Promise<void> {
    if (this.running) return this.starting ?? undefined;
    this.running = true;
    this.options.link.on('open', this.onOpen);
    this.options.link.on('health', this.onHealth);
    this.opening = true;
    this.starting = (async () => {
      try {
        await this.options.link.start();
      } finally {
        this.opening = false;
      }
      if (this.options.link.isOpen) await this.reconcile('start');
      this.scheduleRefresh();
    })();
    try {
      await this.starting;
    } finally {
      this.starting = null;
    }
  }

  /** Sends every channel's resting state (see the file comment), then closes the link. */
  async stop(): Promise<void> {
    if (!this.running) return;
    if (this.starting) await this.starting.catch(() => undefined);
    this.running = false;
    this.users = 0;
    this.options.clock.clearTimeout(this.refreshTimer);
    this.refreshTimer = null;
    for (const actuator of this.actuators.values()) actuator.rest();
    if (this.options.link.isOpen) {
      await this.enqueue(this.intendedFrames()).catch((err: unknown) => this.log.error({ err }, 'could not send the resting state before closing'));
    }
    await this.queue;
    this.options.link.off('open', this.onOpen);
    this.options.link.off('health', this.onHealth);
    await this.options.link.stop();
    for (const actuator of this.actuators.values()) actuator.boardStopped();
  }

  /** @internal an actuator started: start the board if needed; a late joiner sends its state */
  async attach(actuator: RelayActuator): Promise<void> {
    this.users++;
    const wasRunning = this.running && !this.starting;
    await this.start();
    if (wasRunning && this.options.link.isOpen) {
      await this.enqueue([actuator.intendedFrame()]).catch((err: unknown) => this.log.warn({ err, channel: actuator.channel }, 'could not send a late actuator\'s state; the next refresh will'));
    }
  }

  /** @internal an actuator stopped: the last one stops the board */
  async detach(): Promise<void> {
    this.users = Math.max(0, this.users - 1);
    if (this.users === 0) await this.stop();
  }

  /** @internal writes one channel's state; rejects DEVICE_OFFLINE when the link is down */
  send(frame: RelayFrame): Promise<void> {
    if (!this.isOpen) return Promise.reject(this.offlineError());
    return this.enqueue([frame]);
  }

  /** @internal */
  offlineError(): GatewayError {
    const reason = this.running ? this.options.link.health().reason : 'not started';
    return new GatewayError('DEVICE_OFFLINE', `relay board ${this.options.id} is offline: ${reason}`, { id: this.options.id });
  }

  private readonly onOpen = (): void => {
    if (this.opening) return; // start() reconciles itself
    void this.reconcile('link reopened');
  };

  private readonly onHealth = (health: Health): void => {
    for (const actuator of this.actuators.values()) actuator.boardHealth(health);
  };

  private reconcile(why: string): Promise<void> {
    this.log.info({ why }, 'sending every channel its intended state');
    return this.enqueue(this.intendedFrames()).catch((err: unknown) => this.log.warn({ err, why }, 'state reconciliation failed'));
  }

  private intendedFrames(): RelayFrame[] {
    const frames: RelayFrame[] = [];
    for (let channel = 1; channel <= this.options.channels; channel++) {
      frames.push(this.actuators.get(channel)?.intendedFrame() ?? { channel, energised: false });
    }
    return frames;
  }

  private scheduleRefresh(): void {
    if (!this.running || this.refreshMs === 0) return;
    this.refreshTimer = this.options.clock.setTimeout(() => {
      this.refreshTimer = null;
      if (this.options.link.isOpen) void this.reconcile('refresh');
      this.scheduleRefresh();
    }, this.refreshMs);
  }

  /** One queue per board: frames go out in order, one write at a time. */
  private enqueue(frames: RelayFrame[]): Promise<void> {
    const job = this.queue.then(async () => {
      for (const frame of frames) {
        const actuator = this.actuators.get(frame.channel);
        try {
          await this.options.link.write(encodeRelayFrame(frame));
        } catch (err) {
          actuator?.written(null);
          throw err;
        }
        actuator?.written(frame.energised);
      }
    });
    this.queue = job.catch(() => undefined);
    return job;
  }
}

/** One relay channel as a DoorActuator, showing the link's health (the link logs it). Created by RelayBoard.actuator(). */
export class RelayActuator extends RelayChannel {
  /** the energised level last written; null = unknown */
  private appliedEnergised: boolean | null = null;
  protected readonly relockFailedNote = 're-lock not written; the intended state is re-sent when the link returns';

  constructor(
    private readonly board: RelayBoard,
    channel: number,
    options: RelayActuatorOptions,
    clock: Clock,
    logger: Logger,
  ) {
    super(board, channel, options, clock, logger);
  }

  state(): ActuatorState {
    if (!this.started || !this.board.isOpen || this.appliedEnergised === null) return 'unknown';
    return this.appliedEnergised === this.energisedWhen(true) ? 'unlocked' : 'locked';
  }

  /** @internal the frame for what this door should be now */
  intendedFrame(): RelayFrame {
    return { channel: this.channel, energised: this.energisedWhen(this.released) };
  }

  /** @internal a write of this channel finished (null: it failed) */
  written(energised: boolean | null): void {
    this.appliedEnergised = energised;
    this.emitState();
  }

  /** @internal */
  boardHealth(health: Health): void {
    if (!this.started) return;
    if (health.state !== 'online') this.appliedEnergised = null;
    this.setHealth(health.state, health.reason);
    this.emitState();
  }

  protected apply(): Promise<void> {
    return this.board.send(this.intendedFrame());
  }

  protected forgetApplied(): void {
    this.appliedEnergised = null;
  }

  private energisedWhen(released: boolean): boolean {
    return this.failSafe ? !released : released;
  }
}
