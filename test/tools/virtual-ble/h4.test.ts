import t from 'tap';
import fc from 'fast-check';
import { H4Parser, encodeHostPacket, type HostPacket } from '../../../tools/virtual-ble/h4.js';

const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));
const packetArb: fc.Arbitrary<HostPacket> = fc.oneof(
  fc.record({ kind: fc.constant('command' as const), opcode: fc.integer({ min: 0, max: 0xffff }), params: bytes(255) }),
  fc.record({
    kind: fc.constant('acl' as const),
    handle: fc.integer({ min: 0, max: 0x0fff }),
    pb: fc.integer({ min: 0, max: 3 }),
    bc: fc.integer({ min: 0, max: 3 }),
    payload: bytes(300),
  }),
);

/** cuts `stream` at the given (sorted, deduplicated) offsets */
function split(stream: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const c of [...at, stream.length]) {
    out.push(stream.subarray(from, c));
    from = c;
  }
  return out;
}

t.test('the H4 parser yields the same packets however the byte stream is split', async (t) => {
  fc.assert(
    fc.property(fc.array(packetArb, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 40 }), (packets, cuts) => {
      const stream = Buffer.concat(packets.map(encodeHostPacket));
      const parser = new H4Parser();
      const got = split(stream, cuts).flatMap((chunk) => parser.push(chunk));
      t.same(got, packets.map((packet) => ({ ok: true, packet })));
      t.equal(parser.pending(), 0);
    }),
    { numRuns: 300 },
  );
});

t.test('a byte that cannot start a packet is reported and the parser resynchronises on the next', async (t) => {
  const parser = new H4Parser();
  const command: HostPacket = { kind: 'command', opcode: 0x0c03, params: Buffer.alloc(0) };
  const got = parser.push(Buffer.concat([Buffer.from([0x07, 0xff]), encodeHostPacket(command)]));
  t.same(got, [{ ok: false, reason: 'packet-type', byte: 0x07 }, { ok: false, reason: 'packet-type', byte: 0xff }, { ok: true, packet: command }]);
});

t.test('an incomplete packet is held until its last byte arrives', async (t) => {
  const parser = new H4Parser();
  const acl = encodeHostPacket({ kind: 'acl', handle: 0x40, pb: 2, bc: 0, payload: Buffer.from('0300040002ff00', 'hex') });
  t.same(parser.push(acl.subarray(0, acl.length - 1)), []);
  t.equal(parser.pending(), acl.length - 1);
  t.equal(parser.push(acl.subarray(acl.length - 1)).length, 1);
});
