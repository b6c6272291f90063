import t from 'tap';
import type { AccessDocument } from '../../src/access/accessDocument.js';
import { MAX_ACCESS_DOCUMENT_BYTES, signAccessDocument, verifyAccessDocument } from '../../src/wire/accessDocument.js';
import { CloudKeySet, generateSigningKeyPair } from '../../src/wire/keys.js';
import { signEnvelope } from '../../src/wire/signedEnvelope.js';

const NOW = Date.parse('2026-11-23T09:00:00Z');
const cloud = generateSigningKeyPair('cloud-1');
const other = generateSigningKeyPair('cloud-1');
const trust = { keys: new CloudKeySet([{ kid: 'cloud-1', publicKey: cloud.publicKey }]), gatewayId: 'gw-1', issuer: 'portal' };
const signer = { kid: 'cloud-1', privateKey: cloud.privateKey, issuer: 'portal' };
const doc: AccessDocument = {
  credentialId: 'gus-phone', personId: 'gus', publicKey: 'MCowBQYDK2VwAyEA' + 'A'.repeat(44), doors: [{ doorId: 'lobby', scheduleIds: ['office'] }],
  validFrom: NOW - 1000, validUntil: NOW + 86_400_000, revision: 7,
};

t.test('a document signed by a trusted cloud key for this gateway verifies', async (t) => {
  const token = signAccessDocument(doc, signer, 'gw-1', NOW);
  t.ok(token.length < MAX_ACCESS_DOCUMENT_BYTES, `${token.length} bytes`);
  const v = verifyAccessDocument(token, trust, NOW + 5000);
  t.match(v, { ok: true, kid: 'cloud-1', document: doc });
});

t.test('anything else is refused with a reason', async (t) => {
  const good = signAccessDocument(doc, signer, 'gw-1', NOW);
  const check = (token: string, reason: string, at = NOW) => t.match(verifyAccessDocument(token, trust, at), { ok: false, reason }, reason);
  check(signAccessDocument(doc, signer, 'gw-2', NOW), 'wrong_audience');
  check(signAccessDocument(doc, { ...signer, privateKey: other.privateKey }, 'gw-1', NOW), 'bad_signature');
  check(signAccessDocument(doc, { ...signer, issuer: 'someone' }, 'gw-1', NOW), 'wrong_issuer');
  check(good, 'expired', doc.validUntil + 120_000);
  check(good.slice(0, -4) + (good.endsWith('AAAA') ? 'BBBB' : 'AAAA'), 'bad_signature');
  check(signEnvelope(doc, { kid: 'cloud-1', privateKey: cloud.privateKey, issuer: 'portal', audience: 'gw-1', type: 'delta', now: NOW }), 'wrong_type');
  check(signAccessDocument({ ...doc, doors: [] }, signer, 'gw-1', NOW), 'invalid_document');
  check(signAccessDocument({ ...doc, publicKey: 'not base64!' }, signer, 'gw-1', NOW), 'invalid_document');
  check(signAccessDocument({ ...doc, validFrom: doc.validUntil }, signer, 'gw-1', NOW), 'invalid_document');
  check(signAccessDocument({ ...doc, doors: Array.from({ length: 64 }, (_, i) => ({ doorId: `door-${i}-${'x'.repeat(40)}` })) }, signer, 'gw-1', NOW), 'too_large');
  check('garbage', 'malformed');
});
