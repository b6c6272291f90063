/**
 * One serial connection to a peer (a Wiegand bridge, a relay board, a fingerprint sensor),
 * shared by the drivers that speak over it. It opens the port, hands every received chunk to
 * `data` listeners, writes with drain, and when the port fails or disappears (USB adapter
 * unplugged) it reports `offline` and reopens with exponential backoff on the injected clock —
 * forever, until stop().
 *
 * start(), stop() and the reopens run one at a time, in call order: stop() waits for an open in
 * flight and closes what it opened, so no port is left open (or opened) after stop() resolved,
 * and a start() right after stop() opens only once the old port is closed. A real port closes
 * through fencedClose.ts: its fd is freed only after its last read or write returned.
 *
 * Tests either open a socat pseudo-terminal by path (real serial I/O) or set `mock: true` and
 * create the port first with `SerialPortMock.binding.createPort(path)` from 'serialport'
 * (the same module copy this file uses).
 */
import { EventEmitter } from 'node:events';
import { SerialPort, SerialPortMock } from 'serialport';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../../kernel/clock.js';
import { GatewayError } from '../../kernel/gatewayError.js';
import type { Health } from '../types.js';
import { type Binding, fencedClose } from './fencedClose.js';

/** The platform binding, whose ports free their fd only after their last read or write returned. */
const platformBinding = fencedClose(SerialPort.binding as Binding) as typeof SerialPort.binding;

export interface SerialLinkOptions {
  /** /dev/serial/by-id/... (stable across reboots) or a PTY path in tests */
  path: string;
  baudRate: number;
  clock: Clock;
  logger: Logger;
  /** use serialport's mock binding (tests); default: the platform binding */
  mock?: boolean;
  /** first reopen delay; doubles up to maxReopenMs. Default 500 */
  reopenMs?: number;
  /** default 30,000 */
  maxReopenMs?: number;
}

export type SerialLinkEvents = {
  data: [Buffer];
  health: [Health];
  /** the port (re)opened: drivers resynchronise their framing and re-send state */
  open: [];
};

export class SerialLink extends EventEmitter<SerialLinkEvents> {
  private port: SerialPort | SerialPortMock | null = null;
  private current: Health;
  private reopenTimer: TimerHandle | null = null;
  private reopenDelay: number;
  private stopped = true;
  /** start/stop/reopen, one at a time */
  private lifecycle: Promise<void> = Promise.resolve();
  private readonly log: Logger;

  constructor(private readonly options: SerialLinkOptions) {
    super();
    this.current = { state: 'offline', reason: 'not started', since: options.clock.now() };
    this.reopenDelay = options.reopenMs ?? 500;
    this.log = options.logger.child({ module: 'hal:serial', path: options.path });
  }

  health(): Health {
    return this.current;
  }

  get isOpen(): boolean {
    return this.port?.isOpen === true;
  }

  /** Opens the port; resolves after the first attempt whether or not it succeeded (health says). */
  start(): Promise<void> {
    return this.serialize(async () => {
      if (!this.stopped) return;
      this.stopped = false;
      await this.open();
    });
  }

  /** Closes the port, including one whose open was in flight; resolves when it is closed. */
  stop(): Promise<void> {
    // at once, so that an open in flight closes its port instead of keeping it
    this.stopped = true;
    this.options.clock.clearTimeout(this.reopenTimer);
    this.reopenTimer = null;
    return this.serialize(async () => {
      this.stopped = true;
      const port = this.port;
      this.port = null;
      if (port?.isOpen) await closePort(port);
      this.setHealth('offline', 'stopped');
    });
  }

  /** Writes and waits until the bytes left the process. Rejects with DEVICE_OFFLINE when closed. */
  async write(bytes: Buffer | string): Promise<void> {
    const port = this.port;
    if (!port?.isOpen) throw new GatewayError('DEVICE_OFFLINE', `serial port ${this.options.path} is not open: ${this.current.reason}`);
    await new Promise<void>((resolve, reject) => {
      port.write(bytes, (err) => (err ? reject(new GatewayError('DEVICE_ERROR', `write to ${this.options.path} failed: ${err.message}`, {}, { cause: err })) : undefined));
      port.drain((err) => (err ? reject(new GatewayError('DEVICE_ERROR', `drain of ${this.options.path} failed: ${err.message}`, {}, { cause: err })) : resolve()));
    });
  }

  private async open(): Promise<void> {
    const { path, baudRate } = this.options;
    const port = this.options.mock
      ? new SerialPortMock({ path, baudRate, autoOpen: false })
      : new SerialPort({ path, baudRate, autoOpen: false, binding: platformBinding } as ConstructorParameters<typeof SerialPort>[0]);
    const error = await new Promise<Error | null>((resolve) => port.open((err) => resolve(err ?? null)));
    if (this.stopped) {
      // stop() was called while this port was opening: it waits for this close
      if (!error) await closePort(port);
      return;
    }
    if (error) {
      this.setHealth('offline', `cannot open ${path}: ${error.message}`);
      this.scheduleReopen();
      return;
    }
    this.port = port;
    this.reopenDelay = this.options.reopenMs ?? 500;
    port.on('data', (chunk: Buffer) => this.emitGuarded('data', chunk));
    port.on('error', (err: Error) => this.log.warn({ err: err.message }, 'serial port error'));
    port.on('close', (err?: Error & { disconnected?: boolean }) => {
      if (this.port !== port) return;
      this.port = null;
      if (this.stopped) return;
      this.setHealth('offline', err ? `${path} closed: ${err.message}` : `${path} closed`);
      this.scheduleReopen();
    });
    this.setHealth('online', `${path} open at ${baudRate} baud`);
    this.emitGuarded('open');
  }

  private scheduleReopen(): void {
    if (this.stopped || this.reopenTimer) return;
    const delay = this.reopenDelay;
    this.reopenDelay = Math.min(this.reopenDelay * 2, this.options.maxReopenMs ?? 30_000);
    this.reopenTimer = this.options.clock.setTimeout(() => {
      this.reopenTimer = null;
      this.serialize(async () => {
        if (!this.stopped) await this.open();
      }).catch(() => undefined); // logged by serialize()
    }, delay);
  }

  private serialize(step: () => Promise<void>): Promise<void> {
    const done = this.lifecycle.then(step);
    this.lifecycle = done.catch((err: unknown) => this.log.error({ err }, 'serial link start/stop failed'));
    return done;
  }

  private setHealth(state: Health['state'], reason: string): void {
    if (this.current.state === state && this.current.reason === reason) return;
    this.current = { state, reason, since: this.options.clock.now() };
    if (state === 'online') this.log.info(reason);
    else this.log.warn({ state }, reason);
    this.emitGuarded('health', this.current);
  }

  private emitGuarded<K extends keyof SerialLinkEvents>(event: K, ...args: SerialLinkEvents[K]): void {
    for (const listener of this.rawListeners(event) as ((...a: SerialLinkEvents[K]) => void)[]) {
      try {
        listener(...args);
      } catch (err) {
        this.log.error({ err, event }, 'a serial listener threw; the link carries on');
      }
    }
  }
}

/** Resolves when the port is closed (or was not open). */
function closePort(port: SerialPort | SerialPortMock): Promise<void> {
  return new Promise((resolve) => port.close(() => resolve()));
}
