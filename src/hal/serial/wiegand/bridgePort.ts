/**
 * The devices of one Wiegand bridge port: the reader (CredentialReader) and its LED/buzzer
 * (Indicator); its door inputs are bridgeSensor.ts. They hold no I/O of their own: the bridge
 * (wiegandBridge.ts) runs the link and hands them its health and the decoded inputs. A port
 * device that is not started shows its own health ('not started' / 'stopped') and emits no
 * input; a started one shows the bridge's.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../../kernel/clock.js';
import { DeviceBase, STOPPED } from '../../deviceBase.js';
import type { CredentialReader, CredentialReaderEvents, DeviceEvents, Health, Indicator, IndicatorPattern, ReaderInput } from '../../types.js';
import type { BridgeInputLine, BridgeInputState } from './bridgeLine.js';

/** What a port device needs from its bridge. */
export interface PortHost {
  /** the bridge's id, for reasons */
  bridgeId: string;
  clock: Clock;
  log: Logger;
  health(): Health;
  /** the state of a door input last reported since the bridge last started talking, or undefined */
  inputState(port: number, line: BridgeInputLine): BridgeInputState | undefined;
  /** the bridge reported a state of the other mode for this input, and none of the configured mode since */
  wrongMode(port: number, line: BridgeInputLine): boolean;
  /** start the bridge if this is its first user; rejects CONFIG_INVALID */
  acquire(holder: object): Promise<void>;
  /** stop the bridge if this was its last user */
  release(holder: object): Promise<void>;
  /** send an L command; resolves without sending when the link is closed */
  sendPattern(port: number, pattern: IndicatorPattern): Promise<void>;
}

/** Started/stopped bookkeeping shared by both port devices; the bridge logs its health, they mirror it. */
export abstract class BridgePortDevice<E extends DeviceEvents & Record<keyof E, unknown[]>> extends DeviceBase<E> {
  protected started = false;

  constructor(
    id: string,
    readonly port: number,
    protected readonly host: PortHost,
  ) {
    super({ id, clock: host.clock, log: host.log, logHealth: false });
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    try {
      await this.host.acquire(this);
    } catch (err) {
      this.started = false;
      throw err;
    }
    this.sync();
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.setHealth('offline', STOPPED);
    await this.host.release(this);
  }

  /** @internal the bridge's health changed: a started device shows it */
  sync(): void {
    if (!this.started) return;
    const { state, reason, since } = this.host.health();
    this.setHealth(state, reason, since);
  }
}

export class BridgeReader extends BridgePortDevice<CredentialReaderEvents> implements CredentialReader {
  readonly kind = 'reader';

  /** @internal a clean input for this port; dropped while the reader is not started */
  deliver(input: ReaderInput): void {
    if (this.started) this.emitGuarded('input', input);
  }
}

export class BridgeIndicator extends BridgePortDevice<DeviceEvents> implements Indicator {
  readonly kind = 'indicator';
  private current: IndicatorPattern | undefined;

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
}
