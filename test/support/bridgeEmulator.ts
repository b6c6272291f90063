/**
 * An emulated Wiegand bridge: the peer of wiegandBridge.ts, for tests and the simulator.
 * It produces protocol lines (docs/wiegand-bridge.md) as strings, or writes them to a SerialLink
 * (the other end of a PTY pair, or a mock port). Attached to a link with start(), it also obeys
 * the gateway's commands like the firmware would: answers Q with V, keeps the L pattern per port,
 * answers S with every door input's I line, and records every command it was sent. Door inputs
 * are set with setInput() (an edge: the I line is sent) or quietly (moved while nobody listens);
 * `misbehave` makes it ignore S. State is per instance; time comes from the clock.
 */
import { EventEmitter } from 'node:events';
import type { Clock, TimerHandle } from '../../src/kernel/clock.js';
import { GatewayError } from '../../src/kernel/gatewayError.js';
import type { IndicatorPattern } from '../../src/hal/types.js';
import type { SerialLink } from '../../src/hal/serial/serialLink.js';
import { LineFramer, encodeBridgeMessage, parseCommandLine, type BridgeCommand, type BridgeInputLine, type BridgeInputState } from '../../src/hal/serial/wiegand/bridgeLine.js';
import { encodeCard, encodeKey, type CardFormat, type WiegandBits } from '../../src/hal/serial/wiegand/wiegandFrame.js';
import { guardedEmit, ignoreListenerError } from '../../src/kernel/guardedEmit.js';

export interface BridgeEmulatorOptions {
  clock: Clock;
  /** where send*() writes and commands are read from; without it the emulator only makes strings */
  link?: SerialLink;
  /** answered to Q. Default 'emu-1.0.0' */
  firmware?: string;
  /** the door inputs the emulated bridge has, with their state at power-up */
  inputs?: readonly EmulatedInput[];
}

export interface EmulatedInput {
  port: number;
  line: BridgeInputLine;
  state: BridgeInputState;
}

export type BridgeEmulatorEvents = {
  /** a well-formed command arrived from the gateway */
  command: [BridgeCommand];
};

export class BridgeEmulator extends EventEmitter<BridgeEmulatorEvents> {
  private bootAt: number;
  private seq = 0;
  private heartbeatTimer: TimerHandle | null = null;
  private readonly framer = new LineFramer();
  private readonly patterns = new Map<number, IndicatorPattern>();
  private readonly received: BridgeCommand[] = [];
  private rejected = 0;
  private failedWrites = 0;
  private attached = false;
  private readonly inputs = new Map<string, EmulatedInput>();
  /** set by a test: S is received and recorded but not answered */
  misbehave: { ignoreInputQueries: boolean } = { ignoreInputQueries: false };

  constructor(private readonly options: BridgeEmulatorOptions) {
    super();
    this.bootAt = options.clock.now();
    for (const input of options.inputs ?? []) this.inputs.set(`${input.port}:${input.line}`, { ...input });
  }

  /** An I line for any port, input and state (tests send wrong ones on purpose). */
  inputLine(port: number, line: BridgeInputLine, state: BridgeInputState): string {
    return encodeBridgeMessage({ type: 'input', port, line, state });
  }

  /** Every door input's I line, in the order they were declared: the answer to S. */
  inputLines(): string {
    return [...this.inputs.values()].map((i) => this.inputLine(i.port, i.line, i.state)).join('');
  }

  /** The state of an emulated input (undefined for one it does not have). */
  inputState(port: number, line: BridgeInputLine): BridgeInputState | undefined {
    return this.inputs.get(`${port}:${line}`)?.state;
  }

  /**
   * Moves an input: the debounced edge the firmware reports. Returns its I line; `send` false
   * only moves it (the gateway hears of it by S or at boot). Adds the input if it is new.
   */
  async setInput(port: number, line: BridgeInputLine, state: BridgeInputState, { send = true } = {}): Promise<string> {
    const key = `${port}:${line}`;
    const input = this.inputs.get(key);
    if (input) input.state = state;
    else this.inputs.set(key, { port, line, state });
    const text = this.inputLine(port, line, state);
    if (send) await this.send(text);
    return text;
  }

  /** What the firmware sends after boot: R, every input's I line, the first H (uptime 0, seq 0). */
  bootLines(reason = 'power'): string {
    return this.reboot(reason) + this.inputLines() + this.heartbeatLine();
  }

  cardLine(port: number, format: CardFormat, facility: number, number: number): string {
    return this.frameLine(port, encodeCard(format, facility, number));
  }

  /** Any frame, as a W line (parity is not checked here: tests send bad frames on purpose). */
  frameLine(port: number, frame: WiegandBits): string {
    return encodeBridgeMessage({ type: 'wiegand', port, frame });
  }

  /** One K line per key, in order. */
  keyLines(port: number, keys: string, bits: 4 | 8 = 8): string[] {
    return [...keys].map((key) => encodeBridgeMessage({ type: 'keypad', port, frame: encodeKey(key, bits) }));
  }

  /** The next heartbeat: uptime in seconds from the clock, seq counting up from 0 at boot. */
  heartbeatLine(): string {
    const seq = this.seq;
    this.seq = (seq + 1) & 0xffff;
    return encodeBridgeMessage({ type: 'heartbeat', uptime: Math.floor((this.options.clock.now() - this.bootAt) / 1000), seq });
  }

  versionLine(): string {
    return encodeBridgeMessage({ type: 'version', version: this.options.firmware ?? 'emu-1.0.0' });
  }

  /** A reboot: uptime, heartbeat seq and indicator patterns start over; returns the R line. */
  reboot(reason = 'power'): string {
    this.bootAt = this.options.clock.now();
    this.seq = 0;
    this.patterns.clear();
    return encodeBridgeMessage({ type: 'reset', reason });
  }

  /** Listens for the gateway's commands on the link. */
  async start(): Promise<void> {
    if (this.attached || !this.options.link) return;
    this.attached = true;
    this.options.link.on('data', this.onData);
  }

  async stop(): Promise<void> {
    this.stopHeartbeats();
    this.options.link?.off('data', this.onData);
    this.attached = false;
  }

  /** Writes raw text (one or more lines, or garbage) to the link. */
  async send(text: string): Promise<void> {
    if (!this.options.link) throw new GatewayError('NOT_STARTED', 'the bridge emulator has no link to write to');
    await this.options.link.write(Buffer.from(text, 'latin1'));
  }

  sendCard(port: number, format: CardFormat, facility: number, number: number): Promise<void> {
    return this.send(this.cardLine(port, format, facility, number));
  }

  sendKeys(port: number, keys: string, bits: 4 | 8 = 8): Promise<void> {
    return this.send(this.keyLines(port, keys, bits).join(''));
  }

  sendHeartbeat(): Promise<void> {
    return this.send(this.heartbeatLine());
  }

  /** Sends H every `intervalMs` on the clock until stopHeartbeats(). */
  startHeartbeats(intervalMs = 1000): void {
    this.stopHeartbeats();
    const tick = (): void => {
      this.heartbeatTimer = this.options.clock.setTimeout(tick, intervalMs);
      this.sendHeartbeat().catch(() => this.failedWrites++);
    };
    this.heartbeatTimer = this.options.clock.setTimeout(tick, intervalMs);
  }

  stopHeartbeats(): void {
    this.options.clock.clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  /** Every well-formed command received, in order. */
  commands(): readonly BridgeCommand[] {
    return [...this.received];
  }

  /** The pattern a port shows (undefined until the gateway sent one, and after a reboot). */
  pattern(port: number): IndicatorPattern | undefined {
    return this.patterns.get(port);
  }

  /** Bad command lines (dropped, as the firmware must) and heartbeats that could not be written. */
  errors(): { rejectedCommands: number; failedWrites: number } {
    return { rejectedCommands: this.rejected, failedWrites: this.failedWrites };
  }

  private readonly onData = (chunk: Buffer): void => {
    for (const framed of this.framer.push(chunk)) {
      const parsed = framed.ok ? parseCommandLine(framed.line) : null;
      if (!parsed?.ok) {
        if (parsed?.reason !== 'empty') this.rejected++;
        continue;
      }
      const command = parsed.message;
      this.received.push(command);
      if (command.type === 'indicator') this.patterns.set(command.port, command.pattern);
      else if (command.type === 'query_version') this.send(this.versionLine()).catch(() => this.failedWrites++);
      else if (!this.misbehave.ignoreInputQueries && this.inputs.size > 0) this.send(this.inputLines()).catch(() => this.failedWrites++);
      // a test's listener is the test's problem; the emulator carries on like firmware would
      guardedEmit(this, ignoreListenerError, 'command', command);
    }
  };
}
