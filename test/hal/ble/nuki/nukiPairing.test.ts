import t from 'tap';
import { isGatewayError } from '../../../../src/kernel/gatewayError.js';
import { pair } from '../../../../src/hal/ble/nuki/nukiPairing.js';
import { NUKI_PAIRING_GDIO } from '../../../../src/hal/ble/nuki/nukiConstants.js';
import { drive, nukiRig } from '../../../support/nukiLock/nukiRig.js';

t.test('pairing end to end at the default MTU: the lock holds our authorization and both sides share a key', async (t) => {
  const rig = nukiRig({ maxValueLength: 20 });
  const credentials = await rig.pairNow(77);
  t.equal(credentials.appId, 77);
  t.equal(credentials.sharedKey.length, 32);
  t.same(credentials.lockPublicKey, rig.emu.keyPair.publicKey);
  const held = rig.emu.authorizations.get(credentials.authId);
  t.ok(held, 'the lock assigned the auth id we got');
  t.same(held?.sharedKey, credentials.sharedKey);
  t.equal(held?.name, 'lockgw test');
  t.equal(held?.idType, 1, 'paired as a bridge');
});

t.test('a second pairing with the same app id replaces the first', async (t) => {
  const rig = nukiRig();
  const first = await rig.pairNow(5);
  const second = await rig.pairNow(5);
  t.equal(second.authId, first.authId);
  t.equal(rig.emu.authorizations.size, 1);
  t.notSame(second.sharedKey, first.sharedKey);
});

t.test('a lock not in pairing mode refuses with P_ERROR_NOT_PAIRING', async (t) => {
  const rig = nukiRig();
  const link = await rig.connector.connect();
  const result = await drive(rig.clock, pair(link, { appId: 1, appName: 'x', clock: rig.clock }));
  t.ok(!result.ok && isGatewayError(result.error, 'DEVICE_ERROR'));
  t.match(!result.ok && (result.error as Error).message, /P_ERROR_NOT_PAIRING/);
  t.equal(rig.emu.authorizations.size, 0);
});

t.test('a silent lock: DEVICE_TIMEOUT after the step timeout', async (t) => {
  const rig = nukiRig({ pairingMode: true });
  rig.emu.faults.silent = true;
  const link = await rig.connector.connect();
  const started = rig.clock.now();
  const result = await drive(rig.clock, pair(link, { appId: 1, appName: 'x', clock: rig.clock, stepTimeoutMs: 3000 }));
  t.ok(!result.ok && isGatewayError(result.error, 'DEVICE_TIMEOUT'));
  t.ok(rig.clock.now() - started >= 3000 && rig.clock.now() - started < 3500);
});

t.test('a lock whose replies are corrupted never completes a pairing', async (t) => {
  const rig = nukiRig({ pairingMode: true });
  rig.emu.faults.corrupt = true;
  const link = await rig.connector.connect();
  const result = await drive(rig.clock, pair(link, { appId: 1, appName: 'x', clock: rig.clock, stepTimeoutMs: 1000 }));
  t.ok(!result.ok && isGatewayError(result.error, 'DEVICE_TIMEOUT'));
});

t.test('a tampered Authorization-ID never yields credentials', async (t) => {
  const rig = nukiRig({ pairingMode: true });
  const link = await rig.connector.connect();
  // flip a bit of the authenticator in the 88-byte Authorization-ID (its first 20-byte value)
  rig.links[0]!.fault = (value, direction, uuid) => {
    if (direction === 'bToA' && uuid === NUKI_PAIRING_GDIO && value[0] === 0x07 && value[1] === 0x00) {
      const v = Uint8Array.from(value);
      v[5]! ^= 1;
      return [v];
    }
    return [value];
  };
  const result = await drive(rig.clock, pair(link, { appId: 1, appName: 'x', clock: rig.clock, stepTimeoutMs: 1000 }));
  // the flipped byte breaks the CRC first: the message is dropped and the step times out
  t.ok(!result.ok && (isGatewayError(result.error, 'DEVICE_ERROR') || isGatewayError(result.error, 'DEVICE_TIMEOUT')));
});

t.test('an app name longer than 32 bytes is refused before anything is sent', async (t) => {
  const rig = nukiRig({ pairingMode: true });
  const link = await rig.connector.connect();
  await t.rejects(pair(link, { appId: 1, appName: 'x'.repeat(33), clock: rig.clock }), { code: 'INPUT_INVALID' });
});
