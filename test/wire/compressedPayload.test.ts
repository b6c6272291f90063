import t from 'tap';
import { gzipSync } from 'node:zlib';
import { cloudPayload, inflatePayload, isGzip } from '../../src/wire/compressedPayload.js';

const TOKEN = Buffer.from('eyJhbGciOiJFZERTQSJ9.eyJtc2ciOnt9fQ.c2ln');

t.test('a token that is not gzip passes through untouched', async (t) => {
  const plain = inflatePayload(TOKEN, 1000);
  t.same(plain, { ok: true, token: TOKEN });
  if (plain.ok) t.equal(plain.token, TOKEN, 'the same bytes, not a copy');
  t.same(inflatePayload('eyJ...', 1000), { ok: true, token: 'eyJ...' }, 'a string is never gzip');
  t.notOk(isGzip(Buffer.from([0x1f])), 'one byte is not a gzip header');
});

t.test('a gzip payload inflates to the token it carries', async (t) => {
  const result = inflatePayload(gzipSync(TOKEN), 1000);
  t.ok(result.ok);
  if (result.ok) t.same(Buffer.from(result.token), TOKEN);
  const long = Buffer.from(`${TOKEN.toString()}${'A'.repeat(1000)}`);
  t.ok(inflatePayload(gzipSync(long), long.length).ok, 'exactly the limit is allowed');
});

t.test('inflating is bounded by the limit: a zip bomb is too_large, not a crash', async (t) => {
  const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024)); // 64 MiB of zeros, about 64 KB compressed
  t.ok(bomb.length < 100_000);
  const result = inflatePayload(bomb, 16 * 1024 * 1024);
  t.same(result, { ok: false, reason: 'too_large', detail: 'the gzip payload inflates to more than the limit of 16777216 bytes' });
  const long = Buffer.from(`${TOKEN.toString()}${'A'.repeat(1000)}`);
  t.match(inflatePayload(gzipSync(long), long.length - 1), { ok: false, reason: 'too_large', detail: /inflates to more than/ }, 'one byte over');
  t.match(inflatePayload(gzipSync(TOKEN), 10), { ok: false, reason: 'too_large', detail: /compressed bytes is over the limit of 10/ }, 'compressed bytes over the limit are refused before inflating');
});

t.test('a broken gzip payload is malformed and says why', async (t) => {
  const garbage = Buffer.from([0x1f, 0x8b, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  t.match(inflatePayload(garbage, 1000), { ok: false, reason: 'malformed', detail: /^not a valid gzip payload: / });
  const whole = gzipSync(TOKEN);
  t.match(inflatePayload(whole.subarray(0, whole.length - 6), 1000), { ok: false, reason: 'malformed' }, 'a truncated stream');
});

t.test('the cloud side gzips snapshot chunks and deltas, and leaves every other message a plain token', async (t) => {
  const token = `${TOKEN.toString()}${'A'.repeat(1000)}`;
  for (const type of ['snapshot', 'delta'] as const) {
    const payload = cloudPayload(type, token);
    t.ok(isGzip(payload) && payload.length < token.length / 4, `${type}: gzipped`);
    const back = inflatePayload(payload, token.length);
    t.ok(back.ok && Buffer.from(back.token).toString() === token, `${type}: inflates to the token`);
  }
  for (const type of ['heartbeat', 'command', 'events_ack'] as const) t.equal(cloudPayload(type, token), token, `${type}: plain`);
});
