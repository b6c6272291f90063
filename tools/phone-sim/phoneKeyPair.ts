/**
 * A phone's key pair, as the phone simulator keeps it: P-256 (ES256) or Ed25519 from
 * node:crypto, the public key exported as base64 SPKI DER (what the cloud's credential record
 * carries as `publicKey`). The key file is JSON, written with mode 0600 and never over an
 * existing file unless asked.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { GatewayError } from '../../src/kernel/gatewayError.js';
import type { PhoneKeyAlgorithm } from '../../src/hal/ble/phoneKey/protocol.js';

export const KEY_FILE_FORMAT = 'lockgw-phone-key/1';

export interface PhoneKeyFile {
  format: typeof KEY_FILE_FORMAT;
  algorithm: PhoneKeyAlgorithm;
  /** base64 DER SubjectPublicKeyInfo */
  publicKey: string;
  /** base64 DER PKCS#8 */
  privateKey: string;
  /** the credential's mobileKeyId, when known */
  credentialId?: string;
}

export class PhoneKeyPair {
  readonly algorithm: PhoneKeyAlgorithm;
  /** base64 DER SubjectPublicKeyInfo */
  readonly publicKeySpkiB64: string;
  readonly #privateKey: KeyObject;

  private constructor(privateKey: KeyObject) {
    const type = privateKey.asymmetricKeyType;
    if (type === 'ed25519') this.algorithm = 'Ed25519';
    else if (type === 'ec' && privateKey.asymmetricKeyDetails?.namedCurve === 'prime256v1') this.algorithm = 'ES256';
    else throw new GatewayError('INPUT_INVALID', 'a phone key is P-256 or Ed25519', { field: 'privateKey' });
    this.#privateKey = privateKey;
    this.publicKeySpkiB64 = createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).toString('base64');
  }

  static generate(algorithm: PhoneKeyAlgorithm): PhoneKeyPair {
    const { privateKey } = algorithm === 'Ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return new PhoneKeyPair(privateKey);
  }

  /** From base64 (or raw) PKCS#8 DER. Throws GatewayError('INPUT_INVALID') for anything else. */
  static fromPkcs8(der: string | Uint8Array): PhoneKeyPair {
    try {
      return new PhoneKeyPair(createPrivateKey({ key: typeof der === 'string' ? Buffer.from(der, 'base64') : Buffer.from(der), format: 'der', type: 'pkcs8' }));
    } catch (err) {
      if (err instanceof GatewayError) throw err;
      throw new GatewayError('INPUT_INVALID', 'not a PKCS#8 private key', { field: 'privateKey' }, { cause: err });
    }
  }

  /** ES256: raw r ‖ s (64 bytes) over SHA-256; Ed25519: the 64-byte signature. */
  sign(message: Uint8Array): Uint8Array {
    if (this.algorithm === 'Ed25519') return Uint8Array.from(sign(null, message, this.#privateKey));
    return Uint8Array.from(sign('sha256', message, { key: this.#privateKey, dsaEncoding: 'ieee-p1363' }));
  }

  toFile(credentialId?: string): PhoneKeyFile {
    const privateKey = this.#privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64');
    return { format: KEY_FILE_FORMAT, algorithm: this.algorithm, publicKey: this.publicKeySpkiB64, privateKey, ...(credentialId ? { credentialId } : {}) };
  }
}

/**
 * Writes `pair` to `path` with mode 0600. Refuses (GatewayError 'INPUT_INVALID') to replace an
 * existing file unless `overwrite`.
 */
export async function saveKeyFile(path: string, pair: PhoneKeyPair, options: { overwrite?: boolean; credentialId?: string } = {}): Promise<void> {
  const text = `${JSON.stringify(pair.toFile(options.credentialId), null, 2)}\n`;
  try {
    await writeFile(path, text, { mode: 0o600, flag: options.overwrite ? 'w' : 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new GatewayError('INPUT_INVALID', `${path} exists; not replacing a key without being asked`, { field: 'path', hint: 'pass overwrite to replace it' }, { cause: err });
    }
    throw err;
  }
  // an overwritten file keeps its old mode otherwise
  await chmod(path, 0o600);
}

/** Reads a key file. Throws GatewayError('INPUT_INVALID') for a file others can read or that is not a key file. */
export async function loadKeyFile(path: string): Promise<{ pair: PhoneKeyPair; credentialId?: string | undefined }> {
  const info = await stat(path);
  if ((info.mode & 0o077) !== 0) {
    throw new GatewayError('INPUT_INVALID', `${path} is readable by others`, { field: 'path', hint: `chmod 600 ${path}` });
  }
  let file: Partial<PhoneKeyFile>;
  try {
    file = JSON.parse(await readFile(path, 'utf8')) as Partial<PhoneKeyFile>;
  } catch (err) {
    throw new GatewayError('INPUT_INVALID', `${path} is not JSON`, { field: 'path' }, { cause: err });
  }
  if (file.format !== KEY_FILE_FORMAT || typeof file.privateKey !== 'string') {
    throw new GatewayError('INPUT_INVALID', `${path} is not a ${KEY_FILE_FORMAT} key file`, { field: 'format' });
  }
  return { pair: PhoneKeyPair.fromPkcs8(file.privateKey), credentialId: typeof file.credentialId === 'string' ? file.credentialId : undefined };
}
