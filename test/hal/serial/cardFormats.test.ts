import t from 'tap';
import fc from 'fast-check';
import { parseCardNumber } from '../../../src/kernel/cardNumber.js';
import { compileFormats, type CardFormatEntry } from '../../../src/hal/serial/wiegand/cardFormat.js';
import type { BuiltinFormat } from '../../../src/hal/serial/wiegand/cardFormatBuiltins.js';
import type { CardLayout } from '../../../src/hal/serial/wiegand/cardFormatSchema.js';
import { decodeCard, encodeCard, type WiegandBits } from '../../../src/hal/serial/wiegand/wiegandFrame.js';

/**
 * An independent reference, written from the format sheets as explicit bit positions (bit 1 =
 * first received) and bit arrays, not from the layouts the decoder compiles. Parity bits are
 * listed in the order they are computed (Corporate 1000's bit 1 covers bits 2 and 35).
 */
interface Sheet {
  bits: number;
  fc: [number, number] | null;
  cn: [number, number];
  parity: { bit: number; odd: boolean; over: number[] }[];
}
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
const SHEETS: Record<BuiltinFormat, Sheet> = {
  H10301: { bits: 26, fc: [2, 9], cn: [10, 25], parity: [{ bit: 1, odd: false, over: range(2, 13) }, { bit: 26, odd: true, over: range(14, 25) }] },
  H10306: { bits: 34, fc: [2, 17], cn: [18, 33], parity: [{ bit: 1, odd: false, over: range(2, 17) }, { bit: 34, odd: true, over: range(18, 33) }] },
  H10304: { bits: 37, fc: [2, 17], cn: [18, 36], parity: [{ bit: 1, odd: false, over: range(2, 19) }, { bit: 37, odd: true, over: range(19, 36) }] },
  // the table of the Proxmark3 forum thread "Wiegand card data formats", copied position by position
  'corporate1000-35': {
    bits: 35, fc: [3, 14], cn: [15, 34],
    parity: [
      { bit: 2, odd: false, over: [3, 4, 6, 7, 9, 10, 12, 13, 15, 16, 18, 19, 21, 22, 24, 25, 27, 28, 30, 31, 33, 34] },
      { bit: 35, odd: true, over: [2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 23, 24, 26, 27, 29, 30, 32, 33] },
      { bit: 1, odd: true, over: range(2, 35) },
    ],
  },
  // proxmark3's Pack_C1k48s masks, as positions: bit 2 skips multiples of 3, bit 48 skips 2 mod 3
  'corporate1000-48': {
    bits: 48, fc: [3, 24], cn: [25, 47],
    parity: [
      { bit: 2, odd: false, over: range(4, 47).filter((p) => p % 3 !== 0) },
      { bit: 48, odd: true, over: range(3, 46).filter((p) => p % 3 !== 2) },
      { bit: 1, odd: true, over: range(2, 48) },
    ],
  },
};
const BUILTINS = Object.keys(SHEETS) as BuiltinFormat[];
const width = ([a, b]: [number, number]) => b - a + 1;

function writeField(bits: number[], [a, b]: [number, number], n: number): void {
  const s = n.toString(2).padStart(b - a + 1, '0');
  for (let i = 0; i < s.length; i++) bits[a - 1 + i] = Number(s[i]);
}
const readField = (bits: number[], [a, b]: [number, number]) => parseInt(bits.slice(a - 1, b).join(''), 2);
const onesAt = (bits: number[], at: number[]) => at.reduce((n, p) => n + bits[p - 1]!, 0);

function referenceBits(sheet: Sheet, facility: number, number: number): number[] {
  const bits = new Array<number>(sheet.bits).fill(0);
  if (sheet.fc) writeField(bits, sheet.fc, facility);
  writeField(bits, sheet.cn, number);
  for (const p of sheet.parity) bits[p.bit - 1] = (onesAt(bits, p.over) % 2 === 1) === p.odd ? 0 : 1;
  return bits;
}
const referenceValid = (sheet: Sheet, bits: number[]) => sheet.parity.every((p) => ((onesAt(bits, p.over) + bits[p.bit - 1]!) % 2 === 1) === p.odd);
const frameOf = (bits: number[] | string): WiegandBits => {
  const s = typeof bits === 'string' ? bits : bits.join('');
  return { count: s.length, value: BigInt(`0b${s}`) };
};
const flip = (bits: number[], i: number) => bits.map((b, j) => (j === i ? 1 - b : b));
const setOf = (...formats: CardFormatEntry[]) => ({ formats: compileFormats(formats) });

t.test('published frames decode to the numbers printed on the cards', async (t) => {
  const cases: [BuiltinFormat, string | bigint, number, number, string][] = [
    // proxmark.org forum, "How to get Site Code and Card Number From 32 bit binary data?" (2016): two HID Corporate 1000 cards
    ['corporate1000-35', '01111111111010000000011101001100011', 4090, 7473, 'forum card 4090 0007473'],
    ['corporate1000-35', '00010110011111001011001100101010001', 1439, 183464, 'forum card 1439 0183464'],
    // jkramarz/TheTick pull request 20: an iCLASS card encoded with --fc 1337 --cn 2137, as the reader sent it
    ['corporate1000-35', 0x4a72010b3n, 1337, 2137, 'TheTick 4A72010B3'],
    // RfidResearchGroup/proxmark3 issue 1791: C1k48s without the HID header (the text says 1245/1235; the hex holds 0x3039 = 12345 twice)
    ['corporate1000-48', 0x803039006072n, 12345, 12345, 'proxmark3 803039006072'],
    // linklayer/BLEKey issue 10 and monkeyboard/Wiegand-Protocol-Library-for-Arduino issue 33: 26-bit cards with their bits
    ['H10301', '10000001001100101101110001', 2, 26040, 'BLEKey FC 2 card 26040'],
    ['H10301', '10001010100111110000100100', 21, 15890, 'Arduino FC 21 card 15890'],
  ];
  for (const [format, raw, facility, number, what] of cases) {
    const frame = typeof raw === 'string' ? frameOf(raw) : { count: SHEETS[format].bits, value: raw };
    t.same(decodeCard(frame, setOf(format)), { ok: true, card: { format, bits: SHEETS[format].bits, facility, number, value: `${SHEETS[format].bits}:${facility}:${number}` } }, what);
    t.same(encodeCard(format, facility, number), frame, `${what}: encoded back to the same frame`);
    t.same(referenceBits(SHEETS[format], facility, number).join(''), frame.value.toString(2).padStart(frame.count, '0'), `${what}: the reference sheet agrees`);
  }
});

for (const format of BUILTINS) {
  const sheet = SHEETS[format];
  const maxFc = 2 ** width(sheet.fc!) - 1;
  const maxCn = 2 ** width(sheet.cn) - 1;
  const cards: [number, number][] = [[1, 1], [Math.floor(maxFc / 3), Math.floor(maxCn / 7)], [maxFc, maxCn], [0, 0], [77, 4242]];

  t.test(`${format}: cards built from the sheet decode to <bits>:<facility>:<number>, the normalised card number`, async (t) => {
    for (const [facility, number] of cards) {
      const bits = referenceBits(sheet, facility, number);
      const r = decodeCard(frameOf(bits), setOf(format));
      const value = `${sheet.bits}:${facility}:${number}`;
      t.same(r, { ok: true, card: { format, bits: sheet.bits, facility, number, value } }, value);
      t.same(parseCardNumber(value), { ok: true, value }, `${value} is a valid card number`);
      t.same(encodeCard(format, facility, number), frameOf(bits), `${value} encodes to the sheet's bits`);
    }
  });

  t.test(`${format}: every single flipped bit is rejected as parity or decodes to the same card`, async (t) => {
    let rejected = 0;
    for (const [facility, number] of cards) {
      const bits = referenceBits(sheet, facility, number);
      for (let i = 0; i < bits.length; i++) {
        const r = decodeCard(frameOf(flip(bits, i)), setOf(format));
        if (!r.ok && r.reason === 'parity') rejected++;
        else if (!r.ok || r.card.value !== `${sheet.bits}:${facility}:${number}`) t.fail(`flip of bit ${i + 1} of ${format} ${facility}/${number}: ${JSON.stringify(r)}`);
      }
    }
    t.equal(rejected, cards.length * sheet.bits, 'every bit of a built-in is under a parity bit: all flips rejected');
  });

  t.test(`${format}: random frames decode exactly when the sheet's parity holds, to the sheet's fields`, async (t) => {
    const formats = setOf(format);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1 }), { minLength: sheet.bits, maxLength: sheet.bits }), (bits) => {
        const r = decodeCard(frameOf(bits), formats);
        if (!referenceValid(sheet, bits)) return !r.ok && r.reason === 'parity';
        return r.ok && r.card.facility === readField(bits, sheet.fc!) && r.card.number === readField(bits, sheet.cn);
      }),
      { numRuns: 3000 },
    );
    // random frames are valid one time in 2^parity bits: make sure valid ones were seen too
    fc.assert(
      fc.property(fc.integer({ min: 0, max: maxFc }), fc.integer({ min: 0, max: maxCn }), (facility, number) => {
        const r = decodeCard(frameOf(referenceBits(sheet, facility, number)), formats);
        return r.ok && r.card.facility === facility && r.card.number === number;
      }),
      { numRuns: 1000 },
    );
  });
}

t.test('Corporate 1000 is off by default; the defaults decode exactly 26, 34 and 37 bits', async (t) => {
  t.match(decodeCard(encodeCard('corporate1000-35', 1337, 2137)), { ok: false, reason: 'length' });
  t.match(decodeCard(encodeCard('corporate1000-48', 12345, 12345)), { ok: false, reason: 'length' });
  t.match(decodeCard(encodeCard('H10301', 12, 34567)), { ok: true, card: { value: '26:12:34567' } });
  const only35 = setOf('corporate1000-35');
  t.match(decodeCard(encodeCard('H10301', 12, 34567), only35), { ok: false, reason: 'length' }, 'a bridge that lists formats decodes only those');
  t.match(decodeCard(encodeCard('H10301', 12, 34567), { ...only35, rawLengths: [26] }), { ok: false, reason: 'length' }, '26 is never raw, even when H10301 is not listed');
  t.match(decodeCard({ count: 40, value: 0xab12n }, { ...only35, rawLengths: [40] }), { ok: true, card: { value: 'raw:40:ab12' } });
});

/** HID Simplex 36-bit (S12906 in proxmark3's wiegand_formats.c): FC 8, issue level 2 (not decoded), CN 24. */
const SIMPLEX: CardLayout = {
  name: 'simplex-36', bits: 36, facility: { from: 2, to: 9 }, number: { from: 12, to: 35 },
  parity: [{ bit: 1, kind: 'odd', over: [[2, 18]] }, { bit: 36, kind: 'odd', over: [[18, 35]] }],
};
const SIMPLEX_SHEET: Sheet = { bits: 36, fc: [2, 9], cn: [12, 35], parity: [{ bit: 1, odd: true, over: range(2, 18) }, { bit: 36, odd: true, over: range(18, 35) }] };

t.test('a custom layout decodes by its own fields and parity bits', async (t) => {
  const formats = setOf('H10301', SIMPLEX);
  for (const [facility, number] of [[12, 345678], [255, 2 ** 24 - 1], [0, 1]] as const) {
    const bits = referenceBits(SIMPLEX_SHEET, facility, number);
    t.same(decodeCard(frameOf(bits), formats), { ok: true, card: { format: 'simplex-36', bits: 36, facility, number, value: `36:${facility}:${number}` } });
    t.same(encodeCard(SIMPLEX, facility, number), frameOf(bits));
    for (let i = 0; i < bits.length; i++) {
      const r = decodeCard(frameOf(flip(bits, i)), formats);
      if (r.ok) t.fail(`flip of bit ${i + 1} accepted`);
    }
  }
  t.match(decodeCard(encodeCard('H10301', 1, 2), formats), { ok: true, card: { format: 'H10301' } }, 'the other formats still decode');
});

t.test('a custom layout without a facility field reads facility 0; bits outside every field and parity change nothing', async (t) => {
  // 30 bits: number 2-25, bits 26-29 padding that no parity covers, an even parity bit 1 and an odd bit 30 over the number
  const layout: CardLayout = { name: 'pad-30', bits: 30, number: { from: 2, to: 25 }, parity: [{ bit: 1, kind: 'even', over: [[2, 13]] }, { bit: 30, kind: 'odd', over: [[14, 25]] }] };
  const sheet: Sheet = { bits: 30, fc: null, cn: [2, 25], parity: [{ bit: 1, odd: false, over: range(2, 13) }, { bit: 30, odd: true, over: range(14, 25) }] };
  const bits = referenceBits(sheet, 0, 9_876_543);
  const formats = setOf(layout);
  t.same(decodeCard(frameOf(bits), formats), { ok: true, card: { format: 'pad-30', bits: 30, facility: 0, number: 9_876_543, value: '30:0:9876543' } });
  const outcomes = bits.map((_, i) => decodeCard(frameOf(flip(bits, i)), formats));
  outcomes.forEach((r, i) => {
    if (i >= 25 && i <= 28) t.match(r, { ok: true, card: { value: '30:0:9876543' } }, `padding bit ${i + 1}: same card`);
    else t.match(r, { ok: false, reason: 'parity' }, `bit ${i + 1}: parity`);
  });
  t.throws(() => encodeCard(layout, 1, 1), { code: 'INPUT_INVALID' }, 'a format without a facility field encodes only facility 0');
});

t.test('the encoders refuse numbers that do not fit the new formats', async (t) => {
  t.throws(() => encodeCard('corporate1000-35', 4096, 1), { code: 'INPUT_INVALID' });
  t.throws(() => encodeCard('corporate1000-35', 1, 2 ** 20), { code: 'INPUT_INVALID' });
  t.throws(() => encodeCard('corporate1000-48', 2 ** 22, 1), { code: 'INPUT_INVALID' });
  t.throws(() => encodeCard('corporate1000-48', 1, 2 ** 23), { code: 'INPUT_INVALID' });
  t.throws(() => encodeCard('toString' as BuiltinFormat, 1, 1), { code: 'INPUT_INVALID' });
});
