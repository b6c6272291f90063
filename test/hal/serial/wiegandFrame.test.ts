import t from 'tap';
import fc from 'fast-check';
import { parseCardNumber } from '../../../src/kernel/cardNumber.js';
import { decodeCard, decodeKeypad, encodeCard, encodeKey, type CardFormat, type WiegandBits } from '../../../src/hal/serial/wiegand/wiegandFrame.js';

/**
 * An independent reference, written from the format sheets with bit strings rather than bigint
 * arithmetic: bit 1 = even parity over the first `even` data bits, last bit = odd parity over the
 * last `odd` data bits.
 */
const SHEETS: Record<CardFormat, { bits: number; fc: number; cn: number; even: number; odd: number }> = {
  H10301: { bits: 26, fc: 8, cn: 16, even: 12, odd: 12 },
  H10306: { bits: 34, fc: 16, cn: 16, even: 16, odd: 16 },
  H10304: { bits: 37, fc: 16, cn: 19, even: 18, odd: 18 },
};
const ones = (s: string) => [...s].filter((c) => c === '1').length;

function referenceFrame(format: CardFormat, facility: number, number: number): string {
  const f = SHEETS[format];
  const data = facility.toString(2).padStart(f.fc, '0') + number.toString(2).padStart(f.cn, '0');
  const even = ones(data.slice(0, f.even)) % 2 === 0 ? '0' : '1';
  const odd = ones(data.slice(-f.odd)) % 2 === 0 ? '1' : '0';
  return even + data + odd;
}

function referenceValid(format: CardFormat, bits: string): boolean {
  const f = SHEETS[format];
  const data = bits.slice(1, -1);
  return (ones(bits[0] + data.slice(0, f.even)) % 2 === 0) && (ones(data.slice(-f.odd) + bits[bits.length - 1]) % 2 === 1);
}

const frameOf = (bits: string): WiegandBits => ({ count: bits.length, value: BigInt(`0b${bits}`) });
const flip = (bits: string, i: number) => bits.slice(0, i) + (bits[i] === '1' ? '0' : '1') + bits.slice(i + 1);

const cardArb = fc.constantFrom<CardFormat>('H10301', 'H10306', 'H10304').chain((format) =>
  fc.record({
    format: fc.constant(format),
    facility: fc.integer({ min: 0, max: 2 ** SHEETS[format].fc - 1 }),
    number: fc.integer({ min: 0, max: 2 ** SHEETS[format].cn - 1 }),
  }),
);

t.test('H10301 facility 12, card 34567 decodes to 26:12:34567 (the bit pattern from the format sheet)', async (t) => {
  // 1 00001100 1000011100000111 1 : 3 ones in the first 12 data bits → P1 = 1; 6 in the last 12 → P2 = 1
  const bits = '1' + '00001100' + '1000011100000111' + '1';
  t.equal(referenceFrame('H10301', 12, 34567), bits);
  t.same(decodeCard(frameOf(bits)), { ok: true, card: { format: 'H10301', bits: 26, facility: 12, number: 34567, value: '26:12:34567' } });
  t.same(encodeCard('H10301', 12, 34567), frameOf(bits));
});

t.test('the decoded value is exactly the normalised card number of src/kernel/cardNumber.ts', async (t) => {
  fc.assert(
    fc.property(cardArb, ({ format, facility, number }) => {
      const r = decodeCard(encodeCard(format, facility, number));
      if (!r.ok) return false;
      const normal = parseCardNumber(`${SHEETS[format].bits}:${facility}:${number}`);
      return normal.ok && r.card.value === normal.value && r.card.facility === facility && r.card.number === number;
    }),
    { numRuns: 2000 },
  );
});

t.test('encode → decode round-trips for random valid cards of every format, and matches the reference bits', async (t) => {
  fc.assert(
    fc.property(cardArb, ({ format, facility, number }) => {
      const frame = encodeCard(format, facility, number);
      const ref = referenceFrame(format, facility, number);
      const r = decodeCard(frame);
      return frame.count === ref.length && frame.value === BigInt(`0b${ref}`) && r.ok && r.card.format === format;
    }),
    { numRuns: 3000 },
  );
});

for (const format of ['H10301', 'H10306', 'H10304'] as const) {
  t.test(`${format}: every single flipped bit (data or parity) is rejected as parity`, async (t) => {
    for (const [facility, number] of [[0, 0], [1, 1], [2 ** SHEETS[format].fc - 1, 2 ** SHEETS[format].cn - 1], [77, 4242]] as const) {
      const bits = referenceFrame(format, facility, number);
      for (let i = 0; i < bits.length; i++) {
        const r = decodeCard(frameOf(flip(bits, i)));
        if (r.ok || r.reason !== 'parity') t.fail(`flip of bit ${i + 1} of ${format} ${facility}/${number} was not rejected`);
      }
    }
    t.pass('all single-bit flips rejected');
  });

  t.test(`${format}: random frames decode exactly when the reference parity holds`, async (t) => {
    const n = SHEETS[format].bits;
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: n, maxLength: n }), (raw) => {
        const bits = raw.map((b) => (b ? '1' : '0')).join('');
        const r = decodeCard(frameOf(bits));
        if (!referenceValid(format, bits)) return !r.ok && r.reason === 'parity';
        return r.ok && r.card.facility !== null && r.card.number !== null && encodeCard(format, r.card.facility, r.card.number).value === BigInt(`0b${bits}`);
      }),
      { numRuns: 2000 },
    );
  });

  t.test(`${format}: a frame one bit short or long is rejected as length`, async (t) => {
    const bits = referenceFrame(format, 1, 2);
    t.match(decodeCard(frameOf(bits.slice(1))), { ok: false, reason: 'length' });
    t.match(decodeCard(frameOf(`${bits}1`)), { ok: false, reason: 'length' });
  });
}

t.test('unknown bit lengths are rejected as length unless configured raw', async (t) => {
  for (let n = 1; n <= 128; n++) {
    if (n === 26 || n === 34 || n === 37) continue;
    const r = decodeCard({ count: n, value: 1n });
    if (r.ok || r.reason !== 'length') t.fail(`${n} bits were not rejected`);
  }
  t.same(decodeCard({ count: 40, value: 0x00ab12n }, { rawLengths: [40] }), {
    ok: true,
    card: { format: 'raw', bits: 40, facility: null, number: null, value: 'raw:40:ab12' },
  });
  t.same(parseCardNumber('raw:40:00AB12'), { ok: true, value: 'raw:40:ab12' }, 'the same normal form as the access model');
  t.match(decodeCard({ count: 8, value: 0xe1n }, { rawLengths: [8] }), { ok: false, reason: 'length' }, 'keypad lengths are never cards');
  const r = decodeCard(encodeCard('H10301', 1, 2), { rawLengths: [26] });
  t.match(r, { ok: true, card: { format: 'H10301' } }, 'a known format keeps its parity check even if listed as raw');
});

t.test('malformed frames are rejected as format, never thrown', async (t) => {
  for (const frame of [
    { count: 26, value: 1n << 26n },
    { count: 0, value: 0n },
    { count: 129, value: 0n },
    { count: 26.5, value: 0n },
    { count: 26, value: -1n },
    { count: 26, value: 5 as unknown as bigint },
  ]) {
    t.match(decodeCard(frame), { ok: false, reason: 'format' });
    t.match(decodeKeypad(frame), { ok: false, reason: 'format' });
  }
});

t.test('keypad: every key round-trips as a 4-bit and an 8-bit burst', async (t) => {
  for (const key of '0123456789*#') {
    t.same(decodeKeypad(encodeKey(key, 4)), { ok: true, key });
    t.same(decodeKeypad(encodeKey(key, 8)), { ok: true, key });
  }
  t.same(encodeKey('1', 8), { count: 8, value: 0xe1n }, 'complement nibble first (HID 8-bit)');
  t.same(encodeKey('#', 4), { count: 4, value: 11n });
});

t.test('keypad: an 8-bit burst whose high nibble is not the complement is rejected as parity', async (t) => {
  let accepted = 0;
  for (let v = 0; v < 256; v++) {
    const r = decodeKeypad({ count: 8, value: BigInt(v) });
    const lo = v & 0xf;
    const complement = v >> 4 === (~lo & 0xf);
    if (!complement) t.match(r, { ok: false, reason: 'parity' }, `0x${v.toString(16)}`);
    else if (lo > 11) t.match(r, { ok: false, reason: 'format' }, `code ${lo} is no key`);
    else accepted++;
  }
  t.equal(accepted, 12, 'exactly the 12 keys are accepted');
});

t.test('keypad: 4-bit codes 12-15 are no key; other lengths are length', async (t) => {
  for (const v of [12n, 13n, 14n, 15n]) t.match(decodeKeypad({ count: 4, value: v }), { ok: false, reason: 'format' });
  for (const n of [1, 3, 5, 7, 9, 26]) t.match(decodeKeypad({ count: n, value: 0n }), { ok: false, reason: 'length' });
});

t.test('the encoders refuse what does not fit, with INPUT_INVALID', async (t) => {
  t.throws(() => encodeCard('H10301', 256, 1), { code: 'INPUT_INVALID' });
  t.throws(() => encodeCard('H10301', 1, 65536), { code: 'INPUT_INVALID' });
  t.throws(() => encodeCard('H10304', 1, 2 ** 19), { code: 'INPUT_INVALID' });
  t.throws(() => encodeCard('H10306', -1, 1), { code: 'INPUT_INVALID' });
  t.throws(() => encodeCard('H9999' as CardFormat, 1, 1), { code: 'INPUT_INVALID' });
  t.throws(() => encodeKey('A', 4), { code: 'INPUT_INVALID' });
  t.throws(() => encodeKey('12', 8), { code: 'INPUT_INVALID' });
});
