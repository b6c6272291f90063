/**
 * The gateway side of one Wiegand bridge (docs/wiegand-bridge.md) over one SerialLink.
 *
 *   const bridge = new WiegandBridge({ id: 'bridge-1', link, path, clock, logger,
 *                                      ports: [{ port: 1, readerId: 'front-in' }] });
 *   const reader = bridge.reader(1);       // CredentialReader
 *   const led = bridge.indicator(1);       // Indicator (LED/buzzer of the same reader)
 *   const door = bridge.sensor(1, 'contact'); // DoorSensor, when ports[].inputs.contact is set
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
 * That health follows from one state value (bridgeState.ts) and the line quality
 * (lineQuality.ts). Only lines that passed length, checksum, syntax and Wiegand parity/length
 * reach a reader as `input`; everything else is counted in `stats().dropped` and logged without
 * its content. Door inputs (`I` lines) are kept per input while the bridge talks (bridgeInputs.ts);
 * the gateway asks for all of them with `S` when the link opens, after every `R` and when a silent
 * bridge talks again.
 */
import { maskCardValue } from '../../../kernel/cardNumber.js';
import type { TimerHandle } from '../../../kernel/clock.js';
import { GatewayError, isGatewayError } from '../../../kernel/gatewayError.js';
import { DeviceBase } from '../../deviceBase.js';
import type { DeviceEvents, Health, IndicatorPattern, ReaderInput } from '../../types.js';
import { LineFramer, encodeCommand, parseBridgeLine, type BridgeCommand, type BridgeInputLine, type BridgeInputState, type BridgeMessage } from './bridgeLine.js';
import { BridgeInputs } from './bridgeInputs.js';
import { BridgeIndicator, BridgeReader, type PortHost } from './bridgePort.js';
import type { BridgeSensor } from './bridgeSensor.js';
import { bridgeHealth, type BridgeState, type PeerState } from './bridgeState.js';
import { LineQuality } from './lineQuality.js';
import { VersionRequests } from './versionRequests.js';
import { CORRUPT, checkBridgeOptions, emptyStats, type DropReason, type WiegandBridgeOptions, type WiegandBridgeStats, type WiegandPortConfig } from './wiegandBridgeOptions.js';
import { compileFormats } from './cardFormat.js';
import { DEFAULT_FORMATS } from './cardFormatBuiltins.js';
import { decodeCard, decodeKeypad, type CardDecodeOptions } from './wiegandFrame.js';


export type WiegandBridgeEvents = DeviceEvents;

export class WiegandBridge extends DeviceBase<WiegandBridgeEvents> {
  private readonly framer = new LineFramer();
  private readonly readers = new Map<number, BridgeReader>();
  private readonly indicators = new Map<number, BridgeIndicator>();
  private readonly holders = new Set<object>();
  private readonly versions: VersionRequests;
  private state: BridgeState = { kind: 'idle', reason: 'not started' };
  private quality: LineQuality;
  private running: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;
  private heartbeatTimer: TimerHandle | null = null;
  private lastHeartbeat: { uptime: number; seq: number } | null = null;
  private readonly counters: WiegandBridgeStats;
  /** drop reasons (and, for input_mode, port/input) already logged at warn */
  private readonly warned = new Set<string>();
  private readonly host: PortHost;
  private readonly inputs: BridgeInputs;
  private cards: CardDecodeOptions | null = null;

  constructor(private readonly options: WiegandBridgeOptions) {
    super({ id: options.id, clock: options.clock, log: options.logger.child({ module: 'hal:wiegand', bridge: options.id, path: options.path }) });
    this.quality = new LineQuality(0, 1, options.path);
    this.versions = new VersionRequests(options.clock);
    this.counters = emptyStats();
    this.host = {
      bridgeId: options.id,
      clock: options.clock,
      log: this.log,
      health: () => this.health(),
      acquire: (holder) => this.acquire(holder),
      release: (holder) => this.release(holder),
      sendPattern: (port, pattern) => this.sendPattern(port, pattern),
      inputState: (port, line) => this.inputs.state(port, line),
      wrongMode: (port, line) => this.inputs.wrongMode(port, line),
    };
    this.inputs = new BridgeInputs(options.id, options.ports, this.host);
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

  /**
   * The DoorSensor of a door input wired to a configured port (`ports[].inputs[line]`), the same
   * object on every call. Throws CONFIG_INVALID for a port or input that is not configured.
   */
  sensor(port: number, line: BridgeInputLine): BridgeSensor {
    this.portConfig(port);
    return this.inputs.sensor(port, line);
  }

  stats(): WiegandBridgeStats {
    return { ...this.counters, dropped: { ...this.counters.dropped }, recentCorrupt: this.quality.recentCorrupt(), window: this.quality.window() };
  }

  /** Starts the bridge as a whole (the composition root or a simulator); port devices still start on their own. */
  async start(): Promise<void> {
    await this.acquire(this);
  }

  /** Stops everything: every port device goes offline 'stopped'. Resolves even if the port is gone. */
  async stop(): Promise<void> {
    this.holders.clear();
    for (const device of this.portDevices()) await device.stop();
    await this.shutdown();
  }

  /** Asks the bridge for its firmware version. Rejects DEVICE_OFFLINE (link closed) or DEVICE_TIMEOUT. */
  async queryVersion(): Promise<string> {
    const { link, path } = this.options;
    if (this.state.kind !== 'running' || !link.isOpen) throw new GatewayError('DEVICE_OFFLINE', `the Wiegand bridge on ${path} is not connected: ${this.health().reason}`);
    const request = this.versions.open(this.options.versionTimeoutMs ?? 1000, () => new GatewayError('DEVICE_TIMEOUT', `the Wiegand bridge on ${path} did not answer the version query`));
    try {
      await link.write(encodeCommand({ type: 'query_version' }));
    } catch (err) {
      request.fail(err);
    }
    return request.reply;
  }

  private portConfig(port: number): WiegandPortConfig {
    const config = this.options.ports.find((p) => p.port === port);
    if (!config) throw new GatewayError('CONFIG_INVALID', `port ${port} is not configured on the Wiegand bridge ${this.options.id}`, { field: 'ports' });
    return config;
  }

  private portDevices(): (BridgeReader | BridgeIndicator | BridgeSensor)[] {
    return [...this.readers.values(), ...this.indicators.values(), ...this.inputs.devices()];
  }

  private async acquire(holder: object): Promise<void> {
    checkBridgeOptions(this.options);
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
    const { link, degradedWindow = 100, degradedThreshold = 10, path } = this.options;
    this.state = { kind: 'running', link: link.health(), peer: { kind: 'waiting' } };
    this.quality = new LineQuality(degradedWindow, degradedThreshold, path);
    link.on('data', this.onData);
    link.on('health', this.onLinkHealth);
    link.on('open', this.onOpen);
    this.onOpen();
    await link.start();
    this.setLink(link.health());
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
    this.state = { kind: 'idle', reason: 'stopped' };
    const { link, clock } = this.options;
    link.off('data', this.onData);
    link.off('health', this.onLinkHealth);
    link.off('open', this.onOpen);
    clock.clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = null;
    this.versions.failAll(new GatewayError('DEVICE_OFFLINE', 'the Wiegand bridge was stopped'));
    this.inputs.reset();
    await link.stop();
    this.refresh();
  }

  private readonly onOpen = (): void => {
    this.framer.reset();
    this.lastHeartbeat = null;
    this.setPeer({ kind: 'waiting' });
    this.armHeartbeat();
    this.refresh();
    this.resendPatterns();
    this.queryInputs();
    this.askFirmware();
  };

  /** A link that went down must hear from the bridge again before its readers are online. */
  private readonly onLinkHealth = (health: Health): void => {
    if (health.state !== 'online') this.setPeer({ kind: 'waiting' });
    this.setLink(health);
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
    const wasSilent = this.state.kind === 'running' && this.state.peer.kind === 'silent';
    this.setPeer({ kind: 'talking' });
    this.armHeartbeat();
    this.quality.valid();
    this.refresh();
    if (wasSilent) this.queryInputs();
    this.handleMessage(parsed.message);
  }

  /** How this bridge decodes cards (its formats compiled on the first frame, after start checked them). */
  private cardOptions(): CardDecodeOptions {
    return (this.cards ??= { rawLengths: this.options.rawLengths ?? [], formats: compileFormats(this.options.formats ?? DEFAULT_FORMATS) });
  }

  private handleMessage(message: BridgeMessage): void {
    switch (message.type) {
      case 'wiegand': {
        if (!this.configured(message.port)) return;
        const decoded = decodeCard(message.frame, this.cardOptions());
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
        return this.versions.answer(message.version);
      case 'reset':
        this.counters.resets++;
        this.lastHeartbeat = null;
        this.log.warn({ reason: message.reason }, 'the Wiegand bridge restarted');
        this.inputs.forget();
        this.resendPatterns();
        return this.queryInputs();
      case 'input':
        return this.input(message.port, message.line, message.state);
    }
  }

  private input(port: number, line: BridgeInputLine, state: BridgeInputState): void {
    if (!this.configured(port)) return;
    const outcome = this.inputs.apply(port, line, state);
    if (outcome === 'unconfigured_input') return this.drop(outcome, `the ${line} input is not configured`, port, line);
    if (outcome === 'input_mode') return this.drop(outcome, `a ${state} state for the ${line} input, which is configured in the other mode`, port, line);
    this.counters.inputs++;
    this.log.debug({ port, input: line, state }, 'door input');
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

  private drop(reason: DropReason, detail: string, port?: number, input?: BridgeInputLine): void {
    this.counters.dropped[reason]++;
    const once = reason === 'input_mode' ? `${reason}:${port}:${input}` : reason;
    const first = !this.warned.has(once);
    this.warned.add(once);
    this.log[first ? 'warn' : 'debug']({ reason, detail, port, input }, 'dropped a line from the Wiegand bridge');
    if (!CORRUPT.has(reason)) return;
    this.quality.corrupt();
    this.refresh();
  }

  private armHeartbeat(): void {
    const { clock, heartbeatTimeoutMs = 3000, path } = this.options;
    clock.clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = clock.setTimeout(() => {
      this.heartbeatTimer = null;
      const corrupt = this.quality.corruptSinceValid();
      const received = corrupt > 0 ? ` (${corrupt} corrupt lines received: check the baud rate and wiring)` : '';
      this.setPeer({ kind: 'silent', reason: `no heartbeat from the Wiegand bridge on ${path} for ${heartbeatTimeoutMs / 1000} s${received}` });
      this.refresh();
    }, heartbeatTimeoutMs);
  }

  /** A bridge that is not talking may have missed edges: its inputs are unknown until it reports them. */
  private setPeer(peer: PeerState): void {
    if (this.state.kind === 'running') this.state = { ...this.state, peer };
    if (peer.kind !== 'talking') this.inputs.forget();
  }

  private setLink(link: Health): void {
    if (this.state.kind === 'running') this.state = { ...this.state, link };
    this.refresh();
  }

  /** Health follows from the state: shown by the bridge and every started port device. */
  private refresh(): void {
    const [state, reason] = bridgeHealth(this.state, this.quality.degradedReason(), this.options.path);
    if (!this.setHealth(state, reason)) return;
    for (const device of this.portDevices()) device.sync();
  }

  private sendPattern(port: number, pattern: IndicatorPattern): Promise<void> {
    return this.sendCommand({ type: 'indicator', port, pattern });
  }

  /** resolves without sending when the link is closed */
  private async sendCommand(command: BridgeCommand): Promise<void> {
    if (this.state.kind !== 'running' || !this.options.link.isOpen) return;
    try {
      await this.options.link.write(encodeCommand(command));
    } catch (err) {
      if (!isGatewayError(err, 'DEVICE_OFFLINE')) throw err;
    }
  }

  /** Q on every link open: the V answer is kept in stats().firmware for the doctor. */
  private askFirmware(): void {
    this.sendCommand({ type: 'query_version' }).catch((err: unknown) => this.log.warn({ err }, 'could not ask the Wiegand bridge for its firmware version'));
  }

  /** S: the bridge answers with every input's I line (sent only when inputs are configured) */
  private queryInputs(): void {
    if (!this.inputs.any()) return;
    this.sendCommand({ type: 'query_inputs' }).catch((err: unknown) => this.log.warn({ err }, 'could not ask the Wiegand bridge for its inputs'));
  }

  private resendPatterns(): void {
    for (const [port, indicator] of this.indicators) {
      const pattern = indicator.pattern();
      if (pattern === undefined) continue;
      this.sendPattern(port, pattern).catch((err: unknown) => this.log.warn({ err, port }, 'could not re-send the indicator pattern'));
    }
  }
}
