import t from 'tap';
import fc from 'fast-check';
import { ALGORITHMS, PROTOCOL_VERSION } from '../../../../src/hal/ble/phoneKey/protocol.js';
import { encodeMessage, signingInput } from '../../../../src/hal/ble/phoneKey/codec.js';
import { fragment } from '../../../../src/hal/ble/phoneKey/framing.js';
import { BlePhoneKeyReader, phoneKeyInput, type PhoneLinkSource } from '../../../../src/hal/ble/phoneKey/blePhoneKeyReader.js';
import type { BleLink } from '../../../../src/hal/ble/bleLink.js';
import type { Decision } from '../../../../src/hal/ble/phoneKey/ports.js';
import { PhoneKeyPair } from '../../../../tools/phone-sim/phoneKeyPair.js';
import { runPhoneKeyExchange } from '../../../../tools/phone-sim/phoneKeyClient.js';
import { memoryBleLinkPair } from '../../../support/memoryBleLink.js';
import { rig, settle, silent, GATEWAY } from './rig.js';

const key = PhoneKeyPair.generate('Ed25519');
const helloValues = fragment(encodeMessage({ type: 'hello', version: PROTOCOL_VERSION, algorithm: ALGORITHMS.Ed25519, doorId: 'front', credentialId: 'erin-phone' }), 20);

t.test('a link dropped after the CHALLENGE is abandoned, releases everything, and the next phone gets in', async (t) => {
  const r = rig();
  r.keys.set('erin-phone', key.publicKeySpkiB64);
  const { pair, phone, outcome } = r.connect();
  await phone.sendRaw(helloValues);
  t.equal((await phone.next()).type, 'challenge');
  t.equal(r.service.outstandingChallenges(), 1);
  pair.drop();
  t.match(await outcome, { outcome: 'abandoned', reason: 'link_closed', credentialId: 'erin-phone' });
  await settle();
  t.equal(r.service.activeSessions(), 0);
  t.equal(r.service.outstandingChallenges(), 0);
  t.same(r.clock.pending(), []);
  const next = r.connect();
  t.match(await runPhoneKeyExchange({ link: next.pair.a, clock: r.clock, key, credentialId: 'erin-phone', doorId: 'front' }), { granted: true });
});

t.test('a phone that says nothing, or never answers, is told timeout and disconnected', async (t) => {
  const r = rig();
  const silentPhone = r.connect();
  r.clock.advance(5_000);
  t.match(await silentPhone.phone.next(), { type: 'result', granted: false, reason: 'timeout' });
  t.match(await silentPhone.outcome, { outcome: 'abandoned', reason: 'timeout' });
  await settle();
  r.clock.advance(1_000); // the linger after the RESULT
  await settle();
  t.ok(silentPhone.pair.a.closed, 'the gateway closed the link');
  t.equal(r.service.activeSessions(), 0);

  const slow = r.connect();
  await slow.phone.sendRaw(helloValues);
  t.equal((await slow.phone.next()).type, 'challenge');
  r.clock.advance(7_000);
  t.match(await slow.phone.next(), { type: 'result', reason: 'timeout' });
  await settle();
  r.clock.advance(1_000);
  await settle();
  t.equal(r.service.activeSessions(), 0);
  t.same(r.clock.pending(), []);
});

t.test('challenges outstanding at once are bounded: the next phone is told busy until one is answered', async (t) => {
  const r = rig({ maxOutstanding: 2 });
  r.keys.set('erin-phone', key.publicKeySpkiB64);
  const phones = [r.connect(), r.connect(), r.connect()];
  for (const p of phones) await p.phone.sendRaw(helloValues);
  t.equal((await phones[0]!.phone.next()).type, 'challenge');
  t.equal((await phones[1]!.phone.next()).type, 'challenge');
  t.match(await phones[2]!.phone.next(), { type: 'result', granted: false, reason: 'busy' });
  t.equal(r.service.outstandingChallenges(), 2);
  phones[0]!.pair.drop();
  await settle();
  const later = r.connect();
  t.match(await runPhoneKeyExchange({ link: later.pair.a, clock: r.clock, key, credentialId: 'erin-phone', doorId: 'front' }), { granted: true });
});

t.test('a link lost while decide runs still ends in decide\'s outcome, then releases', async (t) => {
  const r = rig();
  r.keys.set('erin-phone', key.publicKeySpkiB64);
  let release!: (d: Decision) => void;
  r.decide = () => new Promise((resolve) => (release = resolve));
  const { pair, phone, outcome } = r.connect();
  await phone.sendRaw(helloValues);
  const challenge = await phone.next();
  if (challenge.type !== 'challenge') throw new Error('no challenge');
  await phone.send({ type: 'response', nonce: challenge.nonce, signature: key.sign(signingInput(challenge)) });
  await settle();
  t.equal(r.decideCalls.length, 1);
  pair.drop();
  await settle();
  t.equal(r.service.activeSessions(), 1, 'held until decide settles');
  release({ grant: true, reason: 'granted', unlockMs: 3000 });
  t.match(await outcome, { outcome: 'granted' });
  await settle();
  t.equal(r.service.activeSessions(), 0);
  t.same(r.clock.pending(), []);
});

const garbage = fc.array(fc.uint8Array({ minLength: 0, maxLength: 24 }), { minLength: 1, maxLength: 40 });

t.test('no sequence of garbage values, with or without a valid HELLO first, reaches decide or grants', async (t) => {
  const r = rig();
  r.keys.set('erin-phone', key.publicKeySpkiB64);
  await fc.assert(
    fc.asyncProperty(fc.boolean(), garbage, async (helloFirst, values) => {
      const { phone } = r.connect();
      try {
        if (helloFirst) await phone.sendRaw(helloValues);
        await settle(1);
        await phone.sendRaw(values.map((v) => Uint8Array.from(v.subarray(0, 20))));
      } catch {
        // the gateway hung up: that is a fine answer to garbage
      }
      await settle(2);
      r.clock.advance(20_000);
      await settle(2);
      return r.decideCalls.length === 0 && r.outcomes.every((o) => o.outcome !== 'granted') && r.service.activeSessions() === 0;
    }),
    { numRuns: 300 },
  );
  t.equal(r.decideCalls.length, 0);
  t.equal(r.service.outstandingChallenges(), 0);
  t.ok(r.outcomes.length >= 300, 'every session ended in an outcome');
});

t.test('the reader serves the links its source accepts while started, and closes them on stop', async (t) => {
  const r = rig();
  r.keys.set('erin-phone', key.publicKeySpkiB64);
  const listeners = new Set<(link: BleLink) => void>();
  const source: PhoneLinkSource = { accept: (l) => (listeners.add(l), () => listeners.delete(l)) };
  const outcomes: string[] = [];
  const reader = new BlePhoneKeyReader({
    id: 'phone-radio', clock: r.clock, log: silent, source, gatewayId: GATEWAY, doorIds: ['front'],
    ports: { resolveKey: () => ({ ok: true, publicKeySpkiB64: key.publicKeySpkiB64, source: 'store' }), decide: async () => ({ grant: true, reason: 'granted' }), onOutcome: (o) => outcomes.push(o.outcome) },
  });
  t.match(reader.health(), { state: 'offline', reason: 'not started' });
  await reader.start();
  t.equal(reader.health().state, 'online');
  const offer = (): ReturnType<typeof memoryBleLinkPair> => {
    const pair = memoryBleLinkPair();
    for (const l of listeners) l(pair.b);
    return pair;
  };
  t.match(await runPhoneKeyExchange({ link: offer().a, clock: r.clock, key, credentialId: 'erin-phone', doorId: 'front' }), { granted: true });
  const waiting = offer();
  t.equal(reader.activeSessions(), 1);
  await reader.stop();
  t.ok(waiting.a.closed, 'stop closed the open session');
  t.equal(reader.activeSessions(), 0);
  t.match(reader.health(), { state: 'offline', reason: 'stopped' });
  t.equal(listeners.size, 0, 'stop unsubscribed from the source');
  t.same(outcomes, ['granted', 'abandoned']);
  t.same(phoneKeyInput('erin-phone'), { kind: 'mobile', value: 'erin-phone' });
});
