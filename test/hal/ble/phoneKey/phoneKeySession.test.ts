import t from 'tap';
import { ALGORITHMS, PROTOCOL_VERSION } from '../../../../src/hal/ble/phoneKey/protocol.js';
import { signingInput, type Challenge, type PhoneKeyMessage } from '../../../../src/hal/ble/phoneKey/codec.js';
import { PhoneKeyPair } from '../../../../tools/phone-sim/phoneKeyPair.js';
import { runPhoneKeyExchange, type PhoneKeyConnection } from '../../../../tools/phone-sim/phoneKeyClient.js';
import { rig, settle, type Rig } from './rig.js';

const es256 = PhoneKeyPair.generate('ES256');
const ed25519 = PhoneKeyPair.generate('Ed25519');

function enrolled(): Rig {
  const r = rig();
  r.keys.set('erin-phone', es256.publicKeySpkiB64);
  r.keys.set('finn-phone', ed25519.publicKeySpkiB64);
  return r;
}

async function hello(phone: PhoneKeyConnection, key: PhoneKeyPair, credentialId: string, doorId = 'front', algorithm: number = ALGORITHMS[key.algorithm]): Promise<PhoneKeyMessage> {
  await phone.send({ type: 'hello', version: PROTOCOL_VERSION, algorithm, doorId, credentialId });
  return phone.next();
}

async function answer(phone: PhoneKeyConnection, challenge: Challenge, key: PhoneKeyPair, signed: Partial<Challenge> = {}): Promise<PhoneKeyMessage> {
  await phone.send({ type: 'response', nonce: challenge.nonce, signature: key.sign(signingInput({ ...challenge, ...signed })) });
  return phone.next();
}

function asChallenge(m: PhoneKeyMessage): Challenge {
  if (m.type !== 'challenge') throw new Error(`expected a challenge, got ${JSON.stringify(m)}`);
  return m;
}

for (const [name, key, credentialId] of [['P-256', es256, 'erin-phone'], ['Ed25519', ed25519, 'finn-phone']] as const) {
  t.test(`a ${name} phone whose key is on record opens the door it asked for`, async (t) => {
    const r = enrolled();
    const { pair, outcome } = r.connect();
    const result = await runPhoneKeyExchange({ link: pair.a, clock: r.clock, key, credentialId, doorId: 'back' });
    t.match(result, { granted: true, reason: 'granted', unlockMs: 5000 });
    t.equal(result.challenge?.gatewayId, 'gw-1');
    t.equal(result.challenge?.expiresInS, 5);
    t.ok((result.challenge?.nonce.length ?? 0) >= 16);
    t.same(r.decideCalls, [{ doorId: 'back', credentialId, keySource: 'store', document: undefined }]);
    t.match(await outcome, { outcome: 'granted', doorId: 'back', credentialId, reason: 'granted', peer: 'c0:00:00:00:00:0a', keySource: 'store' });
    await settle();
    t.equal(r.service.activeSessions(), 0, 'the session is released when the phone disconnects');
    t.equal(r.service.outstandingChallenges(), 0);
    t.same(r.clock.pending(), [], 'no timer left behind');
  });
}

t.test('a RESPONSE captured from one connection and replayed on another is denied and never decided', async (t) => {
  const r = enrolled();
  const first = r.connect();
  const captured: Uint8Array[] = [];
  first.pair.fault = (value, direction) => {
    if (direction === 'aToB') captured.push(value);
    return [value];
  };
  t.match(await runPhoneKeyExchange({ link: first.pair.a, clock: r.clock, key: es256, credentialId: 'erin-phone', doorId: 'front' }), { granted: true });
  // the RESPONSE starts at the second value with the FIRST bit (the HELLO takes two values)
  const responseStart = captured.findIndex((v, i) => i > 0 && (v[0]! & 0x80) !== 0);
  const responseValues = captured.slice(responseStart);
  t.ok(responseValues.length > 3, 'the RESPONSE took several values');
  await settle();

  const second = r.connect();
  t.equal((await hello(second.phone, es256, 'erin-phone')).type, 'challenge');
  await second.phone.sendRaw(responseValues);
  t.match(await second.phone.next(), { type: 'result', granted: false, reason: 'nonce_replayed' });
  t.match(await second.outcome, { outcome: 'denied', reason: 'nonce_replayed', credentialId: 'erin-phone' });

  r.clock.advance(20_000); // long after: the book has forgotten the nonce, still denied
  await settle();
  const third = r.connect();
  await hello(third.phone, es256, 'erin-phone');
  await third.phone.sendRaw(responseValues);
  t.match(await third.phone.next(), { type: 'result', granted: false, reason: 'nonce_unknown' });
  t.equal(r.decideCalls.length, 1, 'only the honest exchange reached decide');
});

t.test('a RESPONSE after the challenge expired is denied nonce_expired', async (t) => {
  const r = enrolled();
  const { phone, outcome } = r.connect();
  const challenge = asChallenge(await hello(phone, es256, 'erin-phone'));
  r.clock.advance(5_001);
  t.match(await answer(phone, challenge, es256), { type: 'result', granted: false, reason: 'nonce_expired' });
  t.match(await outcome, { outcome: 'denied', reason: 'nonce_expired' });
  t.equal(r.decideCalls.length, 0);
});

t.test('a nonce issued to another connection is denied nonce_foreign, and burnt for its owner', async (t) => {
  const r = enrolled();
  const a = r.connect();
  const b = r.connect();
  const challengeA = asChallenge(await hello(a.phone, es256, 'erin-phone'));
  await hello(b.phone, es256, 'erin-phone');
  t.match(await answer(b.phone, challengeA, es256), { type: 'result', granted: false, reason: 'nonce_foreign' });
  t.match(await answer(a.phone, challengeA, es256), { type: 'result', granted: false, reason: 'nonce_replayed' });
  t.equal(r.decideCalls.length, 0);
});

t.test('a signature over another door, another gateway, another time or by another key is bad_signature', async (t) => {
  const r = enrolled();
  const stranger = PhoneKeyPair.generate('ES256');
  const cases: [string, Partial<Challenge>, PhoneKeyPair][] = [
    ['door', { doorId: 'back' }, es256],
    ['gateway', { gatewayId: 'gw-2' }, es256],
    ['time', { time: 1 }, es256],
    ['key', {}, stranger],
  ];
  for (const [what, signed, key] of cases) {
    const { phone, outcome } = r.connect();
    const challenge = asChallenge(await hello(phone, es256, 'erin-phone'));
    t.match(await answer(phone, challenge, key, signed), { type: 'result', granted: false, reason: 'bad_signature' }, what);
    t.match(await outcome, { outcome: 'denied', reason: 'bad_signature' });
  }
  t.equal(r.decideCalls.length, 0);
});

t.test('a HELLO for a door this radio does not serve is wrong_door; an unknown credential is unknown_credential', async (t) => {
  const r = enrolled();
  const a = r.connect();
  t.match(await hello(a.phone, es256, 'erin-phone', 'garage'), { type: 'result', granted: false, reason: 'wrong_door' });
  t.match(await a.outcome, { outcome: 'denied', doorId: 'garage', reason: 'wrong_door' });
  const b = r.connect();
  const challenge = asChallenge(await hello(b.phone, es256, 'nobody'));
  t.match(await answer(b.phone, challenge, es256), { type: 'result', granted: false, reason: 'unknown_credential' });
  t.equal(r.decideCalls.length, 0);
});

t.test('an algorithm other than the key\'s, or none we know, is wrong_algorithm', async (t) => {
  const r = enrolled();
  const a = r.connect();
  const challenge = asChallenge(await hello(a.phone, es256, 'erin-phone', 'front', ALGORITHMS.Ed25519));
  t.match(await answer(a.phone, challenge, es256), { type: 'result', granted: false, reason: 'wrong_algorithm' });
  const b = r.connect();
  t.match(await hello(b.phone, es256, 'erin-phone', 'front', 9), { type: 'result', granted: false, reason: 'wrong_algorithm' });
  t.equal(r.decideCalls.length, 0);
});

t.test('a HELLO of another protocol version is unsupported_version', async (t) => {
  const r = enrolled();
  const { phone } = r.connect();
  await phone.sendRaw([Uint8Array.of(0xc0, 0x00, 0x03, 0x01, 0x02, 0xff)]);
  t.match(await phone.next(), { type: 'result', granted: false, reason: 'unsupported_version' });
});

t.test('a pending credential is denied credential_pending, as resolveKey says, without decide', async (t) => {
  const r = enrolled();
  r.resolve = () => ({ ok: false, reason: 'credential_pending' });
  const { pair } = r.connect();
  t.match(await runPhoneKeyExchange({ link: pair.a, clock: r.clock, key: es256, credentialId: 'erin-phone', doorId: 'front' }), { granted: false, reason: 'credential_pending' });
  t.equal(r.decideCalls.length, 0);
});

t.test('a guest\'s key carried by a 3 KiB access document travels in fragments and reaches decide as a document key', async (t) => {
  const r = rig();
  const guest = PhoneKeyPair.generate('Ed25519');
  const document = new TextEncoder().encode('eyJ'.padEnd(3000, 'x'));
  r.resolve = (request) => (request.document && Buffer.from(request.document).equals(Buffer.from(document)) ? { ok: true, publicKeySpkiB64: guest.publicKeySpkiB64, source: 'document' } : { ok: false, reason: 'document_invalid' });
  const { pair } = r.connect();
  const result = await runPhoneKeyExchange({ link: pair.a, clock: r.clock, key: guest, credentialId: 'guest-7', doorId: 'front', document });
  t.match(result, { granted: true });
  t.equal(r.decideCalls[0]?.keySource, 'document');
  t.same(Buffer.from(r.decideCalls[0]!.document!), Buffer.from(document));
});

t.test('a denial by decide reaches the phone with decide\'s reason and no unlock time', async (t) => {
  const r = enrolled();
  r.decide = async () => ({ grant: false, reason: 'no_schedule', unlockMs: 5000 });
  const { pair, outcome } = r.connect();
  t.same(await runPhoneKeyExchange({ link: pair.a, clock: r.clock, key: es256, credentialId: 'erin-phone', doorId: 'front' }).then(({ challenge: _c, ...rest }) => rest), { granted: false, reason: 'no_schedule', unlockMs: undefined });
  t.match(await outcome, { outcome: 'denied', reason: 'no_schedule' });
});

t.test('a port that throws is internal and denied; a throwing onOutcome does not break the session', async (t) => {
  const r = enrolled();
  r.resolve = () => { throw new Error('store gone'); };
  const { pair } = r.connect();
  t.match(await runPhoneKeyExchange({ link: pair.a, clock: r.clock, key: es256, credentialId: 'erin-phone', doorId: 'front' }), { granted: false, reason: 'internal' });
  r.resolve = null;
  r.decide = async () => { throw new Error('engine gone'); };
  const second = r.connect();
  t.match(await runPhoneKeyExchange({ link: second.pair.a, clock: r.clock, key: es256, credentialId: 'erin-phone', doorId: 'front' }), { granted: false, reason: 'internal' });
  t.equal(r.outcomes.filter((o) => o.outcome === 'granted').length, 0);
});
