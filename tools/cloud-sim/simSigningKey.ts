/**
 * The simulator's signing key: an Ed25519 private key in `<state dir>/signing-key.json`
 * ({kid, privateKeyPem, createdAt}, mode 0600, the directory 0700). The gateway is configured
 * with the public half (`cloud.keys`); the private key never leaves the state directory.
 */
import { createPrivateKey, createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { IdSchema } from '../../src/access/model.js';
import { GatewayError } from '../../src/kernel/gatewayError.js';
import { generateSigningKeyPair, publicJwk, type PublicJwk } from '../../src/wire/keys.js';

export const SIGNING_KEY_FILE = 'signing-key.json';

export interface SimSigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** SPKI PEM, for the gateway's cloud.keys */
  publicPem: string;
  publicJwk: PublicJwk;
  createdAt: string;
}

const KeyFileSchema = z.strictObject({ kid: IdSchema, privateKeyPem: z.string().min(1), createdAt: z.string() });

/** Creates the state directory (0700) if needed. */
export async function ensureStateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
}

function keyFrom(kid: string, privateKey: KeyObject, createdAt: string): SimSigningKey {
  const publicKey = createPublicKey(privateKey);
  return { kid, privateKey, publicKey, publicPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(), publicJwk: publicJwk(kid, publicKey), createdAt };
}

/** A default kid: `sim-<yyyymmdd>-<4 hex>`. */
export function defaultKid(now: number): string {
  return `sim-${new Date(now).toISOString().slice(0, 10).replace(/-/g, '')}-${randomBytes(2).toString('hex')}`;
}

/**
 * Generates a key and writes it. Refuses (INPUT_INVALID) to replace an existing key unless
 * `force`: gateways configured with the old public key would reject everything signed afterwards.
 */
export async function createSigningKey(dir: string, options: { kid: string; now: number; force?: boolean }): Promise<SimSigningKey> {
  const kid = IdSchema.safeParse(options.kid);
  if (!kid.success) throw new GatewayError('INPUT_INVALID', `--kid "${options.kid}" ${kid.error.issues[0]!.message}`, { field: 'kid' });
  await ensureStateDir(dir);
  const path = join(dir, SIGNING_KEY_FILE);
  const pair = generateSigningKeyPair(kid.data);
  const createdAt = new Date(options.now).toISOString();
  const body = `${JSON.stringify({ kid: pair.kid, privateKeyPem: pair.privatePem, createdAt }, null, 2)}\n`;
  try {
    await writeFile(path, body, { mode: 0o600, flag: options.force ? 'w' : 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new GatewayError('INPUT_INVALID', `${path} already holds a signing key`, {
        field: 'state', hint: 'gateways trust its public key: keep it, or pass --force to replace it and then configure the new key on every gateway',
      });
    }
    throw new GatewayError('CONFIG_INVALID', `cannot write ${path}: ${(err as Error).message}`, { field: 'state' }, { cause: err });
  }
  await chmod(path, 0o600);
  return keyFrom(pair.kid, pair.privateKey, createdAt);
}

/** Reads the key. NOT_FOUND without a key file; CONFIG_INVALID for a file that is not a key. */
export async function loadSigningKey(dir: string): Promise<SimSigningKey> {
  const path = join(dir, SIGNING_KEY_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new GatewayError('NOT_FOUND', `no signing key in ${dir} (${SIGNING_KEY_FILE})`, { field: 'state', hint: `create one with: lockgw cloud-sim keygen --state ${dir}` });
    }
    throw new GatewayError('CONFIG_INVALID', `cannot read ${path}: ${(err as Error).message}`, { field: 'state' }, { cause: err });
  }
  let parsed: z.output<typeof KeyFileSchema>;
  try {
    parsed = KeyFileSchema.parse(JSON.parse(text));
  } catch (err) {
    throw new GatewayError('CONFIG_INVALID', `${path} is not a signing key file: ${(err as Error).message.split('\n')[0]}`, { field: 'state' }, { cause: err });
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(parsed.privateKeyPem);
  } catch (err) {
    throw new GatewayError('CONFIG_INVALID', `${path}: privateKeyPem is not a PEM private key (${(err as Error).message})`, { field: 'privateKeyPem' }, { cause: err });
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new GatewayError('CONFIG_INVALID', `${path}: the key is ${privateKey.asymmetricKeyType ?? 'unknown'}, not Ed25519`, { field: 'privateKeyPem' });
  }
  return keyFrom(parsed.kid, privateKey, parsed.createdAt);
}
