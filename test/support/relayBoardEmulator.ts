/**
 * The relay board's side of the wire, for tests and demos: it decodes the frames it receives
 * (checksum verified, resynchronising on 0xA0), keeps each relay's level like the real board,
 * records every accepted frame and counts the bytes it had to drop. Like the hardware it never
 * answers. Frames for a channel the board does not have are ignored (and counted).
 *
 * Feed it with `receive(chunk)`, or `attach(link)` to a SerialLink: its own end of a PTY pair,
 * or — with serialport's mock binding created with `echo: true` — the driver's own link, whose
 * echo is exactly what the driver wrote.
 */
import { EventEmitter } from 'node:events';
import type { SerialLink } from '../../src/hal/serial/serialLink.js';
import { RelayFrameStream, type RelayDecodeReason, type RelayFrame } from '../../src/hal/serial/relay/relayFrame.js';
import { guardedEmit, ignoreListenerError } from '../../src/kernel/guardedEmit.js';

export interface RelayBoardEmulatorOptions {
  /** relays on the emulated board, 1..16. Default 8 */
  channels?: number;
}

export type RelayBoardEmulatorEvents = {
  /** a valid frame for one of the board's channels was applied */
  frame: [RelayFrame];
  /** bytes were dropped while resynchronising */
  dropped: [RelayDecodeReason, number];
};

export interface RelayBoardEmulatorStats {
  frames: number;
  /** valid frames for channels this board does not have */
  ignored: number;
  droppedBytes: Record<RelayDecodeReason, number>;
}

export class RelayBoardEmulator extends EventEmitter<RelayBoardEmulatorEvents> {
  readonly channels: number;
  private readonly stream = new RelayFrameStream();
  private readonly levels: boolean[];
  private readonly recorded: RelayFrame[] = [];
  private ignoredFrames = 0;
  private readonly dropped: Record<RelayDecodeReason, number> = { header: 0, channel: 0, state: 0, checksum: 0 };

  constructor(options: RelayBoardEmulatorOptions = {}) {
    super();
    this.channels = options.channels ?? 8;
    this.levels = new Array<boolean>(this.channels + 1).fill(false);
  }

  /** Subscribes to a link's data; returns the function that unsubscribes. */
  attach(link: SerialLink): () => void {
    const listener = (chunk: Buffer) => this.receive(chunk);
    link.on('data', listener);
    return () => link.off('data', listener);
  }

  receive(chunk: Buffer): void {
    const { items: frames, dropped } = this.stream.push(chunk);
    for (const [reason, count] of Object.entries(dropped) as [RelayDecodeReason, number][]) {
      this.dropped[reason] += count;
      this.emitGuarded('dropped', reason, count);
    }
    for (const frame of frames) {
      if (frame.channel > this.channels) {
        this.ignoredFrames++;
        continue;
      }
      this.levels[frame.channel] = frame.energised;
      this.recorded.push(frame);
      this.emitGuarded('frame', frame);
    }
  }

  /** true when the relay is energised */
  energised(channel: number): boolean {
    return this.levels[channel] === true;
  }

  /** every accepted frame, oldest first (a copy) */
  frames(): RelayFrame[] {
    return this.recorded.map((f) => ({ ...f }));
  }

  stats(): RelayBoardEmulatorStats {
    return { frames: this.recorded.length, ignored: this.ignoredFrames, droppedBytes: { ...this.dropped } };
  }

  /** The supply sagged: every relay drops out, as the real board does. */
  brownOut(): void {
    this.levels.fill(false);
    this.stream.reset();
  }

  /** A test's listener failing must not desynchronise the emulated board. */
  private emitGuarded<K extends keyof RelayBoardEmulatorEvents>(event: K, ...args: RelayBoardEmulatorEvents[K]): void {
    guardedEmit(this, ignoreListenerError, event, ...args);
  }
}
