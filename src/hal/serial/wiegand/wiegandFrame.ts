/**
 * Wiegand frames to card numbers and keypad keys, and back. Pure: no I/O, no clock.
 *
 * A frame is `count` bits, first bit received = most significant bit of `value`.
 * The decoders never throw: every frame gets `{ok: true, ...}` or `{ok: false, reason}`:
 *  - 'length'  no format of the decode options has this bit count, and it is not configured raw
 *  - 'parity'  a parity bit of the card's format or the complement nibble (8-bit keypad) is wrong
 *  - 'format'  the frame itself is malformed (bits above `count`, a count outside 1–128) or a
 *              keypad code that is no key (12–15)
 * Card values are the normalised form of src/kernel/cardNumber.ts (26:12:34567, raw:40:ab12);
 * the formats themselves are layouts (cardFormat*.ts).
 * The encoders are for the bridge emulator and tests; they throw GatewayError('INPUT_INVALID').
 */
import { GatewayError } from '../../../kernel/gatewayError.js';
import { BUILTIN_LAYOUTS, DEFAULT_FORMATS, type BuiltinFormat, type DefaultFormat } from './cardFormatBuiltins.js';
import { compileFormats, compileLayout, fitsField, readCard, writeCard, type CardFormatSet } from './cardFormat.js';
import { MAX_FRAME_BITS } from './cardFormatSchema.js';
import type { CardLayout } from './cardFormatSchema.js';

export { MAX_FRAME_BITS };
/** The formats decoded by default, which the bridge emulator sends; encodeCard takes every built-in. */
export type CardFormat = DefaultFormat;

export interface WiegandBits {
  /** number of bits in the frame, 1–128 */
  count: number;
  /** the bits, first received = most significant */
  value: bigint;
}

export type FrameRejection = 'parity' | 'length' | 'format';

/** `format` is a built-in name (cardFormatBuiltins.ts) or the name of a custom layout; a format without a facility field reads facility 0. */
export type WiegandCard =
  | { format: string; bits: number; facility: number; number: number; value: string }
  | { format: 'raw'; bits: number; facility: null; number: null; value: string };

export type CardDecode = { ok: true; card: WiegandCard } | { ok: false; reason: FrameRejection };
export type KeyDecode = { ok: true; key: string } | { ok: false; reason: FrameRejection };

export interface CardDecodeOptions {
  /**
   * Bit lengths (other than 4, 8, 26, 34, 37 and the lengths of `formats`) presented as
   * `raw:<bits>:<hex>` without any parity check. Default none: frames of a length no format
   * decodes are rejected with 'length'.
   */
  rawLengths?: readonly number[];
  /** the formats decoded, by length (compileFormats). Default H10301, H10306 and H10304 */
  formats?: CardFormatSet;
}

const DEFAULT_SET: CardFormatSet = compileFormats(DEFAULT_FORMATS);

/** keypad codes 0–11; 10 = '*', 11 = '#' */
const KEYS = '0123456789*#';

/** Bit lengths that are never raw cards: keypad bursts and the default formats. */
const RESERVED_LENGTHS: readonly number[] = [4, 8, ...DEFAULT_SET.keys()];

export function decodeCard(frame: WiegandBits, options: CardDecodeOptions = {}): CardDecode {
  if (!wellFormed(frame)) return { ok: false, reason: 'format' };
  const spec = (options.formats ?? DEFAULT_SET).get(frame.count);
  if (!spec) {
    if (RESERVED_LENGTHS.includes(frame.count) || !options.rawLengths?.includes(frame.count)) return { ok: false, reason: 'length' };
    return { ok: true, card: { format: 'raw', bits: frame.count, facility: null, number: null, value: `raw:${frame.count}:${frame.value.toString(16)}` } };
  }
  const card = readCard(spec, frame.value);
  if (!card) return { ok: false, reason: 'parity' };
  const { facility, number } = card;
  return { ok: true, card: { format: spec.name, bits: spec.bits, facility, number, value: `${spec.bits}:${facility}:${number}` } };
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
export function encodeCard(format: BuiltinFormat | CardLayout, facility: number, number: number): WiegandBits {
  if (typeof format === 'string' && !Object.hasOwn(BUILTIN_LAYOUTS, format)) throw new GatewayError('INPUT_INVALID', `unknown card format ${String(format)}`);
  const spec = compileLayout(typeof format === 'string' ? BUILTIN_LAYOUTS[format] : format);
  if (!fitsField(spec, 'facility', facility) || !fitsField(spec, 'number', number)) {
    throw new GatewayError('INPUT_INVALID', `facility ${facility} / number ${number} do not fit ${spec.name}`);
  }
  return { count: spec.bits, value: writeCard(spec, facility, number) };
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
