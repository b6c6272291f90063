/**
 * The devices of one Wiegand bridge port: the reader (CredentialReader) and its LED/buzzer
 * (Indicator). They hold no I/O of their own: the bridge (wiegandBridge.ts) runs the link and
 * hands them its health and the decoded inputs. A port device that is not started shows its own
 * health ('not started' / 'stopped') and emits no input; a started one shows the bridge's.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Clock } from '../../../kernel/clock.js';
import type { CredentialReader, CredentialReaderEvents, DeviceEvents, Health, Indicator, IndicatorPattern, ReaderInput } from '../../types.js';

/** What a port device needs from its bridge. */
export interface PortHost {
  clock: Clock;
  log: Logger;
  health(): Health;
  /** start the bridge if this is its first user; rejects CONFIG_INVALID */
  acquire(holder: object): Promise<void>;
  /** stop the bridge if this was its last user */
  release(holder: object): Promise<void>;
  /** send an L command; resolves without sending when the link is closed */
  sendPattern(port: number, pattern: IndicatorPattern): Promise<void>;
}

/** Calls each listener in turn; one that throws is logged and does not stop the others. */
export function emitGuarded<E extends Record<keyof E, unknown[]>, K extends keyof E & string>(
  emitter: EventEmitter<E>,
  log: Logger,
  owner: string,
  event: K,
  ...args: E[K]
): void {
  const listeners = (emitter as unknown as EventEmitter).listeners(event) as ((...a: unknown[]) => void)[];
  for (const listener of listeners) {
    try {
      listener(...args);
    } catch (err) {
      log.error({ err, owner, event }, 'a listener threw; the Wiegand bridge carries on');
    }
  }
}

/** Started/stopped bookkeeping shared by both port devices. */
class PortLife {
  started = false;
  private own: Health;
  private shown: Health;

  constructor(
    private readonly host: PortHost,
    private readonly emitHealth: (health: Health) => void,
  ) {
    this.own = { state: 'offline', reason: 'not started', since: host.clock.now() };
    this.shown = this.own;
  }

  health(): Health {
    return this.started ? this.host.health() : this.own;
  }

  async start(holder: object): Promise<void> {
    if (this.started) return;
    this.started = true;
    try {
      await this.host.acquire(holder);
    } catch (err) {
      this.started = false;
      throw err;
    }
    this.sync();
  }

  async stop(holder: object): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.own = { state: 'offline', reason: 'stopped', since: this.host.clock.now() };
    this.sync();
    await this.host.release(holder);
  }

  /** Emits `health` when what this device shows changed. */
  sync(): void {
    const health = this.health();
    if (health.state === this.shown.state && health.reason === this.shown.reason) return;
    this.shown = health;
    this.emitHealth(health);
  }
}

export class BridgeReader extends EventEmitter<CredentialReaderEvents> implements CredentialReader {
  readonly kind = 'reader';
  private readonly life: PortLife;

  constructor(
    readonly id: string,
    readonly port: number,
    private readonly host: PortHost,
  ) {
    super();
    this.life = new PortLife(host, (health) => emitGuarded(this, host.log, id, 'health', health));
  }

  health(): Health {
    return this.life.health();
  }

  start(): Promise<void> {
    return this.life.start(this);
  }

  stop(): Promise<void> {
    return this.life.stop(this);
  }

  /** @internal the bridge's view changed */
  sync(): void {
    this.life.sync();
  }

  /** @internal a clean input for this port; dropped while the reader is not started */
  deliver(input: ReaderInput): void {
    if (this.life.started) emitGuarded(this, this.host.log, this.id, 'input', input);
  }
}

export class BridgeIndicator extends EventEmitter<DeviceEvents> implements Indicator {
  readonly kind = 'indicator';
  private readonly life: PortLife;
  private current: IndicatorPattern | undefined;

  constructor(
    readonly id: string,
    readonly port: number,
    private readonly host: PortHost,
  ) {
    super();
    this.life = new PortLife(host, (health) => emitGuarded(this, host.log, id, 'health', health));
  }

  health(): Health {
    return this.life.health();
  }

  start(): Promise<void> {
    return this.life.start(this);
  }

  stop(): Promise<void> {
    return this.life.stop(this);
  }

  /** The last pattern asked for (re-sent when the link reopens or the bridge restarts). */
  pattern(): IndicatorPattern | undefined {
    return this.current;
  }

  /**
   * Records the pattern and sends `L <port> <pattern>`. Offline: records only and resolves (the
   * bridge re-sends it on reconnect). The bridge does not acknowledge L: resolves after the write.
   */
  async show(pattern: IndicatorPattern): Promise<void> {
    this.current = pattern;
    await this.host.sendPattern(this.port, pattern);
  }

  /** @internal */
  sync(): void {
    this.life.sync();
  }
}
