/**
 * Wiegand frames to card numbers and keypad keys, and back. Pure: no I/O, no clock.
 *
 * A frame is `count` bits, first bit received = most significant bit of `value`.
 * The decoders never throw: every frame gets `{ok: true, ...}` or `{ok: false, reason}`:
 *  - 'length'  the bit count is not a format we decode (and not configured as raw)
 *  - 'parity'  a parity bit (cards) or the complement nibble (8-bit keypad) is wrong
 *  - 'format'  the frame itself is malformed (bits above `count`, a count outside 1–128) or a
 *              keypad code that is no key (12–15)
 * Card values are the normalised form of src/kernel/cardNumber.ts (26:12:34567, raw:40:ab12).
 * The encoders are for the bridge emulator and tests; they throw GatewayError('INPUT_INVALID').
 */
import { GatewayError } from '../../../kernel/gatewayError.js';

export interface WiegandBits {
  /** number of bits in the frame, 1–128 */
  count: number;
  /** the bits, first received = most significant */
  value: bigint;
}

export const MAX_FRAME_BITS = 128;

export type CardFormat = 'H10301' | 'H10306' | 'H10304';
export type FrameRejection = 'parity' | 'length' | 'format';

export type WiegandCard =
  | { format: CardFormat; bits: number; facility: number; number: number; value: string }
  | { format: 'raw'; bits: number; facility: null; number: null; value: string };

export type CardDecode = { ok: true; card: WiegandCard } | { ok: false; reason: FrameRejection };
export type KeyDecode = { ok: true; key: string } | { ok: false; reason: FrameRejection };

export interface CardDecodeOptions {
  /**
   * Bit lengths (other than 4, 8, 26, 34, 37) presented as `raw:<bits>:<hex>` without any
   * parity check. Default none: frames of unknown length are rejected with 'length'.
   */
  rawLengths?: readonly number[];
}

interface FormatSpec {
  format: CardFormat;
  bits: number;
  facilityBits: number;
  numberBits: number;
  /** the leading parity bit makes itself + the first `evenBits` data bits even */
  evenBits: number;
  /** the trailing parity bit makes itself + the last `oddBits` data bits odd */
  oddBits: number;
}

const FORMATS: ReadonlyMap<number, FormatSpec> = new Map([
  [26, { format: 'H10301', bits: 26, facilityBits: 8, numberBits: 16, evenBits: 12, oddBits: 12 }],
  [34, { format: 'H10306', bits: 34, facilityBits: 16, numberBits: 16, evenBits: 16, oddBits: 16 }],
  [37, { format: 'H10304', bits: 37, facilityBits: 16, numberBits: 19, evenBits: 18, oddBits: 18 }],
]);

const FORMAT_BY_NAME: ReadonlyMap<CardFormat, FormatSpec> = new Map([...FORMATS.values()].map((f) => [f.format, f]));

/** keypad codes 0–11; 10 = '*', 11 = '#' */
const KEYS = '0123456789*#';

/** Bit lengths that are never raw cards: keypad bursts and the decoded formats. */
export const RESERVED_LENGTHS: readonly number[] = [4, 8, ...FORMATS.keys()];

export function decodeCard(frame: WiegandBits, options: CardDecodeOptions = {}): CardDecode {
  if (!wellFormed(frame)) return { ok: false, reason: 'format' };
  const spec = FORMATS.get(frame.count);
  if (!spec) {
    if (RESERVED_LENGTHS.includes(frame.count) || !options.rawLengths?.includes(frame.count)) return { ok: false, reason: 'length' };
    return { ok: true, card: { format: 'raw', bits: frame.count, facility: null, number: null, value: `raw:${frame.count}:${frame.value.toString(16)}` } };
  }
  const dataBits = spec.bits - 2;
  const data = (frame.value >> 1n) & mask(dataBits);
  const leading = frame.value >> BigInt(spec.bits - 1);
  const trailing = frame.value & 1n;
  const evenOk = (popcount(data >> BigInt(dataBits - spec.evenBits)) + Number(leading)) % 2 === 0;
  const oddOk = (popcount(data & mask(spec.oddBits)) + Number(trailing)) % 2 === 1;
  if (!evenOk || !oddOk) return { ok: false, reason: 'parity' };
  const facility = Number(data >> BigInt(spec.numberBits));
  const number = Number(data & mask(spec.numberBits));
  return { ok: true, card: { format: spec.format, bits: spec.bits, facility, number, value: `${spec.bits}:${facility}:${number}` } };
}

/**
 * A keypad burst: 4 bits = the key code; 8 bits = the complement of the code in the high nibble
 * (sent first), the code in the low nibble (HID 8-bit keypad format).
 */
export function decodeKeypad(frame: WiegandBits): KeyDecode {
  if (!wellFormed(frame)) return { ok: false, reason: 'format' };
  let code: number;
  if (frame.count === 4) {
    code = Number(frame.value);
  } else if (frame.count === 8) {
    code = Number(frame.value & 0xfn);
    if (Number(frame.value >> 4n) !== (~code & 0xf)) return { ok: false, reason: 'parity' };
  } else {
    return { ok: false, reason: 'length' };
  }
  const key = KEYS[code];
  return key === undefined ? { ok: false, reason: 'format' } : { ok: true, key };
}

/** The frame a reader sends for a card. Throws INPUT_INVALID when the numbers do not fit. */
export function encodeCard(format: CardFormat, facility: number, number: number): WiegandBits {
  const spec = FORMAT_BY_NAME.get(format);
  if (!spec) throw new GatewayError('INPUT_INVALID', `unknown card format ${String(format)}`);
  if (!fits(facility, spec.facilityBits) || !fits(number, spec.numberBits)) {
    throw new GatewayError('INPUT_INVALID', `facility ${facility} / number ${number} do not fit ${format} (${spec.facilityBits}+${spec.numberBits} bits)`);
  }
  const dataBits = spec.bits - 2;
  const data = (BigInt(facility) << BigInt(spec.numberBits)) | BigInt(number);
  const even = BigInt(popcount(data >> BigInt(dataBits - spec.evenBits)) % 2);
  const odd = BigInt(1 - (popcount(data & mask(spec.oddBits)) % 2));
  return { count: spec.bits, value: (even << BigInt(spec.bits - 1)) | (data << 1n) | odd };
}

/** The burst a keypad sends for one key ('0'–'9', '*', '#'). Throws INPUT_INVALID otherwise. */
export function encodeKey(key: string, bits: 4 | 8): WiegandBits {
  const code = key.length === 1 ? KEYS.indexOf(key) : -1;
  if (code < 0) throw new GatewayError('INPUT_INVALID', 'a keypad key is one of 0-9, * and #');
  if (bits === 4) return { count: 4, value: BigInt(code) };
  return { count: 8, value: BigInt(((~code & 0xf) << 4) | code) };
}

function wellFormed(frame: WiegandBits): boolean {
  return (
    Number.isInteger(frame.count) &&
    frame.count >= 1 &&
    frame.count <= MAX_FRAME_BITS &&
    typeof frame.value === 'bigint' &&
    frame.value >= 0n &&
    frame.value >> BigInt(frame.count) === 0n
  );
}

function fits(n: number, bits: number): boolean {
  return Number.isInteger(n) && n >= 0 && n < 2 ** bits;
}

function mask(bits: number): bigint {
  return (1n << BigInt(bits)) - 1n;
}

function popcount(v: bigint): number {
  let n = 0;
  for (let x = v; x > 0n; x >>= 1n) n += Number(x & 1n);
  return n;
}
