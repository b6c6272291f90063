/**
 * The worked examples of docs/ble-phone-key.md, computed from the code with fixed keys, nonce
 * and time: docExamples.test.ts checks that the document shows exactly these bytes. The keys
 * are test vectors (RFC 8032's first Ed25519 seed, a P-256 key made for this page): never use
 * them for anything.
 */
import { encodeMessage, signingInput, type Challenge, type PhoneKeyMessage } from '../../../../src/hal/ble/phoneKey/codec.js';
import { fragment } from '../../../../src/hal/ble/phoneKey/framing.js';
import { ALGORITHMS, PROTOCOL_VERSION } from '../../../../src/hal/ble/phoneKey/protocol.js';
import { phoneKeyAdvertisement } from '../../../../src/hal/ble/phoneKey/advertisement.js';
import { PhoneKeyPair } from '../../../../tools/phone-sim/phoneKeyPair.js';

export const ED25519_PKCS8_HEX = '302e020100300506032b657004220420' + '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
export const P256_PKCS8_B64 =
  'MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgBRMP0/xvUZbJgqNJEARxvoDYvj8JVUvS8rH1sbfN96ChRANCAAQUZ2A7R9gL6DmHr7oqJHtRJgDllTy7zH6qRHq4uxK+Ma9/WM+5LoagDA/wuInXsP2BXmHdrvaLdpYa4kcxYWsn';

export const hex = (bytes: Uint8Array): string => (Buffer.from(bytes).toString('hex').match(/../g) ?? []).join(' ');
const values = (message: PhoneKeyMessage): string => fragment(encodeMessage(message), 20).map(hex).join('\n');

export const challenge: Challenge = {
  type: 'challenge',
  version: PROTOCOL_VERSION,
  nonce: Uint8Array.from({ length: 32 }, (_, i) => i),
  gatewayId: 'gw-1',
  doorId: 'front',
  time: Date.parse('2025-01-01T00:00:00Z'),
  expiresInS: 5,
};

/** name → the exact text of the example block (hex bytes separated by spaces, one ATT value a line) */
export function docExamples(): Record<string, string> {
  const ed = PhoneKeyPair.fromPkcs8(Buffer.from(ED25519_PKCS8_HEX, 'hex'));
  const p256 = PhoneKeyPair.fromPkcs8(P256_PKCS8_B64);
  const hello: PhoneKeyMessage = { type: 'hello', version: PROTOCOL_VERSION, algorithm: ALGORITHMS.Ed25519, doorId: 'front', credentialId: 'erin-phone' };
  const input = signingInput(challenge);
  const signature = ed.sign(input);
  const response: PhoneKeyMessage = { type: 'response', nonce: challenge.nonce, signature, document: undefined };
  const result: PhoneKeyMessage = { type: 'result', granted: true, reason: 'granted', unlockMs: 5000 };
  const denied: PhoneKeyMessage = { type: 'result', granted: false, reason: 'bad_signature', unlockMs: undefined };
  const ad = phoneKeyAdvertisement({ gatewayId: 'gw-1', doorIds: ['front', 'back'], now: challenge.time, secret: Buffer.from('00112233445566778899aabbccddeeff', 'hex') });
  return {
    ed25519_public_key: ed.publicKeySpkiB64,
    p256_public_key: p256.publicKeySpkiB64,
    hello: hex(encodeMessage(hello)),
    hello_values: values(hello),
    challenge: hex(encodeMessage(challenge)),
    challenge_values: values(challenge),
    signing_input: hex(input),
    ed25519_signature: hex(signature),
    response: hex(encodeMessage(response)),
    response_values: values(response),
    result_granted: hex(encodeMessage(result)),
    result_denied: hex(encodeMessage(denied)),
    result_denied_values: values(denied),
    advertisement: hex(ad.manufacturerData),
  };
}
