/**
 * A phone opens a door through the whole gateway: the phone simulator's client, an in-memory
 * BLE link, the phone-key reader, the door's controller, the engine and the journal. (The same
 * over the real libraries and the virtual HCI controller is test/app/phoneKeyOverBle.test.ts.)
 */
import t, { type Test } from 'tap';
import type { BleLink } from '../../src/hal/ble/bleLink.js';
import { PhoneKeyPair } from '../../tools/phone-sim/phoneKeyPair.js';
import { runPhoneKeyExchange } from '../../tools/phone-sim/phoneKeyClient.js';
import { generateSigningKeyPair } from '../../src/wire/keys.js';
import { signAccessDocument } from '../../src/wire/accessDocument.js';
import { memoryBleLinkPair } from '../support/memoryBleLink.js';
import { gatewayFixture, type GatewayFixture } from '../support/gatewayFixture.js';

const cloud = generateSigningKeyPair('cloud-1');

async function site(t: Test) {
  const feed: { accept: ((link: BleLink) => void) | null } = { accept: null };
  const phoneLinks = { accept: (listener: (link: BleLink) => void) => { feed.accept = listener; return () => { feed.accept = null; }; } };
  const f = await gatewayFixture(t, {
    gateway: { id: 'gw-test' },
    cloud: { keys: [{ kid: 'cloud-1', pem: cloud.publicPem }] },
    ble: { phoneKeys: { adapter: { uart: '/dev/lockgw-no-such-uart' } } },
    doors: [{ id: 'lobby', ble: { phoneKey: true } }, { id: 'server-room', ble: { phoneKey: true } }, { id: 'gym' }],
  }, '2026-11-23T09:00:00Z', { phoneLinks });
  const connect = () => {
    const pair = memoryBleLinkPair({ maxValueLength: 20 });
    if (feed.accept === null) throw new Error('the gateway does not accept phone links');
    feed.accept(pair.b);
    return pair;
  };
  return { f, connect };
}

const events = (f: GatewayFixture) => f.gateway.journal.recent(0, 10_000);

t.test('a phone key with its public key on record opens its door; a forged one does not', async (t) => {
  const { f, connect } = await site(t);
  const key = PhoneKeyPair.generate('ES256');
  f.gateway.applyBatch([
    { op: 'upsert', entity: 'credential', record: { id: 'alice-phone', personId: 'alice', kind: 'mobile', mobileKeyId: 'alice-phone', publicKey: key.publicKeySpkiB64 } },
  ], { source: 'local' });
  const lobby = f.gateway.simulated!.doors.get('lobby')!;
  const open = (doorId: string, k = key, credentialId = 'alice-phone', document?: Uint8Array) =>
    runPhoneKeyExchange({ link: connect().a, clock: f.clock, key: k, credentialId, doorId, document, timeoutMs: 5_000 });

  t.match(await open('lobby'), { granted: true, reason: 'granted', unlockMs: 5_000 });
  t.equal(lobby.actuator.state(), 'unlocked');
  t.match(events(f).at(-1), { type: 'access', doorId: 'lobby', grant: true, reason: 'granted', personId: 'alice', credentialId: 'alice-phone', data: { kind: 'mobile' } });
  f.clock.advance(5_000);
  t.equal(lobby.actuator.state(), 'locked');

  const thief = PhoneKeyPair.generate('ES256');
  t.match(await open('lobby', thief), { granted: false, reason: 'bad_signature' });
  t.equal(lobby.actuator.state(), 'locked');
  t.match(events(f).at(-1), { type: 'access', doorId: 'lobby', grant: false, reason: 'bad_signature', credentialId: 'alice-phone', data: { kind: 'mobile', stage: 'phone_key' } });
  t.match(await open('gym'), { granted: false, reason: 'wrong_door' }, 'a door that takes no phone keys');
  t.match(await open('lobby', key, 'nobody-phone'), { granted: false, reason: 'unknown_credential' });
  t.match(events(f).at(-1), { reason: 'unknown_credential', data: { claimedKeyId: 'nobody-phone' } });
  f.gateway.applyBatch([{ op: 'upsert', entity: 'credential', record: { id: 'bob-phone', personId: 'alice', kind: 'mobile', mobileKeyId: 'bob-phone' } }], { source: 'local' });
  t.match(await open('lobby', key, 'bob-phone'), { granted: false, reason: 'key_missing' }, 'a phone key on record without a public key');
  t.match(events(f).at(-1), { reason: 'key_missing', credentialId: 'bob-phone', personId: 'alice' });

  const room = f.gateway.simulated!.doors.get('server-room')!;
  f.gateway.applyBatch([{ op: 'upsert', entity: 'holding', record: { personId: 'alice', keyId: 'staff' } }], { source: 'local' });
  t.match(await open('server-room'), { granted: false, reason: 'second_factor_required' }, 'card+PIN door: the phone hears that a PIN is needed');
  t.equal(room.indicator.current(), 'pin_entry');
  t.equal(room.actuator.state(), 'locked');
});

t.test('a guest issued after the last sync opens with a cloud-signed access document, and only with the key it names', async (t) => {
  const { f, connect } = await site(t);
  const key = PhoneKeyPair.generate('Ed25519');
  const now = f.clock.now();
  const doc = { credentialId: 'gus-phone', personId: 'gus', publicKey: key.publicKeySpkiB64, doors: [{ doorId: 'lobby' }], validUntil: now + 3_600_000, revision: f.gateway.engine.applied().revision + 1 };
  const token = new TextEncoder().encode(signAccessDocument(doc, { kid: 'cloud-1', privateKey: cloud.privateKey, issuer: 'portal' }, 'gw-test', now));
  const open = (k: PhoneKeyPair, document?: Uint8Array) => runPhoneKeyExchange({ link: connect().a, clock: f.clock, key: k, credentialId: 'gus-phone', doorId: 'lobby', document, timeoutMs: 5_000 });
  t.match(await open(key), { granted: false, reason: 'unknown_credential' });
  t.match(await open(key, token), { granted: true, reason: 'granted' });
  t.match(events(f).at(-1), { grant: true, personId: 'gus', credentialId: 'gus-phone', data: { via: 'document' } });
  f.clock.advance(6_000);
  t.match(await open(PhoneKeyPair.generate('Ed25519'), token), { granted: false, reason: 'bad_signature' }, 'a stolen document without the phone\'s key');
  const forged = token.slice();
  forged[forged.length - 3] = forged[forged.length - 3]! ^ 1;
  t.match(await open(key, forged), { granted: false, reason: 'document_invalid' });
  t.equal(f.gateway.simulated!.doors.get('lobby')!.actuator.state(), 'locked');
});

t.test('without a Bluetooth adapter the gateway runs and the phone-key reader is offline with the reason', async (t) => {
  const f = await gatewayFixture(t, { ble: { phoneKeys: { adapter: { uart: '/dev/lockgw-no-such-uart' } } }, doors: [{ id: 'lobby', ble: { phoneKey: true } }] });
  const status = f.gateway.doors.status().find((d) => d.doorId === 'lobby')!;
  t.match(status.devices['phone-keys'], { state: 'offline', reason: /no Bluetooth adapter: UART \/dev\/lockgw-no-such-uart does not exist/ });
  t.equal(status.health.state, 'degraded', 'the door still opens with its other readers');
  f.gateway.simulated!.doors.get('lobby')!.cardReader.present('26:12:34567');
  t.equal(f.gateway.simulated!.doors.get('lobby')!.actuator.state(), 'unlocked');
});
