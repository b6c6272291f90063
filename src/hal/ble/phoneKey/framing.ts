/**
 * Messages over ATT values. One value carries at most `maxValueLength()` bytes (20 at the
 * default MTU of 23), so a message travels as fragments:
 *
 *   byte 0      header: bit 7 FIRST, bit 6 LAST, bits 5–0 sequence (0 on the first, +1 mod 64)
 *   bytes 1–2   on the FIRST fragment only: the message's total length, big-endian
 *   the rest    the message's next bytes (at least one)
 *
 * A message in one value has FIRST and LAST set. Pure: the reassembler takes `now` as an
 * argument and reports explicit outcomes; the session decides what an error means.
 */
import { MAX_MESSAGE_BYTES, MIN_VALUE_LENGTH } from './protocol.js';

const FIRST = 0x80;
const LAST = 0x40;
const SEQ_MASK = 0x3f;

/** Splits `message` into values of at most `maxValueLength` bytes. Throws on a message or MTU the protocol cannot carry (our bug). */
export function fragment(message: Uint8Array, maxValueLength: number): Uint8Array[] {
  if (message.length < 1 || message.length > MAX_MESSAGE_BYTES) throw new RangeError(`a message is 1 to ${MAX_MESSAGE_BYTES} bytes, not ${message.length}`);
  if (maxValueLength < MIN_VALUE_LENGTH) throw new RangeError(`a value of ${maxValueLength} bytes cannot carry a fragment`);
  const values: Uint8Array[] = [];
  let offset = 0;
  let seq = 0;
  while (offset < message.length) {
    const first = offset === 0;
    const room = maxValueLength - (first ? 3 : 1);
    const chunk = message.subarray(offset, offset + room);
    offset += chunk.length;
    const header = (first ? FIRST : 0) | (offset === message.length ? LAST : 0) | (seq & SEQ_MASK);
    const value = new Uint8Array((first ? 3 : 1) + chunk.length);
    value[0] = header;
    if (first) {
      value[1] = message.length >> 8;
      value[2] = message.length & 0xff;
    }
    value.set(chunk, first ? 3 : 1);
    values.push(value);
    seq = (seq + 1) & SEQ_MASK;
  }
  return values;
}

export type FramingError =
  /** a value with no byte after its header */
  | 'empty'
  /** a continuation with no message started */
  | 'not_first'
  /** a FIRST while a message was being assembled */
  | 'restarted'
  /** a sequence number other than the next one */
  | 'out_of_order'
  /** a total length of 0 or over MAX_MESSAGE_BYTES */
  | 'oversized'
  /** more bytes than the total length said */
  | 'overrun'
  /** LAST before the total length was reached */
  | 'truncated'
  /** the message's fragments took longer than the reassembly timeout */
  | 'timeout';

export type ReassemblyOutcome = { kind: 'more' } | { kind: 'message'; message: Uint8Array } | { kind: 'error'; reason: FramingError };

/** Collects one message at a time. After an error it is empty again (the session ends the exchange anyway). */
export class Reassembler {
  readonly #timeoutMs: number;
  readonly #maxBytes: number;
  #buffer: Uint8Array | null = null;
  #filled = 0;
  #nextSeq = 0;
  #startedAt = 0;

  constructor(options: { timeoutMs: number; maxBytes?: number }) {
    this.#timeoutMs = options.timeoutMs;
    this.#maxBytes = options.maxBytes ?? MAX_MESSAGE_BYTES;
  }

  /** whether a message is partly received */
  get assembling(): boolean {
    return this.#buffer !== null;
  }

  push(value: Uint8Array, now: number): ReassemblyOutcome {
    const header = value[0];
    if (header === undefined) return this.#fail('empty');
    const first = (header & FIRST) !== 0;
    const last = (header & LAST) !== 0;
    const seq = header & SEQ_MASK;
    if (this.#buffer && now - this.#startedAt > this.#timeoutMs) return this.#fail('timeout');
    let payload: Uint8Array;
    if (first) {
      if (this.#buffer) return this.#fail('restarted');
      if (value.length < 4) return this.#fail(value.length < 3 ? 'truncated' : 'empty');
      if (seq !== 0) return this.#fail('out_of_order');
      const total = (value[1]! << 8) | value[2]!;
      if (total === 0 || total > this.#maxBytes) return this.#fail('oversized');
      this.#buffer = new Uint8Array(total);
      this.#filled = 0;
      this.#nextSeq = 0;
      this.#startedAt = now;
      payload = value.subarray(3);
    } else {
      if (!this.#buffer) return this.#fail('not_first');
      if (value.length < 2) return this.#fail('empty');
      if (seq !== this.#nextSeq) return this.#fail('out_of_order');
      payload = value.subarray(1);
    }
    const buffer = this.#buffer;
    if (this.#filled + payload.length > buffer.length) return this.#fail('overrun');
    buffer.set(payload, this.#filled);
    this.#filled += payload.length;
    this.#nextSeq = (seq + 1) & SEQ_MASK;
    const complete = this.#filled === buffer.length;
    if (last !== complete) return this.#fail(last ? 'truncated' : 'overrun');
    if (!complete) return { kind: 'more' };
    this.#buffer = null;
    return { kind: 'message', message: buffer };
  }

  #fail(reason: FramingError): ReassemblyOutcome {
    this.#buffer = null;
    this.#filled = 0;
    return { kind: 'error', reason };
  }
}
