/**
 * An emulated R30x / R50x fingerprint module on the far end of a SerialLink, for tests and
 * demos. It keeps a template library (slot → finger id), an image buffer and two character
 * buffers, and answers the commands the driver uses (VfyPwd, GenImg, Img2Tz, Search, RegModel,
 * Store, DeletChar, TemplateNum) the way the module manuals describe. A "finger" is just a name:
 * the test puts one on the sensor (`placeFinger('alice')`) and takes it off again.
 *
 * With a non-zero password, every command before a successful VfyPwd is refused with 0x21, as
 * on the real modules. `silent` withholds every reply (a dead or unplugged sensor);
 * `corruptReplies(fn)` lets a test mangle each reply on its way out. The emulator records what it
 * was asked and emits `command` after each reply has been handed to the link.
 */
import { EventEmitter } from 'node:events';
import type { SerialLink } from '../../src/hal/serial/serialLink.js';
import { guardedEmit, ignoreListenerError } from '../../src/kernel/guardedEmit.js';
import {
  R30X_DEFAULT_ADDRESS,
  R30X_DEFAULT_PASSWORD,
  R30X_ENROLL_MISMATCH,
  R30X_INSTRUCTION,
  R30X_NO_FINGER,
  R30X_NOT_FOUND,
  R30X_OK,
  R30X_WRONG_PASSWORD,
  R30xPacketStream,
  encodeR30xPacket,
  type R30xInstruction,
} from '../../src/hal/serial/fingerprint/r30xPacket.js';

export interface R30xEmulatorOptions {
  /** the emulator's end of the wire; the emulator starts and stops it */
  link: SerialLink;
  password?: number;
  address?: number;
  /** library slots, default 200 (R503) */
  capacity?: number;
  /** the score Search reports for a match, default 120 */
  matchScore?: number;
}

export interface R30xExchange {
  instruction: R30xInstruction | 'unknown';
  /** the confirmation code sent back; null when the reply was withheld */
  code: number | null;
  /** bytes handed to the link for this reply (after corruption) */
  bytes: number;
}

export type R30xEmulatorEvents = {
  command: [R30xExchange];
};

export type ReplyCorruptor = (reply: Buffer, index: number) => Buffer;

const NAMES = new Map<number, R30xInstruction>(Object.entries(R30X_INSTRUCTION).map(([name, code]) => [code, name as R30xInstruction]));
const PACKET_ERROR = 0x01;
const NO_VALID_IMAGE = 0x15;
const BAD_LOCATION = 0x0b;
const DELETE_FAILED = 0x10;
const MUST_VERIFY = 0x21;

export class R30xEmulator extends EventEmitter<R30xEmulatorEvents> {
  /** withhold every reply */
  silent = false;
  private readonly address: number;
  private readonly capacity: number;
  private password: number;
  private matchScore: number;
  private verified: boolean;
  private finger: string | null = null;
  private image: string | null = null;
  private readonly charBuffers: (string | null)[] = [null, null, null];
  private readonly library = new Map<number, string>();
  private readonly stream: R30xPacketStream;
  private readonly log: R30xExchange[] = [];
  private corruptor: ReplyCorruptor | null = null;
  private replyIndex = 0;
  private bytesOut = 0;
  private readonly onData = (chunk: Buffer) => this.receive(chunk);

  constructor(private readonly options: R30xEmulatorOptions) {
    super();
    this.address = options.address ?? R30X_DEFAULT_ADDRESS;
    this.capacity = options.capacity ?? 200;
    this.password = options.password ?? R30X_DEFAULT_PASSWORD;
    this.matchScore = options.matchScore ?? 120;
    this.verified = this.password === R30X_DEFAULT_PASSWORD;
    this.stream = new R30xPacketStream({ address: this.address });
  }

  async start(): Promise<void> {
    this.options.link.on('data', this.onData);
    await this.options.link.start();
  }

  async stop(): Promise<void> {
    this.options.link.off('data', this.onData);
    await this.options.link.stop();
  }

  placeFinger(finger: string): void {
    this.finger = finger;
  }

  liftFinger(): void {
    this.finger = null;
  }

  /** Puts a template straight into the library (test setup without an enrolment). */
  storeTemplate(slot: number, finger: string): void {
    this.library.set(slot, finger);
  }

  /** slot → finger, a copy */
  templates(): Map<number, string> {
    return new Map(this.library);
  }

  setMatchScore(score: number): void {
    this.matchScore = score;
  }

  /** Changes the module password; the module then needs a new VfyPwd (as after a power cycle). */
  setPassword(password: number): void {
    this.password = password;
    this.verified = password === R30X_DEFAULT_PASSWORD;
  }

  corruptReplies(corruptor: ReplyCorruptor | null): void {
    this.corruptor = corruptor;
    this.replyIndex = 0;
  }

  /** every command received, oldest first */
  exchanges(): R30xExchange[] {
    return this.log.map((e) => ({ ...e }));
  }

  stats(): { commands: number; bytesOut: number } {
    return { commands: this.log.length, bytesOut: this.bytesOut };
  }

  receive(chunk: Buffer): void {
    for (const packet of this.stream.push(chunk).items) {
      if (packet.type !== 'command') continue;
      const [code, ...data] = this.execute(packet.payload);
      this.reply(NAMES.get(packet.payload[0]!) ?? 'unknown', code!, data);
    }
  }

  private execute(payload: Buffer): number[] {
    const instruction = NAMES.get(payload[0]!);
    const u16 = (at: number) => payload.readUInt16BE(at);
    if (instruction === 'VfyPwd') {
      if (payload.length < 5) return [PACKET_ERROR];
      this.verified = payload.readUInt32BE(1) === this.password >>> 0;
      return [this.verified ? R30X_OK : R30X_WRONG_PASSWORD];
    }
    if (!this.verified) return [MUST_VERIFY];
    switch (instruction) {
      case 'GenImg':
        this.image = this.finger;
        return [this.finger === null ? R30X_NO_FINGER : R30X_OK];
      case 'Img2Tz': {
        const buffer = payload[1];
        if (buffer !== 1 && buffer !== 2) return [PACKET_ERROR];
        if (this.image === null) return [NO_VALID_IMAGE];
        this.charBuffers[buffer] = this.image;
        return [R30X_OK];
      }
      case 'Search': {
        if (payload.length < 6) return [PACKET_ERROR];
        const wanted = this.charBuffers[payload[1]!] ?? null;
        const start = u16(2);
        const end = Math.min(start + u16(4), this.capacity);
        for (let slot = start; wanted !== null && slot < end; slot++) {
          if (this.library.get(slot) === wanted) return [R30X_OK, slot >> 8, slot & 0xff, this.matchScore >> 8, this.matchScore & 0xff];
        }
        return [R30X_NOT_FOUND, 0, 0, 0, 0];
      }
      case 'RegModel': {
        const [, one, two] = this.charBuffers;
        if (one === null || one === undefined || one !== two) return [R30X_ENROLL_MISMATCH];
        return [R30X_OK];
      }
      case 'Store': {
        if (payload.length < 4) return [PACKET_ERROR];
        const template = this.charBuffers[payload[1]!] ?? null;
        const slot = u16(2);
        if (slot >= this.capacity) return [BAD_LOCATION];
        if (template === null) return [PACKET_ERROR];
        this.library.set(slot, template);
        return [R30X_OK];
      }
      case 'DeletChar': {
        if (payload.length < 5) return [PACKET_ERROR];
        const slot = u16(1);
        const count = u16(3);
        if (slot + count > this.capacity) return [DELETE_FAILED];
        for (let s = slot; s < slot + count; s++) this.library.delete(s);
        return [R30X_OK];
      }
      case 'TemplateNum':
        return [R30X_OK, this.library.size >> 8, this.library.size & 0xff];
      default:
        return [PACKET_ERROR];
    }
  }

  private reply(instruction: R30xExchange['instruction'], code: number, data: number[]): void {
    if (this.silent) {
      this.record({ instruction, code: null, bytes: 0 });
      return;
    }
    let bytes = encodeR30xPacket({ type: 'ack', address: this.address, payload: Buffer.from([code, ...data]) });
    if (this.corruptor) bytes = this.corruptor(bytes, this.replyIndex++);
    this.bytesOut += bytes.length;
    if (bytes.length > 0) this.options.link.write(bytes).catch(() => undefined);
    this.record({ instruction, code, bytes: bytes.length });
  }

  private record(exchange: R30xExchange): void {
    this.log.push(exchange);
    // a test's listener failing must not stop the emulated sensor
    guardedEmit(this, ignoreListenerError, 'command', exchange);
  }
}
