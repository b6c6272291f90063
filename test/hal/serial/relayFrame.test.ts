import t from 'tap';
import fc from 'fast-check';
import { decodeRelayFrame, encodeRelayFrame, RelayFrameStream, type RelayFrame } from '../../../src/hal/serial/relay/relayFrame.js';

const ALL_FRAMES: RelayFrame[] = Array.from({ length: 32 }, (_, i) => ({ channel: (i >> 1) + 1, energised: (i & 1) === 1 }));
const key = (f: RelayFrame) => `${f.channel}:${f.energised ? 1 : 0}`;

type Op = { kind: 'flip' | 'insert' | 'delete'; byte: number };
const op = fc.record({ kind: fc.constantFrom<'flip' | 'insert' | 'delete'>('flip', 'insert', 'delete'), byte: fc.integer({ min: 0, max: 255 }) });

/** Applies ops at original-stream positions (highest first, so earlier positions stay valid). */
function corrupt(bytes: Buffer, ops: { pos: number; op: Op }[]): Buffer {
  const out = [...bytes];
  for (const { pos, op: o } of [...ops].sort((a, b) => b.pos - a.pos)) {
    if (o.kind === 'flip') out[pos] = out[pos]! ^ (o.byte || 0xff);
    else if (o.kind === 'insert') out.splice(pos, 0, o.byte);
    else out.splice(pos, 1);
  }
  return Buffer.from(out);
}

/** Feeds the stream in the given chunk sizes (cycled), returns every frame. */
function decodeAll(bytes: Buffer, chunks: number[] = [bytes.length || 1]): RelayFrame[] {
  const stream = new RelayFrameStream();
  const frames: RelayFrame[] = [];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const size = Math.max(1, chunks[i % chunks.length]!);
    frames.push(...stream.push(bytes.subarray(at, at + size)).items);
    at += size;
  }
  return frames;
}

t.test('encoding follows the board\'s A0 <channel> <state> <checksum> layout', async (t) => {
  t.same([...encodeRelayFrame({ channel: 1, energised: true })], [0xa0, 0x01, 0x01, 0xa2]);
  t.same([...encodeRelayFrame({ channel: 1, energised: false })], [0xa0, 0x01, 0x00, 0xa1]);
  t.same([...encodeRelayFrame({ channel: 16, energised: true })], [0xa0, 0x10, 0x01, 0xb1]);
  t.throws(() => encodeRelayFrame({ channel: 0, energised: true }), RangeError);
  t.throws(() => encodeRelayFrame({ channel: 17, energised: true }), RangeError);
  t.throws(() => encodeRelayFrame({ channel: 1.5, energised: true }), RangeError);
});

t.test('the decoder says what it needs, what it dropped and why', async (t) => {
  t.same(decodeRelayFrame(Buffer.alloc(0)), { need: 'more' });
  t.same(decodeRelayFrame(Buffer.from([0xa0])), { need: 'more' });
  t.same(decodeRelayFrame(Buffer.from([0xa0, 0x02])), { need: 'more' });
  t.same(decodeRelayFrame(Buffer.from([0xa0, 0x02, 0x01])), { need: 'more' });
  t.same(decodeRelayFrame(Buffer.from([0x55, 0x13, 0xa0, 0x01])), { ok: false, reason: 'header', skip: 2 });
  t.same(decodeRelayFrame(Buffer.from([0x55, 0x13])), { ok: false, reason: 'header', skip: 2 });
  t.same(decodeRelayFrame(Buffer.from([0xa0, 0x00])), { ok: false, reason: 'channel', skip: 2 });
  t.same(decodeRelayFrame(Buffer.from([0xa0, 0x11, 0x01, 0xb2])), { ok: false, reason: 'channel', skip: 4 });
  t.same(decodeRelayFrame(Buffer.from([0xa0, 0x05, 0x01, 0xb2]), 4), { ok: false, reason: 'channel', skip: 4 }, 'a smaller board');
  t.same(decodeRelayFrame(Buffer.from([0xa0, 0x01, 0x02])), { ok: false, reason: 'state', skip: 3 });
  t.same(decodeRelayFrame(Buffer.from([0xa0, 0x01, 0x01, 0xa3, 0xa0])), { ok: false, reason: 'checksum', skip: 4 });
  const r = decodeRelayFrame(Buffer.from([0xa0, 0x03, 0x01, 0xa4, 0xff]));
  t.match(r, { ok: true, frame: { channel: 3, energised: true } });
  t.same([...(r as { rest: Buffer }).rest], [0xff]);
  const stream = new RelayFrameStream();
  t.same(stream.push(Buffer.from([0x00, 0xa0, 0x02])), { items: [], dropped: { header: 1 } });
  t.equal(stream.pending(), 2, 'an incomplete frame waits for its tail');
  t.same(stream.push(Buffer.from([0x00, 0xa2])).items, [{ channel: 2, energised: false }]);
  stream.push(Buffer.from([0xa0]));
  stream.reset();
  t.equal(stream.pending(), 0);
});

t.test('a clean stream decodes exactly, however the serial driver chunks it', async (t) => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...ALL_FRAMES), { maxLength: 60 }), fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 8 }), (frames, chunks) => {
      const bytes = Buffer.concat(frames.map(encodeRelayFrame));
      return JSON.stringify(decodeAll(bytes, chunks)) === JSON.stringify(frames);
    }),
    { numRuns: 1000 },
  );
  t.pass('1000 random streams decoded exactly');
});

t.test('isolated corruption (one flipped, inserted or deleted byte per 8) loses only the frames it touched and never invents one', async (t) => {
  let runs = 0;
  let lost = 0;
  let sent = 0;
  fc.assert(
    fc.property(
      fc.shuffledSubarray(ALL_FRAMES, { minLength: 8 }),
      fc.array(fc.record({ gap: fc.integer({ min: 8, max: 40 }), op }), { minLength: 1, maxLength: 12 }),
      fc.integer({ min: 0, max: 7 }),
      fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 4 }),
      (frames, plan, first, chunks) => {
        const clean = Buffer.concat(frames.map(encodeRelayFrame));
        const ops: { pos: number; op: Op }[] = [];
        let pos = first;
        for (const p of plan) {
          if (pos >= clean.length) break;
          ops.push({ pos, op: p.op });
          pos += p.gap;
        }
        const decoded = decodeAll(corrupt(clean, ops), chunks);
        // every sent frame is unique, so order and membership are unambiguous
        const index = new Map(frames.map((f, i) => [key(f), i]));
        let last = -1;
        for (const f of decoded) {
          const i = index.get(key(f));
          if (i === undefined || i <= last) return false; // invented, duplicated or reordered
          last = i;
        }
        const got = new Set(decoded.map(key));
        const touched = (i: number) => ops.some(({ pos: p, op: o }) => (o.kind === 'insert' ? p > i * 4 && p < i * 4 + 4 : p >= i * 4 && p < i * 4 + 4));
        for (let i = 0; i < frames.length; i++) if (!touched(i) && !got.has(key(frames[i]!))) return false; // resync lost a clean frame
        runs++;
        sent += frames.length;
        lost += frames.length - decoded.length;
        return true;
      },
    ),
    { numRuns: 2000 },
  );
  t.comment(`${runs} runs, ${sent} frames sent, ${lost} lost to corruption, 0 invented`);
  t.equal(runs, 2000);
});

t.test('after any amount of garbage the decoder resynchronises: the clean frames that follow all decode', async (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.constantFrom(...ALL_FRAMES), { maxLength: 20 }),
      fc.array(fc.record({ at: fc.nat(), op }), { maxLength: 30 }),
      fc.uint8Array({ maxLength: 12 }),
      fc.array(fc.constantFrom(...ALL_FRAMES), { minLength: 1, maxLength: 10 }),
      (before, ops, noise, after) => {
        const head = Buffer.concat([...before.map(encodeRelayFrame), Buffer.from(noise)]);
        const garbage = head.length ? corrupt(head, ops.map(({ at, op: o }) => ({ pos: at % head.length, op: o }))) : head;
        const decoded = decodeAll(Buffer.concat([garbage, ...after.map(encodeRelayFrame)]));
        return JSON.stringify(decoded.slice(decoded.length - after.length)) === JSON.stringify(after);
      },
    ),
    { numRuns: 2000 },
  );
  t.pass('2000 garbage prefixes, every clean tail decoded');
});

t.test('what dense corruption can do to an 8-bit checksum (measured, for the docs)', async (t) => {
  // Several corrupted bytes close together can forge a frame the checksum accepts: a property of
  // the board protocol, not of the decoder. Measured with a fixed seed so the numbers are stable.
  let runs = 0;
  let forged = 0;
  fc.assert(
    fc.property(fc.shuffledSubarray(ALL_FRAMES, { minLength: 8 }), fc.array(fc.record({ at: fc.nat(), op }), { minLength: 1, maxLength: 8 }), (frames, ops) => {
      const clean = Buffer.concat(frames.map(encodeRelayFrame));
      const sent = new Set(frames.map(key));
      const decoded = decodeAll(corrupt(clean, ops.map(({ at, op: o }) => ({ pos: at % clean.length, op: o }))));
      runs++;
      if (decoded.some((f) => !sent.has(key(f)))) forged++;
    }),
    { numRuns: 5000, seed: 4242 },
  );
  t.comment(`dense corruption: ${forged} of ${runs} runs decoded a frame that was never sent`);
  t.ok(forged / runs < 0.01, 'rare, but not impossible: see docs/relay-board.md');
});

t.test('the 8-bit checksum cannot catch two compensating errors in one frame (documented limitation)', async (t) => {
  // A0 02 00 A2 ("relay 2 off") with the state and checksum bytes both bumped by one is a valid
  // "relay 2 on". Only the wiring and the board's own noise immunity stand against this.
  t.match(decodeRelayFrame(Buffer.from([0xa0, 0x02, 0x01, 0xa3])), { ok: true, frame: { channel: 2, energised: true } });
});
