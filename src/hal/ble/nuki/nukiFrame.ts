/**
 * Message framing of the Nuki API (all integers little-endian):
 *  - unencrypted (pairing GDIO, keyturner GDIO error reports):
 *      command id 2 ‖ payload n ‖ CRC 2            (CRC over command id ‖ payload)
 *  - encrypted (keyturner USDIO):
 *      nonce 24 ‖ auth id 4 ‖ length 2 ‖ e1(nonce, auth id 4 ‖ command id 2 ‖ payload n ‖ CRC 2)
 *    where length is that of the sealed part (16-byte tag included) and the CRC covers the
 *    decrypted auth id ‖ command id ‖ payload.
 * Decoders never throw: they return a frame or the reason it was dropped.
 */
import { NUKI_MAX_MESSAGE, NUKI_PLAIN_PAYLOAD_LENGTH } from './nukiConstants.js';
import { nukiCrc, nukiCrcValid } from './nukiCrc.js';
import { nukiOpen, nukiSeal } from './nukiCrypto.js';

export interface NukiMessage {
  command: number;
  payload: Uint8Array;
}

export type DropReason = 'length' | 'crc' | 'decrypt' | 'auth_id' | 'unknown_command';
export type Decoded<T> = { ok: true; message: T } | { ok: false; reason: DropReason };

export const ADATA_LENGTH = 30;
const TAG_LENGTH = 16;

export function u16(value: number): Uint8Array {
  return Uint8Array.of(value & 0xff, (value >> 8) & 0xff);
}

export function u32(value: number): Uint8Array {
  return Uint8Array.of(value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff);
}

export function readU16(bytes: Uint8Array, at: number): number {
  return bytes[at]! | (bytes[at + 1]! << 8);
}

export function readU32(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function withCrc(body: Uint8Array): Uint8Array {
  return concat(body, u16(nukiCrc(body)));
}

export function encodePlain(command: number, payload: Uint8Array): Uint8Array {
  return withCrc(concat(u16(command), payload));
}

export function decodePlain(frame: Uint8Array): Decoded<NukiMessage> {
  if (frame.length < 4) return { ok: false, reason: 'length' };
  const command = readU16(frame, 0);
  const expected = NUKI_PLAIN_PAYLOAD_LENGTH[command];
  if (expected === undefined) return { ok: false, reason: 'unknown_command' };
  if (frame.length !== expected + 4) return { ok: false, reason: 'length' };
  if (!nukiCrcValid(frame)) return { ok: false, reason: 'crc' };
  return { ok: true, message: { command, payload: frame.slice(2, frame.length - 2) } };
}

export function encodeEncrypted(key: Uint8Array, authId: number, nonce: Uint8Array, command: number, payload: Uint8Array): Uint8Array {
  const plain = withCrc(concat(u32(authId), u16(command), payload));
  const sealed = nukiSeal(key, nonce, plain);
  return concat(nonce, u32(authId), u16(sealed.length), sealed);
}

/** The auth id of an encrypted frame's ADATA (the lock picks the key by it); undefined when too short. */
export function encryptedAuthId(frame: Uint8Array): number | undefined {
  return frame.length >= ADATA_LENGTH ? readU32(frame, 24) : undefined;
}

export function decodeEncrypted(key: Uint8Array, frame: Uint8Array): Decoded<NukiMessage & { authId: number }> {
  if (frame.length < ADATA_LENGTH) return { ok: false, reason: 'length' };
  const length = readU16(frame, 28);
  if (length < TAG_LENGTH + 8 || frame.length !== ADATA_LENGTH + length) return { ok: false, reason: 'length' };
  const plain = nukiOpen(key, frame.subarray(0, 24), frame.subarray(ADATA_LENGTH));
  if (!plain) return { ok: false, reason: 'decrypt' };
  if (!nukiCrcValid(plain)) return { ok: false, reason: 'crc' };
  const authId = readU32(plain, 0);
  if (authId !== readU32(frame, 24)) return { ok: false, reason: 'auth_id' };
  return { ok: true, message: { authId, command: readU16(plain, 4), payload: plain.slice(6, plain.length - 2) } };
}

/**
 * How many bytes the message starting with `head` has in all, when that can be told yet:
 * encrypted frames from their length field, unencrypted ones from the command's payload length.
 * 'bad' when the head cannot start a message we know.
 */
export function expectedLength(head: Uint8Array, encrypted: boolean): number | 'more' | 'bad' {
  if (encrypted) {
    if (head.length < ADATA_LENGTH) return 'more';
    const total = ADATA_LENGTH + readU16(head, 28);
    return total > NUKI_MAX_MESSAGE || total < ADATA_LENGTH + TAG_LENGTH + 8 ? 'bad' : total;
  }
  if (head.length < 2) return 'more';
  const payload = NUKI_PLAIN_PAYLOAD_LENGTH[readU16(head, 0)];
  return payload === undefined ? 'bad' : payload + 4;
}
