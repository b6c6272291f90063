/**
 * The cloud's public keys, as configured at install time, and key pairs for the simulator and
 * tests. A gateway holds one or more verifying keys, each with a `kid`; during a rotation the
 * old and the new key are both configured until the cloud has stopped signing with the old one.
 *
 * A configured key is either
 *   { kid: "cloud-2026-01", pem: "-----BEGIN PUBLIC KEY-----\n..." }          (SPKI PEM), or
 *   { kid: "cloud-2026-01", kty: "OKP", crv: "Ed25519", x: "<base64url of 32 bytes>" }   (JWK)
 * Private keys are refused: the gateway never needs the cloud's signing key.
 */
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { IdSchema } from '../access/model.js';
import { GatewayError } from '../kernel/gatewayError.js';
import type { VerifyingKeys } from './signedEnvelope.js';

const PemKeySchema = z.strictObject({ kid: IdSchema, pem: z.string().min(1) });
const JwkKeySchema = z.strictObject({
  kid: IdSchema,
  kty: z.literal('OKP'),
  crv: z.literal('Ed25519'),
  x: z.string(),
  /** tolerated so a JWKS entry can be pasted as it is */
  alg: z.literal('EdDSA').optional(),
  use: z.literal('sig').optional(),
});

/** One configured cloud key (the shape for the config file's schema). */
export const CloudKeyConfigSchema = z.union([PemKeySchema, JwkKeySchema]);

export interface PublicJwk {
  kid: string;
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
}

/** An immutable set of Ed25519 public keys by kid. */
export class CloudKeySet implements VerifyingKeys {
  private readonly byKid: ReadonlyMap<string, KeyObject>;

  /** Throws GatewayError('CONFIG_INVALID') for a duplicate kid or a key that is not an Ed25519 public key. */
  constructor(keys: ReadonlyArray<{ kid: string; publicKey: KeyObject }>) {
    const byKid = new Map<string, KeyObject>();
    for (const { kid, publicKey } of keys) {
      if (byKid.has(kid)) throw new GatewayError('CONFIG_INVALID', `cloud key "${kid}" is listed twice`, { id: kid, field: 'kid' });
      if (publicKey.type !== 'public' || publicKey.asymmetricKeyType !== 'ed25519') {
        throw new GatewayError('CONFIG_INVALID', `cloud key "${kid}" is not an Ed25519 public key`, { id: kid });
      }
      byKid.set(kid, publicKey);
    }
    this.byKid = byKid;
  }

  get(kid: string): KeyObject | undefined {
    return this.byKid.get(kid);
  }

  kids(): string[] {
    return [...this.byKid.keys()];
  }
}

const X_PATTERN = /^[A-Za-z0-9_-]{43}$/;

function keyFromJwk(kid: string, x: string, field: string): KeyObject {
  if (!X_PATTERN.test(x) || Buffer.from(x, 'base64url').length !== 32 || Buffer.from(x, 'base64url').toString('base64url') !== x) {
    throw new GatewayError('CONFIG_INVALID', `cloud key "${kid}": x must be the 32-byte Ed25519 public key in base64url without padding (43 characters), got ${x.length} characters`, {
      id: kid,
      field: `${field}.x`,
    });
  }
  try {
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
  } catch (err) {
    throw new GatewayError('CONFIG_INVALID', `cloud key "${kid}": x is not an Ed25519 public key (${(err as Error).message})`, { id: kid, field: `${field}.x` }, { cause: err });
  }
}

function keyFromPem(kid: string, pem: string, field: string): KeyObject {
  if (/PRIVATE KEY/.test(pem)) {
    throw new GatewayError('CONFIG_INVALID', `cloud key "${kid}" is a private key: configure only the cloud's public key and keep the private key in the cloud`, {
      id: kid,
      field: `${field}.pem`,
    });
  }
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (err) {
    throw new GatewayError('CONFIG_INVALID', `cloud key "${kid}": pem is not a PEM public key (${(err as Error).message})`, { id: kid, field: `${field}.pem`, hint: 'expected -----BEGIN PUBLIC KEY-----' }, { cause: err });
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new GatewayError('CONFIG_INVALID', `cloud key "${kid}" is a ${key.asymmetricKeyType ?? 'unknown'} key; the cloud signs with Ed25519 (EdDSA)`, { id: kid, field: `${field}.pem` });
  }
  return key;
}

/**
 * Builds the key set from configured entries. Throws GatewayError('CONFIG_INVALID') naming the
 * key (kid or position) and why: missing or duplicate kid, private key, wrong key type, bad
 * encoding, unknown fields. An empty list is refused: nothing could ever be verified.
 */
export function loadCloudKeys(entries: readonly unknown[], field = 'cloud.keys'): CloudKeySet {
  if (entries.length === 0) {
    throw new GatewayError('CONFIG_INVALID', 'no cloud public key is configured: the gateway could not verify any cloud message', { field, hint: 'add the key the cloud signs with (kid + pem or JWK x)' });
  }
  const keys = entries.map((raw, i) => {
    const at = `${field}[${i}]`;
    const record = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
    const name = typeof record.kid === 'string' ? `"${record.kid}"` : `#${i}`;
    if (Object.hasOwn(record, 'd')) {
      throw new GatewayError('CONFIG_INVALID', `cloud key ${name} contains a private key (d): configure only the public part (kty, crv, x)`, { field: `${at}.d` });
    }
    if (typeof record.kid !== 'string') {
      throw new GatewayError('CONFIG_INVALID', `cloud key #${i} has no kid: every key needs the id the cloud puts in the JWS header`, { field: `${at}.kid` });
    }
    // The shape is chosen by its fields, so the error names the field that is wrong.
    const parsed = (Object.hasOwn(record, 'pem') ? PemKeySchema : JwkKeySchema).safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
      throw new GatewayError('CONFIG_INVALID', `cloud key ${name}: ${where}${issue.message}`, {
        field: issue.path.length > 0 ? `${at}.${issue.path.join('.')}` : at,
        hint: 'a key is {kid, pem} (SPKI PEM) or {kid, kty: "OKP", crv: "Ed25519", x}',
      });
    }
    const entry = parsed.data;
    const publicKey = 'pem' in entry ? keyFromPem(entry.kid, entry.pem, at) : keyFromJwk(entry.kid, entry.x, at);
    return { kid: entry.kid, publicKey };
  });
  return new CloudKeySet(keys);
}

/** The JWK form of an Ed25519 public key, for config files and docs. */
export function publicJwk(kid: string, publicKey: KeyObject): PublicJwk {
  const jwk = publicKey.export({ format: 'jwk' });
  return { kid, kty: 'OKP', crv: 'Ed25519', x: String(jwk.x) };
}

export interface SigningKeyPair {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** for the gateway's config */
  publicJwk: PublicJwk;
  publicPem: string;
  /** PKCS#8 PEM, for the simulator's key file */
  privatePem: string;
}

/** A fresh Ed25519 key pair (the cloud simulator's signing key; tests). */
export function generateSigningKeyPair(kid: string): SigningKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    kid,
    privateKey,
    publicKey,
    publicJwk: publicJwk(kid, publicKey),
    publicPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  };
}
