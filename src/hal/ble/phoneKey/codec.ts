/**
 * The four messages of the exchange, as bytes (docs/ble-phone-key.md has every layout with
 * examples). Each reassembled message starts with its type byte. Fields are fixed-width
 * big-endian integers, `str8` (a length byte and that many bytes of UTF-8) and `bytes8` /
 * `bytes16` (a 1- or 2-byte big-endian length and that many bytes). Pure: decoding returns an
 * explicit outcome and never throws; trailing bytes are malformed.
 */
export const MESSAGE_TYPES = { hello: 0x01, challenge: 0x02, response: 0x03, result: 0x04 } as const;

export interface Hello { type: 'hello'; version: number; algorithm: number; doorId: string; credentialId: string }
export interface Challenge { type: 'challenge'; version: number; nonce: Uint8Array; gatewayId: string; doorId: string; time: number; expiresInS: number }
export interface Response { type: 'response'; nonce: Uint8Array; signature: Uint8Array; document?: Uint8Array | undefined }
export interface Result { type: 'result'; granted: boolean; reason: string; unlockMs?: number | undefined }
export type PhoneKeyMessage = Hello | Challenge | Response | Result;

export type DecodeOutcome = { ok: true; message: PhoneKeyMessage } | { ok: false; reason: 'malformed'; detail: string };

/** the domain tag that starts every signing input: a signature over it means nothing elsewhere */
export const SIGNING_CONTEXT = 'lockgw-phone-key/1';

class Writer {
  readonly #parts: number[] = [];
  u8(n: number): this { this.#parts.push(n & 0xff); return this; }
  u16(n: number): this { return this.u8(n >> 8).u8(n); }
  u32(n: number): this { return this.u16(Math.floor(n / 0x10000)).u16(n % 0x10000); }
  u64(n: number): this { return this.u32(Math.floor(n / 0x1_0000_0000)).u32(n % 0x1_0000_0000); }
  raw(bytes: Uint8Array): this { for (const b of bytes) this.#parts.push(b); return this; }
  str8(text: string): this { return this.bytes8(new TextEncoder().encode(text)); }
  bytes8(bytes: Uint8Array): this {
    if (bytes.length > 0xff) throw new RangeError(`a 1-byte-length field holds at most 255 bytes, not ${bytes.length}`);
    return this.u8(bytes.length).raw(bytes);
  }
  bytes16(bytes: Uint8Array): this {
    if (bytes.length > 0xffff) throw new RangeError(`a 2-byte-length field holds at most 65535 bytes, not ${bytes.length}`);
    return this.u16(bytes.length).raw(bytes);
  }
  done(): Uint8Array { return Uint8Array.from(this.#parts); }
}

class Reader {
  #at = 0;
  constructor(readonly bytes: Uint8Array) {}
  #take(n: number): Uint8Array {
    if (this.#at + n > this.bytes.length) throw new Truncated();
    const out = this.bytes.subarray(this.#at, this.#at + n);
    this.#at += n;
    return out;
  }
  u8(): number { return this.#take(1)[0]!; }
  u16(): number { const b = this.#take(2); return (b[0]! << 8) | b[1]!; }
  u32(): number { return this.u16() * 0x10000 + this.u16(); }
  u64(): number {
    const high = this.u32();
    if (high > 0x1fffff) throw new Truncated('a time beyond 2^53 ms');
    return high * 0x1_0000_0000 + this.u32();
  }
  bytes8(): Uint8Array { return this.#take(this.u8()); }
  bytes16(): Uint8Array { return this.#take(this.u16()); }
  str8(): string { return new TextDecoder('utf-8', { fatal: true }).decode(this.bytes8()); }
  end(): void { if (this.#at !== this.bytes.length) throw new Truncated(`${this.bytes.length - this.#at} trailing bytes`); }
}

class Truncated extends Error {
  constructor(detail = 'ends inside a field') { super(detail); }
}

export function encodeMessage(message: PhoneKeyMessage): Uint8Array {
  const w = new Writer().u8(MESSAGE_TYPES[message.type]);
  switch (message.type) {
    case 'hello':
      return w.u8(message.version).u8(message.algorithm).str8(message.doorId).str8(message.credentialId).done();
    case 'challenge':
      return w.u8(message.version).bytes8(message.nonce).str8(message.gatewayId).str8(message.doorId).u64(message.time).u16(message.expiresInS).done();
    case 'response':
      return w.bytes8(message.nonce).bytes8(message.signature).bytes16(message.document ?? new Uint8Array(0)).done();
    case 'result':
      return w.u8(message.granted ? 1 : 0).str8(message.reason).u32(message.unlockMs ?? 0).done();
  }
}

export function decodeMessage(bytes: Uint8Array): DecodeOutcome {
  try {
    const r = new Reader(bytes);
    const type = r.u8();
    let message: PhoneKeyMessage;
    if (type === MESSAGE_TYPES.hello) {
      message = { type: 'hello', version: r.u8(), algorithm: r.u8(), doorId: r.str8(), credentialId: r.str8() };
    } else if (type === MESSAGE_TYPES.challenge) {
      message = { type: 'challenge', version: r.u8(), nonce: r.bytes8(), gatewayId: r.str8(), doorId: r.str8(), time: r.u64(), expiresInS: r.u16() };
    } else if (type === MESSAGE_TYPES.response) {
      const nonce = r.bytes8();
      const signature = r.bytes8();
      const document = r.bytes16();
      message = { type: 'response', nonce, signature, document: document.length > 0 ? document : undefined };
    } else if (type === MESSAGE_TYPES.result) {
      const granted = r.u8();
      if (granted > 1) return { ok: false, reason: 'malformed', detail: `granted is ${granted}` };
      const reason = r.str8();
      const unlockMs = r.u32();
      message = { type: 'result', granted: granted === 1, reason, unlockMs: unlockMs > 0 ? unlockMs : undefined };
    } else {
      return { ok: false, reason: 'malformed', detail: `unknown message type ${type}` };
    }
    r.end();
    return { ok: true, message };
  } catch (err) {
    // Truncated, or TextDecoder's TypeError on bytes that are not UTF-8
    return { ok: false, reason: 'malformed', detail: err instanceof Error ? err.message : 'undecodable' };
  }
}

/**
 * The exact bytes a phone signs: str8(SIGNING_CONTEXT) ‖ bytes8(nonce) ‖ str8(gatewayId) ‖
 * str8(doorId) ‖ u64(time), with the CHALLENGE's values as they were received.
 */
export function signingInput(challenge: { nonce: Uint8Array; gatewayId: string; doorId: string; time: number }): Uint8Array {
  return new Writer().str8(SIGNING_CONTEXT).bytes8(challenge.nonce).str8(challenge.gatewayId).str8(challenge.doorId).u64(challenge.time).done();
}
