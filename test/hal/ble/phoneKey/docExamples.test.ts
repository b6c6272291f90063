import t from 'tap';
import { readFile } from 'node:fs/promises';
import { docExamples, challenge, P256_PKCS8_B64 } from './docExamples.js';
import { signingInput } from '../../../../src/hal/ble/phoneKey/codec.js';
import { parsePublicKey, verifySignature } from '../../../../src/hal/ble/phoneKey/signatureCheck.js';
import { PHONE_KEY_MESSAGE_UUID, PHONE_KEY_REASONS, PHONE_KEY_SERVICE_UUID } from '../../../../src/hal/ble/phoneKey/protocol.js';
import { PhoneKeyPair } from '../../../../tools/phone-sim/phoneKeyPair.js';

const doc = await readFile(new URL('../../../../docs/ble-phone-key.md', import.meta.url), 'utf8');
const blocks = new Map([...doc.matchAll(/<!-- example:(\w+) -->\n```text\n([\s\S]*?)\n```/g)].map((m) => [m[1]!, m[2]!]));

t.test('every worked example in docs/ble-phone-key.md is the bytes the code produces', async (t) => {
  const examples = docExamples();
  for (const [name, text] of Object.entries(examples)) t.equal(blocks.get(name), text, name);
  t.same([...blocks.keys()].filter((k) => !(k in examples) && k !== 'p256_signature'), [], 'no example in the doc the test does not check');
});

t.test('the doc\'s P-256 signature verifies with the doc\'s P-256 key over the doc\'s signing input', async (t) => {
  const key = parsePublicKey(PhoneKeyPair.fromPkcs8(P256_PKCS8_B64).publicKeySpkiB64);
  if (!key.ok) throw new Error(key.detail);
  const signature = Buffer.from(blocks.get('p256_signature')!.replace(/\s+/g, ''), 'hex');
  t.ok(verifySignature(key.key, signingInput(challenge), signature));
  t.ok(doc.includes(P256_PKCS8_B64), 'the doc shows the P-256 test key');
});

t.test('the doc names the UUIDs the code uses', async (t) => {
  const dashed = (u: string): string => `${u.slice(0, 8)}-${u.slice(8, 12)}-${u.slice(12, 16)}-${u.slice(16, 20)}-${u.slice(20)}`;
  t.ok(doc.includes(dashed(PHONE_KEY_SERVICE_UUID)));
  t.ok(doc.includes(dashed(PHONE_KEY_MESSAGE_UUID)));
});

t.test('the doc explains every reason the phone-key layer gives', async (t) => {
  for (const reason of PHONE_KEY_REASONS) t.ok(doc.includes(`| \`${reason}\` |`), reason);
});
