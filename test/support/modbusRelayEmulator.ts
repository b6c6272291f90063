/**
 * The Waveshare "Modbus RTU Relay" board's side of the wire, for tests and benchmarks: it decodes
 * 0x05 coil writes addressed to its unit (CRC verified), keeps each relay's level, runs flash
 * timers on the clock it is given (the test controls the board's time), and answers each command
 * it executed with an exact echo — unless told to stay silent or to corrupt its answers.
 * A coil or value the board does not have gets exception 02 / 03, as a real board answers.
 *
 * A new flash on a channel replaces the one running (its timer restarts): the behaviour the
 * driver's keepalive relies on; see docs/relay-board.md for what to verify on a real board.
 */
import { EventEmitter } from 'node:events';
import type { Clock, TimerHandle } from '../../src/kernel/clock.js';
import type { SerialLink } from '../../src/hal/serial/serialLink.js';
import { encodeModbusFrame, ModbusFrameStream } from '../../src/hal/serial/relay/modbusFrame.js';
import { decodeRelayCommand, FLASH_UNIT_MS, type RelayCommand } from '../../src/hal/serial/relay/waveshareCommand.js';
import { guardedEmit, ignoreListenerError } from '../../src/kernel/guardedEmit.js';

export interface ModbusRelayEmulatorOptions {
  /** the board's time: flash timers run on it */
  clock: Clock;
  /** the board's end of the wire; answers are written to it */
  link: SerialLink;
  /** default 1 */
  unit?: number;
  /** default 8 */
  channels?: number;
}

/** echo: answer like the board; silent: execute, never answer; corrupt: execute, answer with a flipped CRC byte */
export type AnswerMode = 'echo' | 'silent' | 'corrupt';

export type ModbusRelayEmulatorEvents = {
  /** a command addressed to this board was executed */
  command: [RelayCommand];
  /** a relay changed level (by a command or when a flash ended) */
  level: [number, boolean];
};

export class ModbusRelayEmulator extends EventEmitter<ModbusRelayEmulatorEvents> {
  readonly unit: number;
  readonly channels: number;
  answers: AnswerMode = 'echo';
  private readonly stream = new ModbusFrameStream();
  private readonly levels: boolean[];
  private readonly flashTimers: (TimerHandle | null)[];
  private readonly recorded: RelayCommand[] = [];
  private droppedBytes = 0;

  constructor(private readonly options: ModbusRelayEmulatorOptions) {
    super();
    this.unit = options.unit ?? 1;
    this.channels = options.channels ?? 8;
    this.levels = new Array<boolean>(this.channels + 1).fill(false);
    this.flashTimers = new Array<TimerHandle | null>(this.channels + 1).fill(null);
  }

  start(): void {
    this.options.link.on('data', this.onData);
  }

  stop(): void {
    this.options.link.off('data', this.onData);
  }

  energised(channel: number): boolean {
    return this.levels[channel] === true;
  }

  /** every executed command, oldest first (a copy) */
  commands(): RelayCommand[] {
    return this.recorded.map((c) => ({ ...c }));
  }

  /** bytes dropped while resynchronising (corrupt or foreign frames) */
  dropped(): number {
    return this.droppedBytes;
  }

  /** The board lost power: every relay drops out, flashes are forgotten. */
  powerLoss(): void {
    for (let channel = 1; channel <= this.channels; channel++) {
      this.options.clock.clearTimeout(this.flashTimers[channel]);
      this.flashTimers[channel] = null;
      this.setLevel(channel, false);
    }
    this.stream.reset();
  }

  private readonly onData = (chunk: Buffer): void => {
    const { items, dropped } = this.stream.push(chunk);
    this.droppedBytes += Object.values(dropped).reduce((a, b) => a + b, 0);
    for (const frame of items) {
      if (frame.kind !== 'write' || frame.unit !== this.unit) continue; // not for this board (or another board's answer)
      const command = decodeRelayCommand(frame, this.channels);
      if (!command) {
        const code = (frame.address & 0xff) + 1 > this.channels || ![0x0000, 0x0200, 0x0400].includes(frame.address & 0xff00) ? 2 : 3;
        this.answer(encodeModbusFrame({ kind: 'exception', unit: this.unit, code }));
        continue;
      }
      this.execute(command);
      this.answer(encodeModbusFrame(frame));
    }
  };

  private execute(command: RelayCommand): void {
    const { channel } = command;
    this.options.clock.clearTimeout(this.flashTimers[channel]);
    this.flashTimers[channel] = null;
    this.setLevel(channel, command.energised);
    if (command.kind === 'pulse') {
      this.flashTimers[channel] = this.options.clock.setTimeout(() => {
        this.flashTimers[channel] = null;
        this.setLevel(channel, !command.energised);
      }, command.units * FLASH_UNIT_MS);
    }
    this.recorded.push(command);
    guardedEmit(this, ignoreListenerError, 'command', command);
  }

  private setLevel(channel: number, energised: boolean): void {
    if (this.levels[channel] === energised) return;
    this.levels[channel] = energised;
    guardedEmit(this, ignoreListenerError, 'level', channel, energised);
  }

  private answer(bytes: Buffer): void {
    if (this.answers === 'silent') return;
    if (this.answers === 'corrupt') bytes[bytes.length - 1]! ^= 0x5a;
    this.options.link.write(bytes).catch(() => undefined); // the gateway's side may be gone: a board does not care
  }
}
