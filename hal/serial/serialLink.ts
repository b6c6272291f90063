/**
 * One serial connection to a peer (a Wiegand bridge, a relay board, a fingerprint sensor),
 * shared by the drivers that speak over it. It opens the port, hands every received chunk to
 * `data` listeners, writes with drain, and when the port fails or disappears (USB adapter
 * unplugged) it reports `offline` and reopens with exponential backoff on the injected clock —
 * forever, until stop().
 *
 * Tests either open a socat pseudo-terminal by path (real serial I/O) or set `mock: true` and
 * create the port first with `SerialPortMock.binding.createPort(path)` from 'serialport'
 * (the same module copy this file uses).
 */
import { EventEmitter } from 'node:events';
import { SerialPort, SerialPortMock } from 'serialport';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../../src/clock.js';
import { GatewayError } from '../../src/gatewayError.js';
import type { Health } from '../types.js';

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
  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    await this.open();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.options.clock.clearTimeout(this.reopenTimer);
    this.reopenTimer = null;
    const port = this.port;
    this.port = null;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
    this.setHealth('offline', 'stopped');
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
    const port = this.options.mock ? new SerialPortMock({ path, baudRate, autoOpen: false }) : new SerialPort({ path, baudRate, autoOpen: false });
    const error = await new Promise<Error | null>((resolve) => port.open((err) => resolve(err ?? null)));
    if (this.stopped) {
      if (!error) port.close();
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
      void this.open();
    }, delay);
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
