import t from 'tap';
import fc from 'fast-check';
import { mkdtemp, stat, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { fragment, Reassembler } from '../../../../src/hal/ble/phoneKey/framing.js';
import { decodeMessage, encodeMessage, signingInput, type PhoneKeyMessage } from '../../../../src/hal/ble/phoneKey/codec.js';
import { ChallengeBook } from '../../../../src/hal/ble/phoneKey/challengeBook.js';
import { parsePublicKey, verifySignature } from '../../../../src/hal/ble/phoneKey/signatureCheck.js';
import { advertisementSlot, phoneKeyAdvertisement, rotatingTag } from '../../../../src/hal/ble/phoneKey/advertisement.js';
import { algorithmName, MAX_MESSAGE_BYTES } from '../../../../src/hal/ble/phoneKey/protocol.js';
import { ManualClock } from '../../../../src/kernel/clock.js';
import { loadKeyFile, PhoneKeyPair, saveKeyFile } from '../../../../tools/phone-sim/phoneKeyPair.js';

t.test('framing: any message up to 4 KiB survives fragmentation at any value size', async (t) => {
  fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: MAX_MESSAGE_BYTES }), fc.integer({ min: 4, max: 512 }), (message, mtu) => {
    const values = fragment(message, mtu);
    const r = new Reassembler({ timeoutMs: 1000 });
    const outcomes = values.map((v) => r.push(v, 0));
    const last = outcomes.pop();
    return values.every((v) => v.length <= mtu) && outcomes.every((o) => o.kind === 'more') && last?.kind === 'message' && Buffer.from(last.message).equals(Buffer.from(message));
  }), { numRuns: 200 });
  t.throws(() => fragment(new Uint8Array(MAX_MESSAGE_BYTES + 1), 20), RangeError);
  t.throws(() => fragment(Uint8Array.of(1), 3), RangeError);
});

t.test('framing: truncated, oversized, out-of-order, restarted, late and stray values are errors', async (t) => {
  const message = Uint8Array.from({ length: 50 }, (_, i) => i);
  const v = fragment(message, 20); // 3 values
  const feed = (values: Uint8Array[], times: number[] = []): string[] => {
    const r = new Reassembler({ timeoutMs: 1000 });
    return values.map((x, i) => { const o = r.push(x, times[i] ?? 0); return o.kind === 'error' ? o.reason : o.kind; });
  };
  t.same(feed([v[0]!, v[2]!]), ['more', 'out_of_order']);
  t.same(feed([v[1]!]), ['not_first']);
  t.same(feed([v[0]!, v[0]!]), ['more', 'restarted']);
  t.same(feed([new Uint8Array(0)]), ['empty']);
  t.same(feed([Uint8Array.of(0xc0, 0x00)]), ['truncated']);
  t.same(feed([Uint8Array.of(0xc0, 0x10, 0x01, 0xaa)]), ['oversized'], '4097 bytes announced');
  t.same(feed([Uint8Array.of(0xc0, 0x00, 0x00, 0xaa)]), ['oversized'], 'zero length');
  t.same(feed([Uint8Array.of(0xc0, 0x00, 0x05, 0xaa)]), ['truncated'], 'LAST before the length');
  t.same(feed([Uint8Array.of(0x80, 0x00, 0x01, 0xaa)]), ['overrun'], 'complete without LAST');
  t.same(feed([Uint8Array.of(0xc0, 0x00, 0x01, 0xaa, 0xbb)]), ['overrun']);
  t.same(feed([v[0]!, v[1]!, v[2]!], [0, 500, 1501]), ['more', 'more', 'timeout']);
  t.same(feed([Uint8Array.of(0x81, 0x00, 0x01, 0xaa)]), ['out_of_order'], 'a first fragment with sequence 1');
});

t.test('codec: every message round-trips; trailing, truncated or non-UTF-8 bytes are malformed', async (t) => {
  const messages: PhoneKeyMessage[] = [
    { type: 'hello', version: 1, algorithm: 2, doorId: 'front', credentialId: 'erin-phone' },
    { type: 'challenge', version: 1, nonce: new Uint8Array(32).fill(7), gatewayId: 'gw-1', doorId: 'front', time: 1735689600000, expiresInS: 5 },
    { type: 'response', nonce: new Uint8Array(32), signature: new Uint8Array(64).fill(1), document: Uint8Array.of(1, 2, 3) },
    { type: 'response', nonce: new Uint8Array(16), signature: new Uint8Array(64), document: undefined },
    { type: 'result', granted: true, reason: 'granted', unlockMs: 5000 },
    { type: 'result', granted: false, reason: 'bad_signature', unlockMs: undefined },
  ];
  for (const m of messages) t.same(decodeMessage(encodeMessage(m)), { ok: true, message: m }, m.type);
  const hello = encodeMessage(messages[0]!);
  t.match(decodeMessage(Uint8Array.from([...hello, 0])), { ok: false, reason: 'malformed' });
  t.match(decodeMessage(hello.subarray(0, hello.length - 1)), { ok: false, reason: 'malformed' });
  t.match(decodeMessage(Uint8Array.of(1, 1, 2, 1, 0xff, 1, 0x41)), { ok: false, reason: 'malformed' }, 'not UTF-8');
  t.match(decodeMessage(Uint8Array.of(9)), { ok: false, reason: 'malformed' });
  t.match(decodeMessage(Uint8Array.of(4, 2, 0, 0, 0, 0, 0)), { ok: false, reason: 'malformed' }, 'granted 2');
  t.match(decodeMessage(new Uint8Array(0)), { ok: false });
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => typeof decodeMessage(bytes).ok === 'boolean'));
  t.equal(algorithmName(1), 'ES256');
  t.equal(algorithmName(3), undefined);
});

t.test('challenge book: single use, bound, expiring, bounded', async (t) => {
  const clock = new ManualClock(1000);
  let n = 0;
  const book = new ChallengeBook({ clock, random: (len) => new Uint8Array(len).fill(++n), maxOutstanding: 2, nonceBytes: 16 });
  const a = { connection: 'c1', doorId: 'front' };
  const first = book.issue(a);
  if (!first.ok) throw new Error('busy');
  t.equal(first.challenge.nonce.length, 16);
  t.equal(first.challenge.expiresAt, 6000);
  t.same(book.redeem(first.challenge.nonce, a), { ok: true, issuedAt: 1000 });
  t.same(book.redeem(first.challenge.nonce, a), { ok: false, reason: 'nonce_replayed' });
  t.same(book.redeem(new Uint8Array(16), a), { ok: false, reason: 'nonce_unknown' });
  const second = book.issue(a);
  const third = book.issue({ connection: 'c2', doorId: 'back' });
  t.same(book.issue(a), { ok: false, reason: 'busy' });
  if (!second.ok || !third.ok) throw new Error('busy');
  t.same(book.redeem(third.challenge.nonce, { connection: 'c2', doorId: 'front' }), { ok: false, reason: 'wrong_door' });
  clock.advance(5001);
  t.same(book.redeem(second.challenge.nonce, a), { ok: false, reason: 'nonce_expired' });
  t.equal(book.outstanding(), 0);
  const fourth = book.issue(a);
  t.ok(fourth.ok);
  book.release('c1');
  t.equal(book.outstanding(), 0);
  const broken = new ChallengeBook({ clock, random: (len) => new Uint8Array(len).fill(9) });
  t.ok(broken.issue(a).ok);
  t.same(broken.issue(a), { ok: false, reason: 'busy' }, 'a repeated nonce is never handed out');
  t.throws(() => new ChallengeBook({ clock, random: () => new Uint8Array(8), nonceBytes: 8 }), RangeError);
});

t.test('signature check: the key decides the algorithm; other keys and bad signatures fail', async (t) => {
  const message = signingInput({ nonce: new Uint8Array(32), gatewayId: 'gw-1', doorId: 'front', time: 0 });
  for (const algorithm of ['ES256', 'Ed25519'] as const) {
    const pair = PhoneKeyPair.generate(algorithm);
    const parsed = parsePublicKey(pair.publicKeySpkiB64);
    if (!parsed.ok) throw new Error(parsed.detail);
    t.equal(parsed.key.algorithm, algorithm);
    const sig = pair.sign(message);
    t.equal(sig.length, 64);
    t.ok(verifySignature(parsed.key, message, sig));
    const flipped = Uint8Array.from(sig);
    flipped[10]! ^= 1;
    t.notOk(verifySignature(parsed.key, message, flipped));
    t.notOk(verifySignature(parsed.key, message, sig.subarray(0, 63)));
    const urlSafe = pair.publicKeySpkiB64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    t.ok(parsePublicKey(urlSafe).ok, 'URL-safe base64 is accepted');
  }
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
  t.match(parsePublicKey(p384), { ok: false, reason: 'key_invalid', detail: /secp384r1/ });
  t.match(parsePublicKey(rsa), { ok: false, reason: 'key_invalid' });
  t.match(parsePublicKey('not base64!'), { ok: false, reason: 'key_invalid' });
  t.match(parsePublicKey('AAAAAAAAAAAAAAAAAAAA'), { ok: false, reason: 'key_invalid' });
});

t.test('advertisement: rotating tags are HMACs of the slot, stable within one, changing across; static without a secret', async (t) => {
  const secret = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
  const now = Date.parse('2025-01-01T00:00:00Z');
  const slot = advertisementSlot(now);
  t.equal(slot, Math.floor(now / 900_000));
  const slotBytes = Buffer.alloc(4);
  slotBytes.writeUInt32BE(slot);
  const want = createHmac('sha256', secret).update(Buffer.concat([Buffer.from('\x0clockgw-adv/1g\x04gw-1'), slotBytes])).digest().subarray(0, 6);
  t.same(Buffer.from(rotatingTag(secret, 'g', ['gw-1'], slot, 6)), want);
  const ad = phoneKeyAdvertisement({ gatewayId: 'gw-1', doorIds: ['front', 'back'], now, secret });
  t.equal(ad.serviceUuid, 'b7a100006c6b47779c4b70686f6e654b');
  t.equal(ad.manufacturerData.length, 2 + 3 + 6 + 2 * 4);
  t.same([...ad.manufacturerData.subarray(0, 5)], [0xff, 0xff, 1, 1, slot & 0xff]);
  t.same(Buffer.from(ad.manufacturerData.subarray(5, 11)), want);
  const sameSlot = phoneKeyAdvertisement({ gatewayId: 'gw-1', doorIds: ['front', 'back'], now: now + 899_999, secret });
  const nextSlot = phoneKeyAdvertisement({ gatewayId: 'gw-1', doorIds: ['front', 'back'], now: now + 900_000, secret });
  t.same(sameSlot, ad);
  t.notSame(Buffer.from(nextSlot.manufacturerData.subarray(5)), Buffer.from(ad.manufacturerData.subarray(5)));
  const fixed = phoneKeyAdvertisement({ gatewayId: 'gw-1', doorIds: ['a', 'b', 'c', 'd', 'e'], now });
  t.same(fixed, phoneKeyAdvertisement({ gatewayId: 'gw-1', doorIds: ['a', 'b', 'c', 'd', 'e'], now: now + 10 * 900_000 }), 'static tags do not rotate');
  t.equal(fixed.manufacturerData.length, 2 + 3 + 6 + 4 * 4, 'at most four doors; fits a 31-byte scan response');
  t.equal(fixed.manufacturerData[3], 0);
});

t.test('key file: mode 0600, never replaced unless asked, refused when others can read it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'phone-key-'));
  const path = join(dir, 'key.json');
  const pair = PhoneKeyPair.generate('ES256');
  await saveKeyFile(path, pair, { credentialId: 'erin-phone' });
  t.equal((await stat(path)).mode & 0o777, 0o600);
  const loaded = await loadKeyFile(path);
  t.equal(loaded.pair.publicKeySpkiB64, pair.publicKeySpkiB64);
  t.equal(loaded.credentialId, 'erin-phone');
  await t.rejects(saveKeyFile(path, PhoneKeyPair.generate('Ed25519')), { code: 'INPUT_INVALID' });
  t.equal((await loadKeyFile(path)).pair.algorithm, 'ES256', 'the old key is still there');
  await chmod(path, 0o644);
  await t.rejects(loadKeyFile(path), { code: 'INPUT_INVALID' });
  await saveKeyFile(path, PhoneKeyPair.generate('Ed25519'), { overwrite: true });
  t.equal((await stat(path)).mode & 0o777, 0o600);
  t.equal((await loadKeyFile(path)).pair.algorithm, 'Ed25519');
  await writeFile(join(dir, 'bad.json'), '{"format":"other"}', { mode: 0o600 });
  await t.rejects(loadKeyFile(join(dir, 'bad.json')), { code: 'INPUT_INVALID' });
  await writeFile(join(dir, 'junk.json'), 'nope', { mode: 0o600 });
  await t.rejects(loadKeyFile(join(dir, 'junk.json')), { code: 'INPUT_INVALID' });
  t.throws(() => PhoneKeyPair.fromPkcs8('AAAA'), { code: 'INPUT_INVALID' });
});
