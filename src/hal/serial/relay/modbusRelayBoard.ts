/**
 * A Waveshare "Modbus RTU Relay" board on RS-485 (waveshareCommand.ts), over one SerialLink.
 * `board.actuator(channel, {id, failSafe})` gives one DoorActuator per relay
 * (modbusRelayActuator.ts).
 *
 * Unlike the LCUS boards these answer: every command is one transaction — write, then wait up to
 * `answerTimeoutMs` for the board's echo — and transactions run one at a time in a queue per
 * board. An exact echo confirms the command; an exception answer rejects DEVICE_ERROR; no echo
 * in time (missing, corrupted, someone else's) rejects DEVICE_TIMEOUT.
 *
 * Health, from one state: the link closed → offline with the link's reason; link open and the
 * last transaction confirmed (or none yet) → online; 1..offlineAfter-1 unanswered transactions in
 * a row → degraded; offlineAfter in a row → offline "not answering". Any confirmed answer is
 * online again. Commands are still tried while the board does not answer: each is a probe.
 *
 * The crash bound: a release is sent as a timed flash the board ends by itself, never as a
 * latched level; a long release is a chain of flashes of at most `keepaliveMs` re-sent every
 * keepaliveMs / 2 (the actuator's lease). A gateway that dies mid-release leaves the door released
 * for at most keepaliveMs (plus one 100 ms unit of rounding).
 *
 * Lifecycle as RelayBoard: starts with its first actuator, stops with its last. Start and every
 * link (re)open send every channel its intended command (unused channels off); so does every
 * `refreshMs`. Stopping sends every channel its resting state (nothing released), then closes.
 */
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../../../kernel/clock.js';
import { GatewayError } from '../../../kernel/gatewayError.js';
import type { DoorActuator, Health, HealthState } from '../../types.js';
import type { SerialLink } from '../serialLink.js';
import { encodeModbusFrame, ModbusFrameStream, type ModbusFrame } from './modbusFrame.js';
import { ModbusRelayActuator, type ModbusRelayActuatorOptions } from './modbusRelayActuator.js';
import { encodeRelayCommand, FLASH_MAX_UNITS, FLASH_UNIT_MS, type RelayCommand } from './waveshareCommand.js';

export const MODBUS_RELAY_MAX_CHANNELS = 16;

export interface ModbusRelayBoardOptions {
  /** for logs, e.g. 'relays-1' */
  id: string;
  link: SerialLink;
  clock: Clock;
  logger: Logger;
  /** relays on the board, 1..16 */
  channels: number;
  /** the board's Modbus address, 1..247. Default 1 (factory setting) */
  unit?: number;
  /** the longest flash a release is sent as; a crash releases for at most this long. Default 5,000 */
  keepaliveMs?: number;
  /** how long to wait for the echo. Default 250 */
  answerTimeoutMs?: number;
  /** unanswered transactions in a row after which the board is offline. Default 3 */
  offlineAfter?: number;
  /** re-send every channel's intended command this often; 0 disables. Default 30,000 */
  refreshMs?: number;
}

interface Pending {
  expect: Buffer;
  resolve: () => void;
  reject: (err: GatewayError) => void;
  timer: TimerHandle;
}

export class ModbusRelayBoard {
  private readonly actuators = new Map<number, ModbusRelayActuator>();
  private readonly log: Logger;
  private readonly unit: number;
  readonly keepaliveMs: number;
  private readonly answerTimeoutMs: number;
  private readonly offlineAfter: number;
  private readonly refreshMs: number;
  private readonly stream = new ModbusFrameStream();
  private queue: Promise<void> = Promise.resolve();
  private pending: Pending | null = null;
  private unanswered = 0;
  private running = false;
  private starting: Promise<void> | null = null;
  private opening = false;
  private refreshTimer: TimerHandle | null = null;
  private users = 0;
  private lastHealth: Health;

  constructor(private readonly options: ModbusRelayBoardOptions) {
    const { id, channels, unit = 1, keepaliveMs = 5_000, answerTimeoutMs = 250, offlineAfter = 3, refreshMs = 30_000 } = options;
    const invalid = (field: string, rule: string) => new GatewayError('CONFIG_INVALID', `relay board ${id}: ${field} must be ${rule}`, { id, field });
    if (!Number.isInteger(channels) || channels < 1 || channels > MODBUS_RELAY_MAX_CHANNELS) throw invalid('channels', `1..${MODBUS_RELAY_MAX_CHANNELS}`);
    if (!Number.isInteger(unit) || unit < 1 || unit > 247) throw invalid('unit', '1..247');
    if (!Number.isInteger(keepaliveMs) || keepaliveMs < 1_000 || keepaliveMs > FLASH_MAX_UNITS * FLASH_UNIT_MS) throw invalid('keepaliveMs', `1,000..${FLASH_MAX_UNITS * FLASH_UNIT_MS}`);
    if (!Number.isInteger(answerTimeoutMs) || answerTimeoutMs < 10 || answerTimeoutMs > keepaliveMs / 4) throw invalid('answerTimeoutMs', '10..keepaliveMs / 4');
    if (!Number.isInteger(offlineAfter) || offlineAfter < 1) throw invalid('offlineAfter', '>= 1');
    if (!Number.isFinite(refreshMs) || refreshMs < 0) throw invalid('refreshMs', '>= 0');
    this.unit = unit;
    this.keepaliveMs = keepaliveMs;
    this.answerTimeoutMs = answerTimeoutMs;
    this.offlineAfter = offlineAfter;
    this.refreshMs = refreshMs;
    this.log = options.logger.child({ module: 'hal:relay', board: id, protocol: 'waveshare-modbus' });
    this.lastHealth = { state: 'offline', reason: 'not started', since: options.clock.now() };
  }

  /** One actuator per channel; throws CONFIG_INVALID for a channel out of range or taken. */
  actuator(channel: number, options: ModbusRelayActuatorOptions): DoorActuator {
    const { id } = this.options;
    if (!Number.isInteger(channel) || channel < 1 || channel > this.options.channels) {
      throw new GatewayError('CONFIG_INVALID', `relay board ${id} has channels 1..${this.options.channels}, not ${channel}`, { id: options.id, field: 'channel' });
    }
    if (this.actuators.has(channel)) {
      throw new GatewayError('CONFIG_INVALID', `relay board ${id} channel ${channel} is already used by ${this.actuators.get(channel)!.id}`, { id: options.id, field: 'channel' });
    }
    const actuator = new ModbusRelayActuator(this, channel, options, this.options.clock, this.log);
    this.actuators.set(channel, actuator);
    return actuator;
  }

  health(): Health {
    return { ...this.lastHealth };
  }

  get isOpen(): boolean {
    return this.running && this.options.link.isOpen;
  }

  async start(): Promise<void> {
    if (this.running) return this.starting ?? undefined;
    this.running = true;
    const { link } = this.options;
    link.on('open', this.onOpen);
    link.on('health', this.onLinkHealth);
    link.on('data', this.onData);
    this.opening = true;
    this.starting = (async () => {
      try {
        await link.start();
      } finally {
        this.opening = false;
      }
      this.onLinkHealth(link.health());
      if (link.isOpen) await this.reconcile('start');
      this.scheduleRefresh();
    })();
    try {
      await this.starting;
    } finally {
      this.starting = null;
    }
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    if (this.starting) await this.starting.catch(() => undefined);
    this.running = false;
    this.users = 0;
    this.options.clock.clearTimeout(this.refreshTimer);
    this.refreshTimer = null;
    for (const actuator of this.actuators.values()) actuator.rest();
    if (this.options.link.isOpen) {
      await this.enqueue(this.intendedCommands()).catch((err: unknown) => this.log.error({ err }, 'could not send the resting state before closing'));
    }
    await this.queue;
    const { link } = this.options;
    link.off('open', this.onOpen);
    link.off('health', this.onLinkHealth);
    link.off('data', this.onData);
    await link.stop();
    this.setHealth('offline', 'stopped');
    for (const actuator of this.actuators.values()) actuator.boardStopped();
  }

  /** Resolves when no transaction is queued or waiting for its answer. */
  async idle(): Promise<void> {
    let seen: Promise<void>;
    do {
      seen = this.queue;
      await seen;
    } while (seen !== this.queue);
  }

  /** @internal */
  async attach(actuator: ModbusRelayActuator): Promise<void> {
    this.users++;
    const wasRunning = this.running && !this.starting;
    await this.start();
    if (wasRunning && this.options.link.isOpen) {
      await this.enqueue([actuator.intendedCommand()]).catch((err: unknown) => this.log.warn({ err, channel: actuator.channel }, 'could not send a late actuator\'s state; the next refresh will'));
    }
  }

  /** @internal */
  async detach(): Promise<void> {
    this.users = Math.max(0, this.users - 1);
    if (this.users === 0) await this.stop();
  }

  /** @internal one command as a transaction; rejects DEVICE_OFFLINE when the link is down */
  send(command: RelayCommand): Promise<void> {
    if (!this.isOpen) return Promise.reject(this.offlineError());
    return this.enqueue([command]);
  }

  /** @internal */
  offlineError(): GatewayError {
    const reason = this.running ? this.options.link.health().reason : 'not started';
    return new GatewayError('DEVICE_OFFLINE', `relay board ${this.options.id} is offline: ${reason}`, { id: this.options.id });
  }

  private readonly onOpen = (): void => {
    if (this.opening) return;
    void this.reconcile('link reopened');
  };

  private readonly onLinkHealth = (health: Health): void => {
    if (health.state === 'online') {
      this.unanswered = 0;
      this.setHealth('online', health.reason);
    } else {
      this.setHealth(health.state, health.reason);
    }
  };

  private readonly onData = (chunk: Buffer): void => {
    const { items, dropped } = this.stream.push(chunk);
    const droppedBytes = Object.values(dropped).reduce((a, b) => a + b, 0);
    if (droppedBytes > 0) this.log.debug({ dropped }, 'dropped bytes that were not a valid answer');
    for (const frame of items) this.answer(frame);
  };

  private answer(frame: ModbusFrame): void {
    const pending = this.pending;
    if (!pending) {
      this.log.debug({ frame }, 'an answer nobody waited for (late, or not ours): ignored');
      return;
    }
    if (frame.kind === 'exception' && frame.unit === this.unit) {
      this.settle(pending);
      this.confirmed();
      pending.reject(new GatewayError('DEVICE_ERROR', `relay board ${this.options.id} refused the command: Modbus exception ${frame.code}`, { id: this.options.id }));
      return;
    }
    if (!encodeModbusFrame(frame).equals(pending.expect)) {
      this.log.debug({ frame }, 'an answer that is not the echo of the command: ignored');
      return;
    }
    this.settle(pending);
    this.confirmed();
    pending.resolve();
  }

  private settle(pending: Pending): void {
    this.options.clock.clearTimeout(pending.timer);
    this.pending = null;
  }

  private confirmed(): void {
    this.unanswered = 0;
    if (this.options.link.isOpen) this.setHealth('online', `unit ${this.unit} answering`);
  }

  private unansweredOne(): void {
    this.unanswered++;
    const state: HealthState = this.unanswered >= this.offlineAfter ? 'offline' : 'degraded';
    this.setHealth(state, `unit ${this.unit} did not answer ${this.unanswered === 1 ? 'the last command' : `the last ${this.unanswered} commands`} within ${this.answerTimeoutMs} ms`);
  }

  private setHealth(state: HealthState, reason: string): void {
    if (this.lastHealth.state === state && this.lastHealth.reason === reason) return;
    this.lastHealth = { state, reason, since: this.options.clock.now() };
    if (state === 'online') this.log.info(reason);
    else if (reason !== 'stopped') this.log.warn({ state }, reason);
    for (const actuator of this.actuators.values()) actuator.boardHealth(this.health());
  }

  private reconcile(why: string): Promise<void> {
    this.log.info({ why }, 'sending every channel its intended state');
    return this.enqueue(this.intendedCommands()).catch((err: unknown) => this.log.warn({ err, why }, 'state reconciliation failed'));
  }

  private intendedCommands(): RelayCommand[] {
    const commands: RelayCommand[] = [];
    for (let channel = 1; channel <= this.options.channels; channel++) {
      commands.push(this.actuators.get(channel)?.intendedCommand() ?? { kind: 'latch', channel, energised: false });
    }
    return commands;
  }

  private scheduleRefresh(): void {
    if (!this.running || this.refreshMs === 0) return;
    this.refreshTimer = this.options.clock.setTimeout(() => {
      this.refreshTimer = null;
      if (this.options.link.isOpen) void this.reconcile('refresh');
      this.scheduleRefresh();
    }, this.refreshMs);
  }

  /** One queue per board, one transaction at a time. A batch stops at its first failure. */
  private enqueue(commands: RelayCommand[]): Promise<void> {
    const job = this.queue.then(async () => {
      for (const command of commands) {
        const actuator = this.actuators.get(command.channel);
        try {
          await this.transact(command);
        } catch (err) {
          actuator?.written(null);
          throw err;
        }
        actuator?.written(command);
      }
    });
    this.queue = job.catch(() => undefined);
    return job;
  }

  private async transact(command: RelayCommand): Promise<void> {
    const request = encodeModbusFrame(encodeRelayCommand(this.unit, command));
    this.stream.reset(); // what is left of an earlier answer can never complete
    const answered = new Promise<void>((resolve, reject) => {
      const timer = this.options.clock.setTimeout(() => {
        if (this.pending?.timer !== timer) return;
        this.pending = null;
        this.unansweredOne();
        reject(new GatewayError('DEVICE_TIMEOUT', `relay board ${this.options.id} (unit ${this.unit}) did not answer within ${this.answerTimeoutMs} ms`, { id: this.options.id }));
      }, this.answerTimeoutMs);
      this.pending = { expect: request, resolve, reject, timer };
    });
    answered.catch(() => undefined); // the answer (or its timeout) may come before the write drained; awaited below
    try {
      await this.options.link.write(request);
    } catch (err) {
      if (this.pending) this.settle(this.pending);
      throw err;
    }
    await answered;
  }
}
