/**
 * The card formats the gateway knows by name, as layouts (bit 1 = first received, ranges
 * inclusive). The three HID formats with a leading even and a trailing odd parity bit are on by
 * default; the Corporate 1000 layouts are on when a bridge lists them in `formats`.
 *
 * Corporate 1000 layouts are public: the bit table of "HID 35bit Corporate 1000" in the Proxmark3
 * forum thread "Wiegand card data formats" (proxmark.org/forum/viewtopic.php?pid=9928), and the
 * packers Pack_C1k35s / Pack_C1k48s of RfidResearchGroup/proxmark3 client/src/wiegand_formats.c,
 * whose parity masks (0xB6DB6DB6, 0x6DB6DB6C, 0x1B6D, 0x36DB) give the bit lists below. Both
 * interleave two parity bits over two thirds of the frame each, and bit 1 is odd parity over the
 * whole rest of the frame (the other two parity bits included).
 */
import type { CardLayout } from './cardFormatSchema.js';

/** Pairs [s, s+1] for s = first, first+3, … while s+1 ≤ last: the Corporate 1000 interleave. */
function everyThird(first: number, last: number): [number, number][] {
  const out: [number, number][] = [];
  for (let s = first; s + 1 <= last; s += 3) out.push([s, s + 1]);
  return out;
}

/** Every built-in name, the defaults first. */
export const BUILTIN_FORMATS = ['H10301', 'H10306', 'H10304', 'corporate1000-35', 'corporate1000-48'] as const;

export type BuiltinFormat = (typeof BUILTIN_FORMATS)[number];

export const BUILTIN_LAYOUTS: Readonly<Record<BuiltinFormat, CardLayout>> = {
  H10301: {
    name: 'H10301', bits: 26, facility: { from: 2, to: 9 }, number: { from: 10, to: 25 },
    parity: [{ bit: 1, kind: 'even', over: [[2, 13]] }, { bit: 26, kind: 'odd', over: [[14, 25]] }],
  },
  H10306: {
    name: 'H10306', bits: 34, facility: { from: 2, to: 17 }, number: { from: 18, to: 33 },
    parity: [{ bit: 1, kind: 'even', over: [[2, 17]] }, { bit: 34, kind: 'odd', over: [[18, 33]] }],
  },
  H10304: {
    name: 'H10304', bits: 37, facility: { from: 2, to: 17 }, number: { from: 18, to: 36 },
    parity: [{ bit: 1, kind: 'even', over: [[2, 19]] }, { bit: 37, kind: 'odd', over: [[19, 36]] }],
  },
  'corporate1000-35': {
    name: 'corporate1000-35', bits: 35, facility: { from: 3, to: 14 }, number: { from: 15, to: 34 },
    parity: [
      { bit: 2, kind: 'even', over: everyThird(3, 34) },
      { bit: 35, kind: 'odd', over: everyThird(2, 33) },
      { bit: 1, kind: 'odd', over: [[2, 35]] },
    ],
  },
  'corporate1000-48': {
    name: 'corporate1000-48', bits: 48, facility: { from: 3, to: 24 }, number: { from: 25, to: 47 },
    parity: [
      { bit: 2, kind: 'even', over: everyThird(4, 47) },
      { bit: 48, kind: 'odd', over: everyThird(3, 46) },
      { bit: 1, kind: 'odd', over: [[2, 48]] },
    ],
  },
};

/** What a bridge decodes when its config does not list `formats`: exactly the formats of before. */
export const DEFAULT_FORMATS = ['H10301', 'H10306', 'H10304'] as const satisfies readonly BuiltinFormat[];

export type DefaultFormat = (typeof DEFAULT_FORMATS)[number];
