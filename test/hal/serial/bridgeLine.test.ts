import t from 'tap';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { INDICATOR_PATTERNS } from '../../../src/hal/indicatorPatterns.js';
import {
  INPUT_LINES,
  INPUT_STATES,
  LineFramer,
  MAX_LINE_LENGTH,
  crc16,
  encodeBridgeMessage,
  encodeCommand,
  parseBridgeLine,
  parseCommandLine,
  sealLine,
  type BridgeCommand,
  type BridgeMessage,
} from '../../../src/hal/serial/wiegand/bridgeLine.js';
import { decodeCard, decodeKeypad, encodeCard, encodeKey } from '../../../src/hal/serial/wiegand/wiegandFrame.js';

const strip = (line: string) => line.replace(/\n$/, '');
const parse = (line: string) => parseBridgeLine(strip(line));

const frameArb = fc.integer({ min: 1, max: 128 }).filter((n) => n !== 4 && n !== 8).chain((count) =>
  fc.bigInt({ min: 0n, max: (1n << BigInt(count)) - 1n }).map((value) => ({ count, value })),
);
const keyFrameArb = fc.constantFrom(4, 8).chain((count) => fc.bigInt({ min: 0n, max: (1n << BigInt(count)) - 1n }).map((value) => ({ count, value })));
const portArb = fc.integer({ min: 1, max: 8 });
const messageArb: fc.Arbitrary<BridgeMessage> = fc.oneof(
  fc.record({ type: fc.constant('wiegand' as const), port: portArb, frame: frameArb }),
  fc.record({ type: fc.constant('keypad' as const), port: portArb, frame: keyFrameArb }),
  fc.record({ type: fc.constant('heartbeat' as const), uptime: fc.integer({ min: 0, max: 0xffffffff }), seq: fc.integer({ min: 0, max: 0xffff }) }),
  fc.record({ type: fc.constant('version' as const), version: fc.stringMatching(/^[0-9A-Za-z._+-]{1,32}$/) }),
  fc.record({ type: fc.constant('reset' as const), reason: fc.stringMatching(/^[a-z0-9_]{1,16}$/) }),
  fc.record({ type: fc.constant('input' as const), port: portArb, line: fc.constantFrom(...INPUT_LINES), state: fc.constantFrom(...INPUT_STATES) }),
);
const commandArb: fc.Arbitrary<BridgeCommand> = fc.oneof(
  fc.constant({ type: 'query_version' as const }),
  fc.constant({ type: 'query_inputs' as const }),
  fc.record({ type: fc.constant('indicator' as const), port: portArb, pattern: fc.constantFrom(...INDICATOR_PATTERNS) }),
);

/** 1–3 random byte flips, insertions or deletions of `line`, drawn from `int` (a seeded generator) */
function corrupt(line: string, int: (n: number) => number): string {
  const bytes = [...line].map((c) => c.charCodeAt(0));
  for (let ops = 1 + int(3); ops > 0; ops--) {
    const op = int(3);
    if (op === 0) bytes[int(bytes.length)]! ^= 1 + int(255);
    else if (op === 1) bytes.splice(int(bytes.length + 1), 0, int(256));
    else if (bytes.length > 0) bytes.splice(int(bytes.length), 1);
  }
  return String.fromCharCode(...bytes);
}

t.test('the checksum is CRC-16/CCITT-FALSE (check value 0x29B1 for "123456789")', async (t) => {
  t.equal(crc16('123456789'), 0x29b1);
  t.equal(crc16(''), 0xffff);
});

t.test('the examples of docs/wiegand-bridge.md parse to what the page says', async (t) => {
  t.same(parse('W 1 26 2190E0F *4FB3'), { ok: true, message: { type: 'wiegand', port: 1, frame: encodeCard('H10301', 12, 34567) } });
  t.same(parse('W 2 34 009613883 *EE23'), { ok: true, message: { type: 'wiegand', port: 2, frame: encodeCard('H10306', 1200, 40001) } });
  t.same(parse('W 1 37 10FA0927C0 *3B6A'), { ok: true, message: { type: 'wiegand', port: 1, frame: encodeCard('H10304', 4000, 300000) } });
  t.same(parse('W 3 40 000000AB12 *DB26'), { ok: true, message: { type: 'wiegand', port: 3, frame: { count: 40, value: 0xab12n } } });
  t.same(parse('K 2 4 5 *5453'), { ok: true, message: { type: 'keypad', port: 2, frame: encodeKey('5', 4) } });
  t.same(parse('K 2 8 A5 *A428'), { ok: true, message: { type: 'keypad', port: 2, frame: encodeKey('5', 8) } });
  t.same(parse('K 2 8 4B *5DF4'), { ok: true, message: { type: 'keypad', port: 2, frame: encodeKey('#', 8) } });
  t.same(parse('H 3605 3605 *8AEF'), { ok: true, message: { type: 'heartbeat', uptime: 3605, seq: 3605 } });
  t.same(parse('V wb-2.1.0 *3006'), { ok: true, message: { type: 'version', version: 'wb-2.1.0' } });
  t.same(parse('R watchdog *2A70'), { ok: true, message: { type: 'reset', reason: 'watchdog' } });
  t.same(parseCommandLine('Q *AB24'), { ok: true, message: { type: 'query_version' } });
  t.same(parseCommandLine('L 1 granted *CEE5'), { ok: true, message: { type: 'indicator', port: 1, pattern: 'granted' } });
  t.same(parseCommandLine('L 2 pin_entry *7B53'), { ok: true, message: { type: 'indicator', port: 2, pattern: 'pin_entry' } });
  t.match(parse('W 1 26 2468ACE *5D21'), { ok: true }, 'a parity-bad frame is still a valid line: the decoder rejects it');
  const frame = parse('W 1 26 2468ACE *5D21');
  if (frame.ok && frame.message.type === 'wiegand') t.match(decodeCard(frame.message.frame), { ok: false, reason: 'parity' });
  t.same(parse('I 1 contact closed *E0EE'), { ok: true, message: { type: 'input', port: 1, line: 'contact', state: 'closed' } });
  t.same(parse('I 1 contact open *9F6B'), { ok: true, message: { type: 'input', port: 1, line: 'contact', state: 'open' } });
  t.same(parse('I 1 rex open *17C2'), { ok: true, message: { type: 'input', port: 1, line: 'rex', state: 'open' } });
  t.same(parse('I 1 aux closed *20BB'), { ok: true, message: { type: 'input', port: 1, line: 'aux', state: 'closed' } });
  t.same(parse('I 2 contact normal *9FBD'), { ok: true, message: { type: 'input', port: 2, line: 'contact', state: 'normal' } });
  t.same(parse('I 2 contact active *2101'), { ok: true, message: { type: 'input', port: 2, line: 'contact', state: 'active' } });
  t.same(parse('I 2 contact cut *220F'), { ok: true, message: { type: 'input', port: 2, line: 'contact', state: 'cut' } });
  t.same(parse('I 2 contact short *54AA'), { ok: true, message: { type: 'input', port: 2, line: 'contact', state: 'short' } });
  t.same(parse('I 2 aux normal *B23A'), { ok: true, message: { type: 'input', port: 2, line: 'aux', state: 'normal' } });
  t.same(parse('R power *299A'), { ok: true, message: { type: 'reset', reason: 'power' } });
  t.same(parse('H 0 0 *C017'), { ok: true, message: { type: 'heartbeat', uptime: 0, seq: 0 } });
  t.same(parseCommandLine('S *8B66'), { ok: true, message: { type: 'query_inputs' } });
  for (const line of ['I 1 door open *AFEE', 'I 2 contact alarm *469B', 'I 1 contact OPEN *0C67', 'I 9 contact open *7400', 'I 1 contact *D41B']) {
    t.match(parse(line), { ok: false, reason: 'syntax' }, line);
  }
  t.match(parse('W 1 4 5 *DF91'), { ok: false, reason: 'syntax' });
  t.match(parse('X 1 *1B67'), { ok: false, reason: 'unknown_type' });
});

t.test('encode → parse round-trips every bridge message and every command', async (t) => {
  fc.assert(fc.property(messageArb, (m) => {
    const line = encodeBridgeMessage(m);
    const r = parse(line);
    return line.endsWith('\n') && line.length - 1 <= MAX_LINE_LENGTH && r.ok && JSON.stringify(r.message, big) === JSON.stringify(m, big);
  }), { numRuns: 3000 });
  fc.assert(fc.property(commandArb, (c) => {
    const r = parseCommandLine(strip(encodeCommand(c)));
    return r.ok && JSON.stringify(r.message) === JSON.stringify(c);
  }), { numRuns: 500 });
});

t.test('a CR before the LF is tolerated (println firmware); an empty line is "empty"', async (t) => {
  t.match(parseBridgeLine('V wb-2.1.0 *3006\r'), { ok: true, message: { version: 'wb-2.1.0' } });
  t.match(parseBridgeLine(''), { ok: false, reason: 'empty' });
  t.match(parseBridgeLine('\r'), { ok: false, reason: 'empty' });
  t.match(parseCommandLine(''), { ok: false, reason: 'empty' });
});

t.test('a line longer than the maximum is too_long before anything else is looked at', async (t) => {
  t.match(parseBridgeLine(`V ${'x'.repeat(MAX_LINE_LENGTH)}`), { ok: false, reason: 'too_long' });
});

t.test('a missing, malformed or wrong checksum is checksum', async (t) => {
  for (const line of ['W 1 26 2190E0F', 'W 1 26 2190E0F *4fb3', 'W 1 26 2190E0F*4FB3', 'W 1 26 2190E0F *4FB', '*4FB3', ' *4FB3', 'W 1 26 2190E0F *4FB4', 'W 1 26 2190E0E *4FB3', 'W 1 26 2190E0F  *4FB3']) {
    t.match(parseBridgeLine(line), { ok: false, reason: 'checksum' }, JSON.stringify(line));
  }
});

t.test('checksum-valid lines that break the grammar are syntax', async (t) => {
  const bad = [
    'W 1 26 2190E0F 1', 'W 1 26', 'W 0 26 2190E0F', 'W 9 26 2190E0F', 'W 01 26 2190E0F', 'W 1 026 2190E0F', 'W 1 0 0', 'W 1 129 0',
    'W 1 26 2190e0f', 'W 1 26 190E0F', 'W 1 26 02190E0F', 'W 1 26 6190E0F', 'W 1 8 A5', 'W 1 4 5', 'K 1 26 2190E0F', 'K 1 8 5', 'K 1 4 G',
    'W  1 26 2190E0F', ' W 1 26 2190E0F', 'W 1 26 2190E0F ', 'W\t1 26 2190E0F', 'V caf\u00e9', 'H 1', 'H -1 0', 'H 1 65536', 'H 4294967296 0',
    'V', 'V ' + 'x'.repeat(33), 'V a b', 'R Power', 'R', 'R ' + 'a'.repeat(17),
    'I', 'I 1', 'I 1 contact', 'I 0 contact open', 'I 9 contact open', 'I 01 contact open', 'I 1 Contact open', 'I 1 contact Open',
    'I 1 door open', 'I 1 fire active', 'I 1 contact opened', 'I 1 contact open 1', 'I 1  contact open', 'I 1 contact open ',
  ];
  for (const body of bad) t.match(parse(sealLine(body)), { ok: false, reason: 'syntax' }, JSON.stringify(body));
});

t.test('unknown message types are unknown_type; gateway commands are not bridge messages and vice versa', async (t) => {
  t.match(parse(sealLine('X 1')), { ok: false, reason: 'unknown_type', detail: /X/ });
  t.match(parse(sealLine('Q')), { ok: false, reason: 'unknown_type' });
  t.match(parse(sealLine('L 1 granted')), { ok: false, reason: 'unknown_type' });
  t.match(parse(sealLine('S')), { ok: false, reason: 'unknown_type' }, 'S echoed back is not a bridge message');
  t.match(parseCommandLine(strip(sealLine('I 1 contact open'))), { ok: false, reason: 'unknown_type' });
  t.match(parseCommandLine(strip(sealLine('H 1 2'))), { ok: false, reason: 'unknown_type' });
  const long = parse(sealLine('2190E0F 1'));
  t.match(long, { ok: false, reason: 'unknown_type' });
  if (!long.ok) t.notMatch(long.detail, /2190E0F/, 'a long type is not echoed: it could be card data');
});

t.test('malformed commands are syntax, rejected like the firmware must', async (t) => {
  for (const body of ['Q 1', 'S 1', 'S inputs', 'L 1', 'L 0 granted', 'L 9 granted', 'L 1 GRANTED', 'L 1 open', 'L 1 granted 2']) {
    t.match(parseCommandLine(strip(sealLine(body))), { ok: false, reason: 'syntax' }, body);
  }
  t.match(parseCommandLine('Q *AB25'), { ok: false, reason: 'checksum' });
});

t.test('no rejection detail repeats the frame bits of the line', async (t) => {
  fc.assert(fc.property(fc.constantFrom<'H10301' | 'H10306' | 'H10304'>('H10301', 'H10306', 'H10304'), fc.nat(), fc.nat(), fc.nat(), fc.integer({ min: 0, max: 255 }), (format, fc_, cn, pos, byte) => {
    const line = strip(encodeBridgeMessage({ type: 'wiegand', port: 1, frame: encodeCard(format, fc_ % 256, cn % 65536) }));
    const hex = line.split(' ')[3]!;
    const i = pos % line.length;
    const r = parseBridgeLine(line.slice(0, i) + String.fromCharCode(byte) + line.slice(i + 1));
    return r.ok || !r.detail.includes(hex);
  }), { numRuns: 2000 });
});

t.test('framing: lines survive any chunking, several per chunk or one byte at a time', async (t) => {
  fc.assert(fc.property(fc.array(messageArb, { minLength: 1, maxLength: 20 }), fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 10 }), (messages, sizes) => {
    const wire = Buffer.from(messages.map(encodeBridgeMessage).join(''), 'latin1');
    const framer = new LineFramer();
    const lines: string[] = [];
    for (let at = 0, k = 0; at < wire.length; k++) {
      const size = sizes[k % sizes.length]!;
      for (const l of framer.push(wire.subarray(at, at + size))) if (l.ok) lines.push(l.line);
      at += size;
    }
    return lines.length === messages.length && lines.every((l, i) => l === strip(encodeBridgeMessage(messages[i]!)));
  }), { numRuns: 1000 });
});

t.test('framing: an overlong line is reported once and discarded up to the next LF (resync)', async (t) => {
  const framer = new LineFramer();
  const heartbeat = encodeBridgeMessage({ type: 'heartbeat', uptime: 1, seq: 1 });
  const out = [
    ...framer.push(Buffer.from('x'.repeat(50))),
    ...framer.push(Buffer.from('y'.repeat(50))),
    ...framer.push(Buffer.from('z'.repeat(500))),
    ...framer.push(Buffer.from(`tail\n${heartbeat}`)),
  ];
  t.same(out, [{ ok: false, reason: 'too_long' }, { ok: true, line: strip(heartbeat) }]);
  t.same(new LineFramer().push(Buffer.from(`${'a'.repeat(MAX_LINE_LENGTH)}\n`)), [{ ok: true, line: 'a'.repeat(MAX_LINE_LENGTH) }], 'exactly the maximum is fine');
  t.same(new LineFramer().push(Buffer.from(`${'a'.repeat(MAX_LINE_LENGTH + 1)}\nQ`)), [{ ok: false, reason: 'too_long' }]);
});

t.test('framing: bytes are latin1, one character per byte, so the checksum sees the wire', async (t) => {
  const framer = new LineFramer();
  t.same(framer.push(Buffer.from([0xff, 0x00, 0x41, 0x0a])), [{ ok: true, line: '\u00ff\u0000A' }]);
  framer.push(Buffer.from('partial'));
  framer.reset();
  t.same(framer.push(Buffer.from('Q *AB24\n')), [{ ok: true, line: 'Q *AB24' }], 'reset forgets the partial line');
});

/**
 * The residual risk, measured: random valid lines, 1–3 random byte flips/insertions/deletions
 * each, parsed and decoded exactly as the driver does. Deterministic (seeded) so the numbers in
 * docs/wiegand-bridge.md can be reproduced.
 */
t.test('corrupted lines: 200,000 seeded trials, zero accepted with a changed meaning', async (t) => {
  const rand = mulberry32(0x5eed);
  const int = (n: number) => Math.floor(rand() * n);
  const formats = ['H10301', 'H10306', 'H10304'] as const;
  const widths = { H10301: [256, 65536], H10306: [65536, 65536], H10304: [65536, 524288] } as const;
  const counts = { trials: 0, unchanged: 0, rejected: 0, passedChecksum: 0, acceptedSame: 0, acceptedChanged: 0, inputChanged: 0 };
  for (let trial = 0; trial < 200_000; trial++) {
    const kind = int(3);
    let message: BridgeMessage;
    if (kind === 0) {
      const f = formats[int(3)]!;
      message = { type: 'wiegand', port: 1 + int(4), frame: encodeCard(f, int(widths[f][0]), int(widths[f][1])) };
    } else if (kind === 1) message = { type: 'keypad', port: 1 + int(4), frame: encodeKey('0123456789*#'[int(12)]!, int(2) ? 8 : 4) };
    else message = { type: 'heartbeat', uptime: int(1e6), seq: int(65536) };
    const original = strip(encodeBridgeMessage(message));
    const corrupted = corrupt(original, int);
    counts.trials++;
    if (corrupted === original) {
      counts.unchanged++;
      continue;
    }
    const r = parseBridgeLine(corrupted);
    if (!r.ok) {
      counts.rejected++;
      if (r.reason === 'syntax' || r.reason === 'unknown_type') counts.passedChecksum++;
      continue;
    }
    counts.passedChecksum++;
    if (JSON.stringify(r.message, big) === JSON.stringify(message, big)) counts.acceptedSame++;
    else {
      counts.acceptedChanged++;
      if (meaning(r.message) !== null && meaning(r.message) !== meaning(message)) counts.inputChanged++;
    }
  }
  t.comment(JSON.stringify(counts));
  t.equal(counts.acceptedChanged, 0, 'no corrupted line was accepted as a different message');
  t.equal(counts.inputChanged, 0, 'no corrupted line decoded to a different card or key');
  t.ok(counts.rejected > 190_000, 'almost every trial changed the line and was rejected');
});

t.test('corrupted I lines: 100,000 seeded trials, zero accepted as another input or state', async (t) => {
  const rand = mulberry32(0x1e7e1);
  const int = (n: number) => Math.floor(rand() * n);
  const counts = { trials: 0, unchanged: 0, rejected: 0, passedChecksum: 0, acceptedSame: 0, acceptedChanged: 0 };
  for (let trial = 0; trial < 100_000; trial++) {
    const message: BridgeMessage = { type: 'input', port: 1 + int(8), line: INPUT_LINES[int(3)]!, state: INPUT_STATES[int(6)]! };
    const original = strip(encodeBridgeMessage(message));
    const corrupted = corrupt(original, int);
    counts.trials++;
    if (corrupted === original) {
      counts.unchanged++;
      continue;
    }
    const r = parseBridgeLine(corrupted);
    if (!r.ok) {
      counts.rejected++;
      if (r.reason === 'syntax' || r.reason === 'unknown_type') counts.passedChecksum++;
      continue;
    }
    counts.passedChecksum++;
    if (JSON.stringify(r.message) === JSON.stringify(message)) counts.acceptedSame++;
    else counts.acceptedChanged++;
  }
  t.comment(JSON.stringify(counts));
  t.equal(counts.acceptedChanged, 0, 'no corrupted I line was accepted as a different input or state');
  t.ok(counts.rejected > 95_000);
});

t.test('every line example in docs/wiegand-bridge.md carries its correct checksum', async (t) => {
  const doc = readFileSync(new URL('../../../docs/wiegand-bridge.md', import.meta.url), 'utf8');
  const examples = [...doc.matchAll(/(?:^|`)([A-Z](?: [!-_a-~]+)*) \*([0-9A-F]{4})(?=`|\s|$)/gm)];
  t.ok(examples.length >= 20, `${examples.length} examples found`);
  for (const [, body, crc] of examples) t.equal(crc16(body!).toString(16).toUpperCase().padStart(4, '0'), crc, body!);
});

/** what a line would present at a reader, or null */
function meaning(m: BridgeMessage): string | null {
  if (m.type === 'wiegand') {
    const r = decodeCard(m.frame);
    return r.ok ? `${m.port}:${r.card.value}` : null;
  }
  if (m.type === 'keypad') {
    const r = decodeKeypad(m.frame);
    return r.ok ? `${m.port}:key:${r.key}` : null;
  }
  return null;
}

function big(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? `${value}n` : value;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}
