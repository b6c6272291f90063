import t from 'tap';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { MAX_PACKET_BYTES, PacketSizeGuard } from '../../src/cloud/packetLimit.js';
import { readOversizeCorrelationId } from '../../src/cloud/oversizeCommand.js';

/** A fixed header (type byte + remaining length varint) for a body of `length` bytes. */
function header(length: number): Buffer {
  const bytes = [0x30];
  do {
    let b = length % 128;
    length = Math.floor(length / 128);
    if (length > 0) b |= 0x80;
    bytes.push(b);
  } while (length > 0);
  return Buffer.from(bytes);
}

t.test('the limit is the largest cloud message (16 MiB) plus 64 KiB of packet', async (t) => {
  t.equal(MAX_PACKET_BYTES, 16 * 1024 * 1024 + 64 * 1024);
});

t.test('the guard follows packets split anywhere and reports the first one over the limit by its header alone', async (t) => {
  const guard = new PacketSizeGuard(1000);
  const small = Buffer.concat([header(900), Buffer.alloc(900, 1)]);
  const stream = Buffer.concat([small, small, header(5000)]);
  const seen: Array<number | null> = [];
  for (let i = 0; i < stream.length; i += 7) seen.push(guard.push(stream.subarray(i, i + 7)));
  t.same(seen.filter((s) => s !== null), [1 + 2 + 5000], 'reported once, for the large one, before any of its body');
  t.equal(new PacketSizeGuard(1000).push(Buffer.concat([header(997), Buffer.alloc(997)])), null, 'exactly the limit passes');
  t.equal(new PacketSizeGuard(1000).push(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01])), Number.POSITIVE_INFINITY, 'a fifth length byte is not MQTT');
  t.equal(new PacketSizeGuard(1000).push(Buffer.from([0xc0, 0x00, 0xd0, 0x00])), null, 'empty bodies (pings)');
});

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const token = (msg: unknown) => `${b64({ alg: 'EdDSA', kid: 'k' })}.${b64({ iss: 'c', aud: 'gw', jti: 'j', typ: 'command', msg })}.sig`;

t.test('the correlationId of an oversize command is read from the start of its token only', async (t) => {
  const big = 'x'.repeat(200_000);
  t.equal(readOversizeCorrelationId(Buffer.from(token({ correlationId: 'cmd-big', name: 'status', pad: big }))), 'cmd-big');
  const noise = randomBytes(150_000).toString('base64');
  t.equal(readOversizeCorrelationId(gzipSync(token({ correlationId: 'cmd-gz', name: 'status', pad: noise }))), 'cmd-gz', 'gzip: from its first bytes');
  t.equal(readOversizeCorrelationId(gzipSync(token({ correlationId: 'cmd-gz', name: 'status', pad: big }))), null, 'gzip whose first KiB inflates past 8 KiB: unreadable');
  t.equal(readOversizeCorrelationId(Buffer.from(token({ pad: big, correlationId: 'cmd-late' }))), null, 'not in the prefix: unreadable');
  t.equal(readOversizeCorrelationId(Buffer.from(token({ correlationId: 'has space', pad: big }))), null, 'not a valid id');
  t.equal(readOversizeCorrelationId(Buffer.from('no dots at all'.repeat(1000))), null);
  t.equal(readOversizeCorrelationId(Buffer.from([0x1f, 0x8b, 1, 2, 3])), null, 'corrupt gzip');
});
