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
 * The binding is a constructor option, as in serialport's own design: by default the platform
 * binding, fenced (fencedClose.ts). Tests either open a socat pseudo-terminal by path (real
 * serial I/O) or pass `binding: SerialPortMock.binding` — serialport's MockBinding, taken from
 * 'serialport' itself (importing @serialport/binding-mock separately in ESM gives another module
 * copy) — after creating the port with `SerialPortMock.binding.createPort(path)`.
 */
// the package's ESM entry has no typings; its CommonJS one does
import type { BindingInterface } from '@serialport/bindings-interface' with { 'resolution-mode': 'require' };
import { SerialPort } from 'serialport';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../../kernel/clock.js';
import { GatewayError } from '../../kernel/gatewayError.js';
import { DeviceBase, STOPPED } from '../deviceBase.js';
import type { Health } from '../types.js';
import { type Binding, fencedClose } from './fencedClose.js';

/** How serialport reaches a port (serialport's bindings interface). */
export type SerialBinding = BindingInterface;

/** The platform binding, whose ports free their fd only after their last read or write returned. */
function platformBinding(): SerialBinding {
  return fencedClose(SerialPort.binding as Binding) as unknown as SerialBinding;
}

export interface SerialLinkOptions {
  /** /dev/serial/by-id/... (stable across reboots) or a PTY path in tests */
  path: string;
  baudRate: number;
  clock: Clock;
  logger: Logger;
  /** how to reach the port; default: the platform binding, fenced. Tests pass SerialPortMock.binding */
  binding?: SerialBinding;
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

/** The link is a device of its own, named by its path: its health is the port's. */
export class SerialLink extends DeviceBase<SerialLinkEvents> {
  private port: SerialPort | null = null;
  private readonly binding: SerialBinding;
  private reopenTimer: TimerHandle | null = null;
  private reopenDelay: number;
  private stopped = true;
  /** start/stop/reopen, one at a time */
  private lifecycle: Promise<void> = Promise.resolve();

  constructor(private readonly options: SerialLinkOptions) {
    super({ id: options.path, clock: options.clock, log: options.logger.child({ module: 'hal:serial', path: options.path }) });
    this.binding = options.binding ?? platformBinding();
    this.reopenDelay = options.reopenMs ?? 500;
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
      this.setHealth('offline', STOPPED);
    });
  }

  /** Writes and waits until the bytes left the process. Rejects with DEVICE_OFFLINE when closed. */
  async write(bytes: Buffer | string): Promise<void> {
    const port = this.port;
    if (!port?.isOpen) throw new GatewayError('DEVICE_OFFLINE', `serial port ${this.options.path} is not open: ${this.health().reason}`);
    await new Promise<void>((resolve, reject) => {
      port.write(bytes, (err) => (err ? reject(new GatewayError('DEVICE_ERROR', `write to ${this.options.path} failed: ${err.message}`, {}, { cause: err })) : undefined));
      port.drain((err) => (err ? reject(new GatewayError('DEVICE_ERROR', `drain of ${this.options.path} failed: ${err.message}`, {}, { cause: err })) : resolve()));
    });
  }

  private async open(): Promise<void> {
    const { path, baudRate } = this.options;
    const port = new SerialPort({ path, baudRate, autoOpen: false, binding: this.binding } as unknown as ConstructorParameters<typeof SerialPort>[0]);
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
}

/** Resolves when the port is closed (or was not open). */
function closePort(port: SerialPort): Promise<void> {
  return new Promise((resolve) => port.close(() => resolve()));
}
