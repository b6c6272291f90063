import t from 'tap';
import fc from 'fast-check';
import { nukiCrc, nukiCrcValid } from '../../../../src/hal/ble/nuki/nukiCrc.js';
import { nukiAuthenticator, nukiKeyPair, nukiOpen, nukiSeal, nukiSharedKey } from '../../../../src/hal/ble/nuki/nukiCrypto.js';
import { decodeEncrypted, decodePlain, encodeEncrypted, encodePlain } from '../../../../src/hal/ble/nuki/nukiFrame.js';
import { NukiCommand } from '../../../../src/hal/ble/nuki/nukiConstants.js';
import { decodeBattery, decodeKeyturnerStates, encodeBattery, encodeKeyturnerStates, type NukiKeyturnerStates } from '../../../../src/hal/ble/nuki/nukiMessages.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

// The worked example of the Nuki Smart Lock API V2.2.1 ("Command usage examples": authorization
// and perform unlock), as quoted on developer.nuki.io.
const spec = {
  clientSecret: hex('8caa54672307bffdf5ea183fc607158d2011d008eca6a1088614ff0853a5aa07'),
  clientPublic: hex('f88127ccf48023b5cbe9101d24baa8a368da94e8c2e3cde2ded29ce96ab50c15'),
  lockPublic: hex('2fe57da347cd62431528daac5fbb290730fff684afc4cfc2ed90995f58cb3b74'),
  sharedKey: hex('217fcb0f18caf284e9bdea0b94b83b8d10867ed706bfdedbd2381f4cb3b8f730'),
  challenge: hex('6cd4163d159050c798553eaa57e278a579affcbc56f09fc57fe879e51c42df17'),
  authenticator: hex('b09a0d3979a029e5fd027b519eaa200bc14ad3e163d3be4563843e021073bcb1'),
};

t.test('CRC-CCITT (0xFFFF, 0x1021): the standard check value and the API\'s first message', async (t) => {
  t.equal(nukiCrc(new TextEncoder().encode('123456789')), 0x29b1, 'CCITT-FALSE check value');
  t.equal(nukiCrc(new Uint8Array(0)), 0xffff);
  t.equal(toHex(encodePlain(NukiCommand.RequestData, hex('0300'))), '0100030027a7', 'Request Data(Public Key) as the spec shows it');
  t.ok(nukiCrcValid(hex('03002fe57da347cd62431528daac5fbb290730fff684afc4cfc2ed90995f58cb3b749db9')), 'the lock\'s Public Key message');
  t.ok(nukiCrcValid(hex('120' + '0fd010' + '0e7c3')), 'an Error Report (BAD_CRC for Request Data) seen from a real lock');
  t.notOk(nukiCrcValid(hex('0100030027a8')));
});

t.test('crypto against the API\'s worked example: dh1+kdf1, h1 and e1', async (t) => {
  t.equal(toHex(nukiKeyPair(() => Uint8Array.from(spec.clientSecret)).publicKey), toHex(spec.clientPublic));
  t.equal(toHex(nukiSharedKey(spec.clientSecret, spec.lockPublic)), toHex(spec.sharedKey), 'kdf1(dh1) = crypto_box_beforenm');
  t.equal(toHex(nukiAuthenticator(spec.sharedKey, spec.clientPublic, spec.lockPublic, spec.challenge)), toHex(spec.authenticator));
  // "perform unlock": the lock's encrypted Challenge (with the forum's one-digit correction)
  const frame = hex('99C8613A9F6AB6D3FB0399D37AD38C5C003AC139 B1567BC102000000380028CDCC668C08DA47BF32 3BF9371EBF068F6D480438563660780A4234D9A2 3794E305EE37878874EDE106A0BBFCF5B60E0C2E 2BA17248A02B');
  const decoded = decodeEncrypted(spec.sharedKey, frame);
  t.ok(decoded.ok);
  if (decoded.ok) {
    t.equal(decoded.message.authId, 2);
    t.equal(decoded.message.command, NukiCommand.Challenge);
    t.equal(decoded.message.payload.length, 32);
  }
});

t.test('both sides derive one key; seal/open round trip; a wrong key or a flipped bit opens nothing', async (t) => {
  const a = nukiKeyPair();
  const b = nukiKeyPair();
  const k = nukiSharedKey(a.secretKey, b.publicKey);
  t.same(nukiSharedKey(b.secretKey, a.publicKey), k);
  const nonce = new Uint8Array(24).fill(7);
  const sealed = nukiSeal(k, nonce, Uint8Array.of(1, 2, 3));
  t.same(nukiOpen(k, nonce, sealed), Uint8Array.of(1, 2, 3));
  t.equal(nukiOpen(new Uint8Array(32), nonce, sealed), undefined);
  sealed[sealed.length - 1]! ^= 1;
  t.equal(nukiOpen(k, nonce, sealed), undefined);
});

t.test('encrypted frames: round trip; wrong key, tampering, bad length and truncation are dropped with a reason', async (t) => {
  const k = new Uint8Array(32).fill(3);
  const frame = encodeEncrypted(k, 9, new Uint8Array(24).fill(1), NukiCommand.Status, Uint8Array.of(0));
  t.equal(frame.length, 30 + 16 + 4 + 2 + 1 + 2);
  const ok = decodeEncrypted(k, frame);
  t.ok(ok.ok && ok.message.authId === 9 && ok.message.command === NukiCommand.Status);
  t.same(decodeEncrypted(new Uint8Array(32), frame), { ok: false, reason: 'decrypt' });
  const tampered = Uint8Array.from(frame);
  tampered[40]! ^= 0x80;
  t.same(decodeEncrypted(k, tampered), { ok: false, reason: 'decrypt' });
  t.same(decodeEncrypted(k, frame.subarray(0, frame.length - 1)), { ok: false, reason: 'length' });
  t.same(decodeEncrypted(k, frame.subarray(0, 10)), { ok: false, reason: 'length' });
  const otherId = Uint8Array.from(frame);
  otherId[24] = 8;
  t.same(decodeEncrypted(k, otherId), { ok: false, reason: 'auth_id' }, 'ADATA auth id must match the sealed one');
  t.same(decodePlain(hex('0100030027a8')), { ok: false, reason: 'crc' });
  t.same(decodePlain(hex('7777030027a7')), { ok: false, reason: 'unknown_command' });
  t.same(decodePlain(hex('01000300')), { ok: false, reason: 'length' });
});

t.test('decoders never throw on arbitrary bytes', async () => {
  const k = new Uint8Array(32).fill(5);
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
    decodePlain(bytes);
    decodeEncrypted(k, bytes);
    decodeKeyturnerStates(bytes);
  }));
});

t.test('keyturner states and the battery byte', async (t) => {
  const states: NukiKeyturnerStates = {
    nukiState: 2, lockState: 'unlatched', trigger: 'system', currentTime: '2025-03-01T08:09:10', timezoneOffsetMin: -60,
    battery: { percent: 36, critical: false, charging: true }, doorSensor: 'opened',
  };
  const bytes = encodeKeyturnerStates(states);
  t.equal(bytes.length, 19);
  t.same(decodeKeyturnerStates(bytes), states);
  t.same(decodeKeyturnerStates(Uint8Array.of(...bytes, 9, 9, 9)), states, 'fields appended by later firmware are ignored');
  t.equal(decodeKeyturnerStates(bytes.subarray(0, 18)), undefined);
  t.same(decodeBattery(0b01100101), { percent: 50, critical: true, charging: false });
  t.equal(encodeBattery({ percent: 50, critical: true, charging: false }), 0b01100101);
  t.equal(decodeKeyturnerStates(Uint8Array.of(2, 0x42, ...bytes.subarray(2)))?.lockState, 'undefined', 'an unknown lock state byte');
});
