/**
 * The device secret keys the PIN digests. It is kept outside the database (a copied database
 * reveals no PIN) in a file readable only by the gateway's user. The site's offline-code secret
 * (docs/offline-doorcodes.md) is kept the same way, but is never created here: the cloud issues it.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { GatewayError } from '../kernel/gatewayError.js';

export interface DeviceSecret {
  secret: Buffer;
  created: boolean;
  /** set when the file is readable by group or others */
  warning?: string;
}

/** Which secret a file holds: the config field that names it, and what to do when it is lost. */
export interface SecretFileRole {
  field: string;
  what: string;
  hint: string;
}

const DEVICE_SECRET: SecretFileRole = {
  field: 'secrets.deviceSecretFile',
  what: 'the device secret',
  hint: 'restore the file from a backup (lockgw restore): without it no stored PIN can be checked',
};

export function loadDeviceSecret(path: string, createIfMissing: boolean, role: SecretFileRole = DEVICE_SECRET): DeviceSecret {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' || !createIfMissing) {
      const denied = code === 'EACCES' || code === 'EPERM';
      throw new GatewayError('SECRET_UNAVAILABLE', `cannot read ${role.what} ${path}: ${(err as Error).message}`, {
        field: role.field,
        hint: denied
          ? `a permission problem, not a lost file: run as root or as the gateway's user (uid ${process.getuid?.() ?? '?'} cannot read it); lockgw doctor says who owns it`
          : role.hint,
      }, { cause: err });
    }
    mkdirSync(dirname(path), { recursive: true });
    const secret = randomBytes(32);
    writeFileSync(path, `${secret.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    return { secret, created: true };
  }
  const hex = text.trim();
  if (!/^[0-9a-f]{64,}$/i.test(hex) || hex.length % 2 !== 0) {
    throw new GatewayError('SECRET_UNAVAILABLE', `${role.what} ${path} is not at least 32 bytes of hex`, {
      field: role.field,
      hint: 'the file holds one line of 64+ hex digits',
    });
  }
  const mode = statSync(path).mode & 0o077;
  const result: DeviceSecret = { secret: Buffer.from(hex, 'hex'), created: false };
  if (mode !== 0) result.warning = `${path} is readable by group or others (mode ${(statSync(path).mode & 0o777).toString(8)}); chmod 600 it`;
  return result;
}
