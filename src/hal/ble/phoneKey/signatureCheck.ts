/**
 * Phone-key signatures, verified with node:crypto only. A phone's public key is stored (the
 * credential's `publicKey`) as base64 of its DER SubjectPublicKeyInfo; its type decides the
 * algorithm: a P-256 key verifies ES256 (ECDSA over SHA-256, the signature raw r ‖ s, 64
 * bytes), an Ed25519 key verifies Ed25519 (64 bytes). Any other key is `key_invalid`.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { PhoneKeyAlgorithm } from './protocol.js';

export interface PhoneKeyPublicKey {
  algorithm: PhoneKeyAlgorithm;
  key: KeyObject;
}

export type ParseKeyOutcome = { ok: true; key: PhoneKeyPublicKey } | { ok: false; reason: 'key_invalid'; detail: string };

const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** Parses base64 (standard or URL-safe, padded or not) SPKI DER of a P-256 or Ed25519 key. */
export function parsePublicKey(spkiB64: string): ParseKeyOutcome {
  if (!BASE64.test(spkiB64)) return { ok: false, reason: 'key_invalid', detail: 'not base64' };
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(spkiB64, 'base64'), format: 'der', type: 'spki' });
  } catch {
    return { ok: false, reason: 'key_invalid', detail: 'not a DER SubjectPublicKeyInfo' };
  }
  if (key.asymmetricKeyType === 'ed25519') return { ok: true, key: { algorithm: 'Ed25519', key } };
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return { ok: true, key: { algorithm: 'ES256', key } };
  const curve = key.asymmetricKeyDetails?.namedCurve;
  return { ok: false, reason: 'key_invalid', detail: `a ${key.asymmetricKeyType ?? 'unknown'}${curve ? ` ${curve}` : ''} key is neither P-256 nor Ed25519` };
}

/** Whether `signature` is `key`'s signature over `message`. Never throws. */
export function verifySignature(key: PhoneKeyPublicKey, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  try {
    if (key.algorithm === 'Ed25519') return verify(null, message, key.key, signature);
    return verify('sha256', message, { key: key.key, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
}
