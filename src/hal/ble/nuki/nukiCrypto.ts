/**
 * The Nuki API's crypto functions, named as the API names them:
 *  - dh1: X25519 (Curve25519 scalar multiplication) of our secret key and the peer's public key;
 *  - kdf1: HSalsa20 of the DH result with a zero 16-byte input and the "expand 32-byte k"
 *    constant, i.e. libsodium's crypto_box_beforenm: the long-term shared key;
 *  - h1: HMAC-SHA256 keyed with the shared key (the authenticators of the pairing exchange);
 *  - e1: XSalsa20-Poly1305 (crypto_secretbox: 16-byte tag first, then the ciphertext) with a
 *    24-byte random nonce that is never reused with the same key.
 * Randomness is a constructor-style argument (`RandomBytes`) so tests can be deterministic.
 */
import { createHmac, randomBytes as nodeRandomBytes } from 'node:crypto';
import { x25519 } from '@noble/curves/ed25519.js';
import { hsalsa, xsalsa20poly1305 } from '@noble/ciphers/salsa.js';

export type RandomBytes = (length: number) => Uint8Array;

export const systemRandom: RandomBytes = (length) => new Uint8Array(nodeRandomBytes(length));

export interface NukiKeyPair {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

export function nukiKeyPair(random: RandomBytes = systemRandom): NukiKeyPair {
  const secretKey = random(32);
  return { secretKey, publicKey: x25519.getPublicKey(secretKey) };
}

const SIGMA = new Uint32Array(Uint8Array.from(Buffer.from('expand 32-byte k', 'latin1')).buffer);

function words(bytes: Uint8Array): Uint32Array {
  const copy = Uint8Array.from(bytes);
  return new Uint32Array(copy.buffer);
}

/** dh1 then kdf1: the 32-byte long-term key both sides derive (crypto_box_beforenm). */
export function nukiSharedKey(ourSecretKey: Uint8Array, peerPublicKey: Uint8Array): Uint8Array {
  const dh = x25519.getSharedSecret(ourSecretKey, peerPublicKey);
  const out = new Uint32Array(8);
  hsalsa(SIGMA, words(dh), new Uint32Array(4), out);
  return new Uint8Array(out.buffer);
}

/** h1: HMAC-SHA256 of the concatenated parts under the shared key. */
export function nukiAuthenticator(sharedKey: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const mac = createHmac('sha256', sharedKey);
  for (const part of parts) mac.update(part);
  return new Uint8Array(mac.digest());
}

/** Compares two authenticators in time independent of where they differ. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** e1: tag ‖ ciphertext of `plain` under `key` and the 24-byte `nonce`. */
export function nukiSeal(key: Uint8Array, nonce: Uint8Array, plain: Uint8Array): Uint8Array {
  return xsalsa20poly1305(key, nonce).encrypt(plain);
}

/** The inverse of nukiSeal; undefined when the tag does not verify (wrong key, tampered bytes). */
export function nukiOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array): Uint8Array | undefined {
  if (sealed.length < 16) return undefined;
  try {
    return xsalsa20poly1305(key, nonce).decrypt(sealed);
  } catch {
    return undefined;
  }
}
