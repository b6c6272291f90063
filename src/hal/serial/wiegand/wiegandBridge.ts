/**
 * The gateway side of one Wiegand bridge (docs/wiegand-bridge.md) over one SerialLink.
 *
 *   const bridge = new WiegandBridge({ id: 'bridge-1', link, path, clock, logger,
 *                                      ports: [{ port: 1, readerId: 'front-in' }] });
 *   const reader = bridge.reader(1);       // CredentialReader
 *   const led = bridge.indicator(1);       // Indicator (LED/buzzer of the same reader)
 *   await reader.start();                  // starts the bridge and its link on first use
 *
 * The bridge owns the link's lifecycle: it starts the link when the first port device (or
 * `bridge.start()`) starts and stops it when the last one stops (or on `bridge.stop()`).
 * Every port device shows the bridge's health while it is started:
 *  - link offline                          → offline, the link's reason
 *  - no valid line for heartbeatTimeoutMs  → offline, "no heartbeat from the Wiegand bridge on
 *                                            <path> for 3 s"; a valid line brings it back
 *  - ≥ degradedThreshold of the last degradedWindow lines corrupt → degraded, until the count
 *    falls to half the threshold
 * Only lines that passed length, checksum, syntax and Wiegand parity/length reach a reader as
 * `input`; everything else is counted in `stats().dropped` and logged without its content.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { maskCardValue } from '../../../kernel/cardNumber.js';
import type { Clock, TimerHandle } from '../../../kernel/clock.js';
import { GatewayError, isGatewayError } from '../../../kernel/gatewayError.js';
import type { DeviceEvents, Health, HealthState, IndicatorPattern, ReaderInput } from '../../types.js';
import type { SerialLink } from '../serialLink.js';
import { LineFramer, MAX_PORT, encodeCommand, parseBridgeLine, type BridgeMessage, type LineRejection } from './bridgeLine.js';
import { BridgeIndicator, BridgeReader, emitGuarded, type PortHost } from './bridgePort.js';
import { MAX_FRAME_BITS, RESERVED_LENGTHS, decodeCard, decodeKeypad, type FrameRejection } from './wiegandFrame.js';

export interface WiegandPortConfig {
  /** the bridge's reader port, 1–8 */
  port: number;
  readerId: string;
  /** default `<readerId>:indicator` */
  indicatorId?: string;
}

export interface WiegandBridgeOptions {
  /** names the bridge in logs, e.g. 'bridge-1' */
  id: string;
  link: SerialLink;
  /** the link's device path, for health reasons and logs */
  path: string;
  clock: Clock;
  logger: Logger;
  ports: readonly WiegandPortConfig[];
  /** no valid line for this long → offline. Default 3000 (the bridge sends H every 1000 ms) */
  heartbeatTimeoutMs?: number;
  /** unknown bit lengths presented as raw:<bits>:<hex> (no parity check). Default none */
  rawLengths?: readonly number[];
  /** lines looked at for the degraded rule. Default 100 */
  degradedWindow?: number;
  /** corrupt lines in the window that make the bridge degraded. Default 10 */
  degradedThreshold?: number;
  /** how long queryVersion() waits for V. Default 1000 */
  versionTimeoutMs?: number;
}

export type DropReason = Exclude<LineRejection, 'empty'> | FrameRejection | 'unconfigured_port';

export interface WiegandBridgeStats {
  /** lines that passed length, checksum and syntax */
  lines: number;
  dropped: Record<DropReason, number>;
  cards: number;
  keys: number;
  heartbeats: number;
  /** heartbeats the sequence numbers say we never received */
  missedHeartbeats: number;
  /** R lines received */
  resets: number;
  firmware: string | null;
  /** corrupt lines (too_long, checksum, syntax) among the last `window` lines */
  recentCorrupt: number;
  window: number;
}

export type WiegandBridgeEvents = DeviceEvents;

interface VersionWaiter {
  resolve(version: string): void;
  reject(err: unknown): void;
  timer: TimerHandle;
}

/** Line-level corruption: these count towards `degraded` (frame errors are the reader's). */
const CORRUPT: ReadonlySet<DropReason> = new Set(['too_long', 'checksum', 'syntax']);

export class WiegandBridge extends EventEmitter<WiegandBridgeEvents> {
  private readonly log: Logger;
  private readonly framer = new LineFramer();
  private readonly readers = new Map<number, BridgeReader>();
  private readonly indicators = new Map<number, BridgeIndicator>();
  private readonly holders = new Set<object>();
  private readonly versionWaiters = new Set<VersionWaiter>();
  private current: Health;
  private running: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;
  /** true from run() until shutdown() begins: link events count */
  private active = false;
  private heartbeatTimer: TimerHandle | null = null;
  private alive = false;
  /** the link's health as its events reported it */
  private linkHealth: Health;
  private silentReason: string | null = null;
  private corruptSinceValid = 0;
  private window: Uint8Array = new Uint8Array(0);
  private windowAt = 0;
  private windowFill = 0;
  private degradedReason: string | null = null;
  private lastHeartbeat: { uptime: number; seq: number } | null = null;
  private readonly counters: WiegandBridgeStats;
  private readonly warned = new Set<DropReason>();
  private readonly host: PortHost;

  constructor(private readonly options: WiegandBridgeOptions) {
    super();
    this.log = options.logger.child({ module: 'hal:wiegand', bridge: options.id, path: options.path });
    this.current = { state: 'offline', reason: 'not started', since: options.clock.now() };
    this.linkHealth = this.current;
    this.counters = emptyStats();
    this.host = {
      clock: options.clock,
      log: this.log,
      health: () => this.current,
      acquire: (holder) => this.acquire(holder),
      release: (holder) => this.release(holder),
      sendPattern: (port, pattern) => this.sendPattern(port, pattern),
    };
  }

  /** The CredentialReader of a configured port (the same object on every call). */
  reader(port: number): BridgeReader {
    const config = this.portConfig(port);
    let reader = this.readers.get(port);
    if (!reader) this.readers.set(port, (reader = new BridgeReader(config.readerId, port, this.host)));
    return reader;
  }

  /** The Indicator (LED/buzzer) of a configured port (the same object on every call). */
  indicator(port: number): BridgeIndicator {
    const config = this.portConfig(port);
    let indicator = this.indicators.get(port);
    if (!indicator) this.indicators.set(port, (indicator = new BridgeIndicator(config.indicatorId ?? `${config.readerId}:indicator`, port, this.host)));
    return indicator;
  }

  health(): Health {
    return this.current;
  }

  stats(): WiegandBridgeStats {
    return { ...this.counters, dropped: { ...this.counters.dropped }, recentCorrupt: this.corruptInWindow(), window: this.window.length };
  }

  /** Starts the bridge as a whole (the composition root or a simulator); port devices still start on their own. */
  async start(): Promise<void> {
    await this.acquire(this);
  }

  /** Stops everything: every port device goes offline 'stopped'. Resolves even if the port is gone. */
  async stop(): Promise<void> {
    this.holders.clear();
    for (const device of [...this.readers.values(), ...this.indicators.values()]) await device.stop();
    await this.shutdown();
  }

  /** Asks the bridge for its firmware version. Rejects DEVICE_OFFLINE (link closed) or DEVICE_TIMEOUT. */
  async queryVersion(): Promise<string> {
    const { link, clock, path } = this.options;
    if (!this.active || !link.isOpen) throw new GatewayError('DEVICE_OFFLINE', `the Wiegand bridge on ${path} is not connected: ${this.current.reason}`);
    let waiter!: VersionWaiter;
    const reply = new Promise<string>((resolve, reject) => {
      const timer = clock.setTimeout(() => this.settle(waiter, { error: new GatewayError('DEVICE_TIMEOUT', `the Wiegand bridge on ${path} did not answer the version query`) }), this.options.versionTimeoutMs ?? 1000);
      waiter = { resolve, reject, timer };
    });
    this.versionWaiters.add(waiter);
    try {
      await link.write(encodeCommand({ type: 'query_version' }));
    } catch (err) {
      this.settle(waiter, { error: err });
    }
    return reply;
  }

  private settle(waiter: VersionWaiter, outcome: { version: string } | { error: unknown }): void {
    if (!this.versionWaiters.delete(waiter)) return;
    this.options.clock.clearTimeout(waiter.timer);
    if ('version' in outcome) waiter.resolve(outcome.version);
    else waiter.reject(outcome.error);
  }

  private portConfig(port: number): WiegandPortConfig {
    const config = this.options.ports.find((p) => p.port === port);
    if (!config) throw new GatewayError('CONFIG_INVALID', `port ${port} is not configured on the Wiegand bridge ${this.options.id}`, { field: 'ports' });
    return config;
  }

  private async acquire(holder: object): Promise<void> {
    this.validate();
    this.holders.add(holder);
    while (this.stopping) await this.stopping;
    if (!this.running) this.running = this.run();
    await this.running;
  }

  private async release(holder: object): Promise<void> {
    this.holders.delete(holder);
    if (this.holders.size === 0) await this.shutdown();
  }

  private async run(): Promise<void> {
    const { link } = this.options;
    this.active = true;
    this.linkHealth = link.health();
    this.window = new Uint8Array(this.options.degradedWindow ?? 100);
    this.windowAt = 0;
    this.windowFill = 0;
    this.degradedReason = null;
    link.on('data', this.onData);
    link.on('health', this.onLinkHealth);
    link.on('open', this.onOpen);
    this.onOpen();
    await link.start();
    this.linkHealth = link.health();
    this.refresh();
  }

  private async shutdown(): Promise<void> {
    const running = this.running;
    if (!running) {
      await this.stopping;
      return;
    }
    this.running = null;
    this.stopping = this.close(running).finally(() => (this.stopping = null));
    await this.stopping;
  }

  private async close(running: Promise<void>): Promise<void> {
    await running;
    this.active = false;
    const { link, clock } = this.options;
    link.off('data', this.onData);
    link.off('health', this.onLinkHealth);
    link.off('open', this.onOpen);
    clock.clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = null;
    for (const waiter of [...this.versionWaiters]) this.settle(waiter, { error: new GatewayError('DEVICE_OFFLINE', 'the Wiegand bridge was stopped') });
    await link.stop();
    this.setHealth('offline', 'stopped');
  }

  private validate(): void {
    const { ports, heartbeatTimeoutMs = 3000, rawLengths = [], degradedWindow = 100, degradedThreshold = 10 } = this.options;
    const problem =
      ports.length === 0 ? 'at least one port is needed'
      : ports.some((p) => !Number.isInteger(p.port) || p.port < 1 || p.port > MAX_PORT) ? `ports are numbered 1-${MAX_PORT}`
      : new Set(ports.map((p) => p.port)).size !== ports.length ? 'a port is listed twice'
      : ports.some((p) => !p.readerId) ? 'every port needs a readerId'
      : !Number.isInteger(heartbeatTimeoutMs) || heartbeatTimeoutMs < 100 ? 'heartbeatTimeoutMs is an integer ≥ 100'
      : rawLengths.some((n) => !Number.isInteger(n) || n < 1 || n > MAX_FRAME_BITS || RESERVED_LENGTHS.includes(n)) ? `rawLengths are 1-${MAX_FRAME_BITS} bits other than ${RESERVED_LENGTHS.join(', ')}`
      : !Number.isInteger(degradedWindow) || degradedWindow < 1 || !Number.isInteger(degradedThreshold) || degradedThreshold < 1 || degradedThreshold > degradedWindow ? 'degradedThreshold is 1..degradedWindow'
      : null;
    if (problem) throw new GatewayError('CONFIG_INVALID', `Wiegand bridge ${this.options.id}: ${problem}`, { field: 'ports', hint: 'see docs/wiegand-bridge.md' });
  }

  private readonly onOpen = (): void => {
    this.framer.reset();
    this.alive = false;
    this.silentReason = null;
    this.lastHeartbeat = null;
    this.armHeartbeat();
    this.refresh();
    this.resendPatterns();
  };

  /** A link that went down must hear from the bridge again before its readers are online. */
  private readonly onLinkHealth = (health: Health): void => {
    this.linkHealth = health;
    if (health.state !== 'online') {
      this.alive = false;
      this.silentReason = null;
    }
    this.refresh();
  };

  private readonly onData = (chunk: Buffer): void => {
    for (const framed of this.framer.push(chunk)) {
      if (framed.ok) this.handleLine(framed.line);
      else this.drop('too_long', 'line longer than the maximum; discarded up to the next LF');
    }
  };

  private handleLine(line: string): void {
    const parsed = parseBridgeLine(line);
    if (!parsed.ok) {
      if (parsed.reason !== 'empty') this.drop(parsed.reason, parsed.detail);
      return;
    }
    this.counters.lines++;
    this.alive = true;
    this.silentReason = null;
    this.corruptSinceValid = 0;
    this.armHeartbeat();
    this.remember(false);
    this.refresh();
    this.handleMessage(parsed.message);
  }

  private handleMessage(message: BridgeMessage): void {
    switch (message.type) {
      case 'wiegand': {
        if (!this.configured(message.port)) return;
        const decoded = decodeCard(message.frame, { rawLengths: this.options.rawLengths ?? [] });
        if (!decoded.ok) return this.drop(decoded.reason, `${message.frame.count}-bit frame rejected`, message.port);
        this.counters.cards++;
        this.log.debug({ port: message.port, masked: maskCardValue(decoded.card.value), format: decoded.card.format }, 'card presented');
        return this.deliver(message.port, { kind: 'card', value: decoded.card.value, bits: decoded.card.bits });
      }
      case 'keypad': {
        if (!this.configured(message.port)) return;
        const decoded = decodeKeypad(message.frame);
        if (!decoded.ok) return this.drop(decoded.reason, `${message.frame.count}-bit keypad burst rejected`, message.port);
        this.counters.keys++;
        this.log.debug({ port: message.port }, 'keypad burst');
        return this.deliver(message.port, { kind: 'keys', keys: decoded.key });
      }
      case 'heartbeat':
        return this.heartbeat(message.uptime, message.seq);
      case 'version':
        this.counters.firmware = message.version;
        this.log.info({ firmware: message.version }, 'Wiegand bridge firmware');
        for (const waiter of [...this.versionWaiters]) this.settle(waiter, { version: message.version });
        return;
      case 'reset':
        this.counters.resets++;
        this.lastHeartbeat = null;
        this.log.warn({ reason: message.reason }, 'the Wiegand bridge restarted');
        return this.resendPatterns();
    }
  }

  private heartbeat(uptime: number, seq: number): void {
    this.counters.heartbeats++;
    const last = this.lastHeartbeat;
    const gap = last ? (seq - last.seq) & 0xffff : 1;
    if (last && uptime < last.uptime) this.log.warn({ uptime }, 'the Wiegand bridge restarted without a reset notice');
    else if (gap >= 1 && gap < 0x8000) this.counters.missedHeartbeats += gap - 1;
    else this.log.debug({ seq }, 'heartbeat out of sequence');
    this.lastHeartbeat = { uptime, seq };
  }

  private configured(port: number): boolean {
    if (this.options.ports.some((p) => p.port === port)) return true;
    this.drop('unconfigured_port', 'message for a port that is not configured', port);
    return false;
  }

  private deliver(port: number, input: ReaderInput): void {
    this.readers.get(port)?.deliver(input);
  }

  private drop(reason: DropReason, detail: string, port?: number): void {
    this.counters.dropped[reason]++;
    const first = !this.warned.has(reason);
    this.warned.add(reason);
    this.log[first ? 'warn' : 'debug']({ reason, detail, port }, 'dropped a line from the Wiegand bridge');
    if (!CORRUPT.has(reason)) return;
    this.corruptSinceValid++;
    this.remember(true);
    this.refresh();
  }

  /** The degraded rule: a ring of the last `degradedWindow` lines, 1 = corrupt. */
  private remember(corrupt: boolean): void {
    if (this.window.length === 0) return;
    this.window[this.windowAt] = corrupt ? 1 : 0;
    this.windowAt = (this.windowAt + 1) % this.window.length;
    this.windowFill = Math.min(this.windowFill + 1, this.window.length);
    const bad = this.corruptInWindow();
    const threshold = this.options.degradedThreshold ?? 10;
    if (this.degradedReason === null && bad >= threshold) {
      this.degradedReason = `${bad} of the last ${this.windowFill} lines from the Wiegand bridge on ${this.options.path} were corrupt: check the UART wiring, ground and baud rate`;
    } else if (this.degradedReason !== null && bad <= Math.floor(threshold / 2)) {
      this.degradedReason = null;
    }
  }

  private corruptInWindow(): number {
    let bad = 0;
    for (const b of this.window) bad += b;
    return bad;
  }

  private armHeartbeat(): void {
    const { clock, heartbeatTimeoutMs = 3000, path } = this.options;
    clock.clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = clock.setTimeout(() => {
      this.heartbeatTimer = null;
      this.alive = false;
      const corrupt = this.corruptSinceValid > 0 ? ` (${this.corruptSinceValid} corrupt lines received: check the baud rate and wiring)` : '';
      this.silentReason = `no heartbeat from the Wiegand bridge on ${path} for ${heartbeatTimeoutMs / 1000} s${corrupt}`;
      this.refresh();
    }, heartbeatTimeoutMs);
  }

  private refresh(): void {
    if (!this.active) return;
    if (this.linkHealth.state !== 'online') return this.setHealth('offline', this.linkHealth.reason);
    if (!this.alive) return this.setHealth('offline', this.silentReason ?? `waiting for the first line from the Wiegand bridge on ${this.options.path}`);
    if (this.degradedReason) return this.setHealth('degraded', this.degradedReason);
    this.setHealth('online', `the Wiegand bridge on ${this.options.path} is online`);
  }

  private setHealth(state: HealthState, reason: string): void {
    if (this.current.state === state && this.current.reason === reason) return;
    this.current = { state, reason, since: this.options.clock.now() };
    if (state === 'online') this.log.info(reason);
    else this.log.warn({ state }, reason);
    emitGuarded(this, this.log, this.options.id, 'health', this.current);
    for (const device of [...this.readers.values(), ...this.indicators.values()]) device.sync();
  }

  private async sendPattern(port: number, pattern: IndicatorPattern): Promise<void> {
    if (!this.active || !this.options.link.isOpen) return;
    try {
      await this.options.link.write(encodeCommand({ type: 'indicator', port, pattern }));
    } catch (err) {
      if (!isGatewayError(err, 'DEVICE_OFFLINE')) throw err;
    }
  }

  private resendPatterns(): void {
    for (const [port, indicator] of this.indicators) {
      const pattern = indicator.pattern();
      if (pattern === undefined) continue;
      this.sendPattern(port, pattern).catch((err: unknown) => this.log.warn({ err, port }, 'could not re-send the indicator pattern'));
    }
  }
}

function emptyStats(): WiegandBridgeStats {
  const dropped: Record<DropReason, number> = { too_long: 0, checksum: 0, syntax: 0, unknown_type: 0, parity: 0, length: 0, format: 0, unconfigured_port: 0 };
  return { lines: 0, dropped, cards: 0, keys: 0, heartbeats: 0, missedHeartbeats: 0, resets: 0, firmware: null, recentCorrupt: 0, window: 0 };
}
