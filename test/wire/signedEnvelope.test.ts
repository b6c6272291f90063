import { createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import t, { type Test } from 'tap';
import { isGatewayError } from '../../src/kernel/gatewayError.js';
import { CloudKeySet, generateSigningKeyPair, loadCloudKeys, publicJwk } from '../../src/wire/keys.js';
import {
  DEFAULT_MAX_SKEW_MS,
  signEnvelope,
  verifyEnvelope,
  type SignOptions,
  type VerifyFailureReason,
  type VerifyOptions,
  type VerifyResult,
} from '../../src/wire/signedEnvelope.js';

const NOW = Date.parse('2026-11-20T10:00:00Z');
const GW = 'gw-17';
const current = generateSigningKeyPair('cloud-2026-11');
const next = generateSigningKeyPair('cloud-2027-05');
const stranger = generateSigningKeyPair('cloud-2026-11'); // same kid, another key
const keys = loadCloudKeys([current.publicJwk, { kid: next.kid, pem: next.publicPem }]);
const BODY = { fromVersion: 4, toVersion: 5, hash: 'ab'.repeat(32), operations: [] };

function signed(overrides: Partial<SignOptions> = {}, msg: unknown = BODY): string {
  return signEnvelope(msg, { kid: current.kid, privateKey: current.privateKey, issuer: 'portal', audience: GW, type: 'delta', now: NOW, ...overrides });
}

function check(token: string | Uint8Array, overrides: Partial<VerifyOptions> = {}): VerifyResult {
  return verifyEnvelope(token, { keys, gatewayId: GW, expectedType: 'delta', now: NOW, ...overrides });
}

function rejected(t: Test, result: VerifyResult, reason: VerifyFailureReason, detail?: RegExp): void {
  if (result.ok) {
    t.fail(`expected ${reason}, got ok`);
    return;
  }
  t.equal(result.reason, reason, result.detail);
  if (detail) t.match(result.detail, detail);
}

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/** A compact JWS with any header and claims, signed by `key` (or with the given signature). */
function compact(header: unknown, claims: unknown, key: KeyObject | null = current.privateKey): string {
  const input = `${b64(header)}.${b64(claims)}`;
  const signature = key === null ? '' : sign(null, Buffer.from(input), key).toString('base64url');
  return `${input}.${signature}`;
}

const claims = (extra: Record<string, unknown> = {}) => ({
  iss: 'portal', aud: GW, iat: NOW / 1000, exp: NOW / 1000 + 300, jti: 'm-1', typ: 'delta', msg: BODY, ...extra,
});
const HEADER = { alg: 'EdDSA', kid: current.kid };

t.test('a message signed with a configured key verifies, with its header and claims', async (t) => {
  const token = signed({ jti: 'msg-1', withSubject: true });
  const [header] = token.split('.');
  t.same(JSON.parse(Buffer.from(header!, 'base64url').toString()), { alg: 'EdDSA', kid: 'cloud-2026-11', typ: 'JWT' }, 'the exact header');
  const r = check(token);
  if (!r.ok) return t.fail(r.detail);
  t.same(r.header, { alg: 'EdDSA', kid: 'cloud-2026-11', typ: 'JWT' });
  t.match(r.payload, { iss: 'portal', aud: GW, sub: GW, iat: NOW / 1000, exp: NOW / 1000 + 300, jti: 'msg-1', typ: 'delta', msg: BODY });
  t.ok(check(Buffer.from(token)).ok, 'bytes as they come from MQTT');
  t.ok(check(compact(HEADER, claims())).ok, 'no typ header is fine too');
});

t.test('rotation: both configured keys verify; a key no longer configured is an unknown key', async (t) => {
  t.ok(check(signed()).ok);
  t.ok(check(signed({ kid: next.kid, privateKey: next.privateKey })).ok);
  const afterRotation = loadCloudKeys([next.publicJwk]);
  rejected(t, check(signed(), { keys: afterRotation }), 'unknown_key', /cloud-2026-11/);
  t.same(keys.kids(), ['cloud-2026-11', 'cloud-2027-05']);
});

t.test('a forged message is rejected: changed payload, wrong key, unknown kid, no kid', async (t) => {
  const [h, , s] = signed().split('.');
  const forgedPayload = b64(claims({ msg: { ...BODY, toVersion: 99 } }));
  rejected(t, check(`${h}.${forgedPayload}.${s}`), 'bad_signature');
  rejected(t, check(signed({ privateKey: stranger.privateKey })), 'bad_signature', /does not verify with key "cloud-2026-11"/);
  rejected(t, check(signed({ kid: 'cloud-1999' })), 'unknown_key', /cloud-1999/);
  rejected(t, check(compact({ alg: 'EdDSA' }, claims())), 'unknown_key', /no kid/);
  rejected(t, check(compact({ alg: 'EdDSA', kid: '' }, claims())), 'unknown_key');
  const [hh, pp] = signed().split('.');
  rejected(t, check(`${hh}.${pp}.${b64('short')}`), 'bad_signature', /64 bytes/);
});

t.test('unsigned messages are rejected: alg none, no alg, empty signature', async (t) => {
  rejected(t, check(compact({ alg: 'none', kid: current.kid }, claims(), null)), 'unsigned', /none/);
  rejected(t, check(compact({ alg: 'NONE' }, claims(), null)), 'unsigned');
  rejected(t, check(compact({ kid: current.kid }, claims())), 'unsigned', /no alg/);
  rejected(t, check(compact(HEADER, claims(), null)), 'unsigned', /empty/);
});

t.test('the algorithm is pinned: HS256 keyed with the public key (the classic confusion attack) and others are refused', async (t) => {
  const input = `${b64({ alg: 'HS256', kid: current.kid })}.${b64(claims())}`;
  for (const secret of [current.publicPem, Buffer.from(current.publicJwk.x, 'base64url')]) {
    const mac = createHmac('sha256', secret).update(input).digest('base64url');
    rejected(t, check(`${input}.${mac}`), 'algorithm', /HS256/);
  }
  for (const alg of ['RS256', 'ES256', 'eddsa', 'Ed25519', 'PS256']) rejected(t, check(compact({ alg, kid: current.kid }, claims())), 'algorithm');
  rejected(t, check(compact({ alg: 7, kid: current.kid }, claims())), 'algorithm', /only EdDSA/);
});

t.test('header parameters beyond alg, kid and typ are refused: crit, embedded keys, other typ', async (t) => {
  rejected(t, check(compact({ ...HEADER, crit: ['exp'] , exp: 1 }, claims())), 'malformed', /crit/);
  rejected(t, check(compact({ ...HEADER, jwk: current.publicJwk }, claims())), 'malformed', /jwk/);
  rejected(t, check(compact({ ...HEADER, jku: 'https://evil.example/keys' }, claims())), 'malformed', /jku/);
  rejected(t, check(compact({ ...HEADER, typ: 'at+jwt' }, claims())), 'malformed', /typ/);
  t.ok(check(compact({ ...HEADER, typ: 'jwt' }, claims())).ok, 'typ is case-insensitive');
});

t.test('a message for another gateway, from another issuer, or of another type is rejected', async (t) => {
  rejected(t, check(signed({ audience: 'gw-18' })), 'wrong_audience', /gw-18/);
  rejected(t, check(compact(HEADER, claims({ sub: 'gw-18' }))), 'wrong_audience', /sub/);
  rejected(t, check(signed({ issuer: 'someone' }), { issuer: 'portal' }), 'wrong_issuer', /someone/);
  t.ok(check(signed(), { issuer: 'portal' }).ok);
  rejected(t, check(signed({ type: 'command' })), 'wrong_type', /"command" arrived on the delta topic/);
});

t.test('expiry and not-before are checked with a configurable clock skew', async (t) => {
  const token = signed({ ttlMs: 60_000 });
  t.ok(check(token, { now: NOW + 60_000 + DEFAULT_MAX_SKEW_MS - 1 }).ok, 'inside the default skew');
  rejected(t, check(token, { now: NOW + 60_000 + DEFAULT_MAX_SKEW_MS }), 'expired', /expired at 2026-11-20T10:01:00.000Z/);
  rejected(t, check(token, { now: NOW + 60_001, maxSkewMs: 0 }), 'expired');
  t.ok(check(token, { now: NOW + 60_001, maxSkewMs: 5_000 }).ok);
  rejected(t, check(signed({ now: NOW + 120_000 })), 'not_yet_valid', /not valid before/);
  t.ok(check(signed({ now: NOW + 30_000 })).ok, 'issued slightly in our future: skew');
  rejected(t, check(signed({ notBefore: NOW + 600_000, ttlMs: 3_600_000 })), 'not_yet_valid');
  t.ok(check(signed({ notBefore: NOW + 600_000, ttlMs: 3_600_000 }), { now: NOW + 600_000 }).ok);
  rejected(t, check(compact(HEADER, claims({ exp: NOW / 1000 }))), 'malformed', /exp must be after iat/);
});

t.test('oversized input is refused before it is parsed', async (t) => {
  const huge = `${'x'.repeat(2048)}`;
  rejected(t, check(huge, { maxBytes: 1024 }), 'too_large', /2048 bytes is over the limit of 1024/);
  rejected(t, check(Buffer.alloc(2048, 0xff), { maxBytes: 1024 }), 'too_large');
  const token = signed({}, { ...BODY, padding: 'p'.repeat(4096) });
  rejected(t, check(token, { maxBytes: 4096 }), 'too_large');
  t.ok(check(token).ok, 'the default limit is 16 MiB');
});

t.test('malformed input is rejected as malformed and never throws', async (t) => {
  const good = signed();
  const [h, p, s] = good.split('.') as [string, string, string];
  const cases: Array<[string, string | Uint8Array, RegExp]> = [
    ['empty', '', /3 parts/],
    ['two parts', `${h}.${p}`, /3 parts/],
    ['four parts', `${good}.x`, /3 parts/],
    ['header not base64url', `${h}!.${p}.${s}`, /header is not base64url/],
    ['padded base64', `${h}==.${p}.${s}`, /header is not base64url/],
    ['impossible base64 length', `A.${p}.${s}`, /header is not base64url/],
    ['empty header', `.${p}.${s}`, /header is not base64url/],
    ['header not JSON', `${b64('{alg')}.${p}.${s}`, /not a JSON object/],
    ['header a JSON array', `${b64([1])}.${p}.${s}`, /not a JSON object/],
    ['header null', `${b64('null')}.${p}.${s}`, /not a JSON object/],
    ['header invalid UTF-8', `${Buffer.from([0x7b, 0xff, 0x7d]).toString('base64url')}.${p}.${s}`, /not a JSON object/],
    ['header too long', `${b64({ ...HEADER, pad: 'x'.repeat(2000) })}.${p}.${s}`, /over 1024 characters/],
    ['payload not base64url', `${h}.${p}*.${s}`, /payload is not base64url/],
    ['signature not base64url', `${h}.${p}.${s}+`, /signature is not base64url/],
    ['binary garbage', Buffer.from([0xde, 0xad, 0x2e, 0xbe, 0x2e, 0xef]), /header is not base64url/],
  ];
  for (const [name, token, detail] of cases) {
    const r = check(token);
    t.equal(r.ok ? 'ok' : r.reason, 'malformed', name);
    if (!r.ok) t.match(r.detail, detail, name);
  }
  // Signed by the cloud, but not a valid claims set: still malformed.
  const signedBadly: Array<[string, unknown, RegExp]> = [
    ['payload not JSON', '{"iss":', /payload is not a JSON object/],
    ['payload a string', 'hello', /payload is not a JSON object/],
    ['claims missing aud', { ...claims(), aud: undefined }, /claims: aud/],
    ['iat a string', claims({ iat: '2026-11-20' }), /claims: iat/],
    ['no msg', { ...claims(), msg: undefined }, /claims: msg/],
  ];
  for (const [name, payload, detail] of signedBadly) {
    const input = `${b64(HEADER)}.${typeof payload === 'string' ? b64(payload) : b64(payload)}`;
    const token = `${input}.${sign(null, Buffer.from(input), current.privateKey).toString('base64url')}`;
    rejected(t, check(token), 'malformed', detail);
    t.comment(name);
  }
});

t.test('non-canonical base64url (unused bits set) is refused: one encoding per signature', async (t) => {
  const good = signed();
  const [h, p, s] = good.split('.') as [string, string, string];
  // 64 bytes → 86 characters: the last carries 2 unused bits.
  const last = s.at(-1)!;
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const twin = alphabet[alphabet.indexOf(last) + 1]!;
  t.same(Buffer.from(`${s.slice(0, -1)}${twin}`, 'base64url'), Buffer.from(s, 'base64url'), 'Node would decode both to the same bytes');
  rejected(t, check(`${h}.${p}.${s.slice(0, -1)}${twin}`), 'malformed', /signature is not base64url/);
});

t.test('a configured key that is not an Ed25519 public key never verifies anything', async (t) => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const map = new Map([[current.kid, rsa.publicKey]]);
  rejected(t, check(signed(), { keys: map }), 'unknown_key', /not an Ed25519 public key/);
  rejected(t, check(signed(), { keys: new Map([[current.kid, current.privateKey]]) }), 'unknown_key');
});

t.test('signEnvelope refuses a key that is not an Ed25519 private key', async (t) => {
  t.throws(() => signed({ privateKey: current.publicKey }), /Ed25519 private key/);
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  t.throws(() => signed({ privateKey: ec.privateKey }), /Ed25519 private key/);
});

const REASONS = new Set(['malformed', 'unsigned', 'algorithm', 'unknown_key', 'bad_signature', 'wrong_audience', 'wrong_issuer', 'expired', 'not_yet_valid', 'wrong_type', 'too_large']);

t.test('property: random byte mutations of a valid token are never accepted', async (t) => {
  const token = Buffer.from(signed({ jti: 'prop-1' }));
  fc.assert(
    fc.property(
      fc.array(fc.record({ at: fc.nat({ max: token.length - 1 }), byte: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 4 }),
      (mutations) => {
        const mutated = Buffer.from(token);
        for (const m of mutations) mutated[m.at] = m.byte;
        const r = check(mutated);
        if (mutated.equals(token)) return r.ok;
        return !r.ok && REASONS.has(r.reason);
      },
    ),
    { numRuns: 3000, seed: 20261120 },
  );
  t.pass('3000 mutated tokens: none accepted');
});

t.test('property: arbitrary input never throws and always names a reason', async (t) => {
  const segment = fc.string({ unit: fc.constantFrom(...'ABCDEFabcdef0123456789-_=+/.!'), maxLength: 40 });
  const jsonSegment = fc.jsonValue().map((v) => b64(JSON.stringify(v) ?? 'null'));
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.string(), fc.tuple(fc.oneof(segment, jsonSegment), fc.oneof(segment, jsonSegment), segment).map((p) => p.join('.'))), (input) => {
      const r = check(input);
      return !r.ok && REASONS.has(r.reason) && typeof r.detail === 'string';
    }),
    { numRuns: 2000, seed: 7 },
  );
  t.pass('2000 random inputs: all rejected with a reason');
});

// ── keys ────────────────────────────────────────────────────────────────────────────────────

function configError(t: Test, fn: () => unknown, message: RegExp, details: Record<string, unknown> = {}): void {
  try {
    fn();
    t.fail('expected CONFIG_INVALID');
  } catch (err) {
    t.ok(isGatewayError(err, 'CONFIG_INVALID'), String(err));
    t.match((err as Error).message, message);
    t.match((err as { details: unknown }).details, details);
  }
}

t.test('cloud keys load from PEM and from JWK x, and verify the same signatures', async (t) => {
  const kp = generateSigningKeyPair('k1');
  const fromPem = loadCloudKeys([{ kid: 'k1', pem: kp.publicPem }]);
  const fromJwk = loadCloudKeys([{ ...kp.publicJwk, alg: 'EdDSA', use: 'sig' }]);
  const token = signed({ kid: 'k1', privateKey: kp.privateKey });
  t.ok(check(token, { keys: fromPem }).ok);
  t.ok(check(token, { keys: fromJwk }).ok);
  t.same(publicJwk('k1', fromPem.get('k1')!), kp.publicJwk);
  t.match(kp.privatePem, /BEGIN PRIVATE KEY/);
  t.match(kp.publicPem, /BEGIN PUBLIC KEY/);
});

t.test('a bad key configuration says which key and why', async (t) => {
  const kp = generateSigningKeyPair('k1');
  configError(t, () => loadCloudKeys([]), /no cloud public key/, { field: 'cloud.keys' });
  configError(t, () => loadCloudKeys([{ kid: 'k1', pem: kp.privatePem }]), /"k1" is a private key/, { id: 'k1', field: 'cloud.keys[0].pem' });
  configError(t, () => loadCloudKeys([{ ...kp.publicJwk, d: 'secret' }]), /"k1" contains a private key \(d\)/, { field: 'cloud.keys[0].d' });
  const rsaPem = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'pem', type: 'spki' }).toString();
  configError(t, () => loadCloudKeys([kp.publicJwk, { kid: 'old', pem: rsaPem }]), /"old" is a rsa key; the cloud signs with Ed25519/, { field: 'cloud.keys[1].pem' });
  configError(t, () => loadCloudKeys([{ kid: 'k2', pem: 'not a pem' }]), /"k2": pem is not a PEM public key/, { id: 'k2' });
  configError(t, () => loadCloudKeys([{ ...kp.publicJwk, x: kp.publicJwk.x.slice(1) }]), /x must be the 32-byte Ed25519 public key .* got 42 characters/, { field: 'cloud.keys[0].x' });
  const nonCanonical = `${kp.publicJwk.x.slice(0, -1)}${'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.indexOf(kp.publicJwk.x.at(-1)!) + 1]}`;
  configError(t, () => loadCloudKeys([{ ...kp.publicJwk, x: nonCanonical }]), /x must be the 32-byte/, { id: 'k1' });
  configError(t, () => loadCloudKeys([kp.publicJwk, kp.publicJwk]), /"k1" is listed twice/, { id: 'k1' });
  configError(t, () => loadCloudKeys([{ kid: 'k3', kty: 'EC', crv: 'P-256', x: 'abc' }]), /cloud key "k3"/, { hint: /kid, pem/ });
  configError(t, () => loadCloudKeys([{ pem: kp.publicPem }]), /cloud key #0 has no kid/, { field: 'cloud.keys[0].kid' });
  configError(t, () => loadCloudKeys(['k1']), /cloud key #0 has no kid/, { field: 'cloud.keys[0].kid' });
  configError(t, () => loadCloudKeys([{ kid: 'k4', kty: 'OKP', crv: 'Ed448', x: kp.publicJwk.x }]), /cloud key "k4": crv: /, { field: 'cloud.keys[0].crv' });
  configError(t, () => loadCloudKeys([{ kid: 'k1', pem: kp.publicPem, extra: 1 }], 'keys'), /cloud key "k1"/, { field: /^keys\[0\]/ });
  configError(t, () => new CloudKeySet([{ kid: 'k1', publicKey: kp.privateKey }]), /not an Ed25519 public key/);
});
