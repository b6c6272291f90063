/**
 * The device secret keys the PIN digests. It is kept outside the database (a copied database
 * reveals no PIN) in a file readable only by the gateway's user.
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

export function loadDeviceSecret(path: string, createIfMissing: boolean): DeviceSecret {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' || !createIfMissing) {
      const denied = code === 'EACCES' || code === 'EPERM';
      throw new GatewayError('SECRET_UNAVAILABLE', `cannot read the device secret ${path}: ${(err as Error).message}`, {
        field: 'secrets.deviceSecretFile',
        hint: denied
          ? `a permission problem, not a lost file: run as root or as the gateway's user (uid ${process.getuid?.() ?? '?'} cannot read it); lockgw doctor says who owns it`
          : 'restore the file from a backup (lockgw restore): without it no stored PIN can be checked',
      }, { cause: err });
    }
    mkdirSync(dirname(path), { recursive: true });
    const secret = randomBytes(32);
    writeFileSync(path, `${secret.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    return { secret, created: true };
  }
  const hex = text.trim();
  if (!/^[0-9a-f]{64,}$/i.test(hex) || hex.length % 2 !== 0) {
    throw new GatewayError('SECRET_UNAVAILABLE', `the device secret ${path} is not at least 32 bytes of hex`, {
      field: 'secrets.deviceSecretFile',
      hint: 'the file holds one line of 64+ hex digits',
    });
  }
  const mode = statSync(path).mode & 0o077;
  const result: DeviceSecret = { secret: Buffer.from(hex, 'hex'), created: false };
  if (mode !== 0) result.warning = `${path} is readable by group or others (mode ${(statSync(path).mode & 0o777).toString(8)}); chmod 600 it`;
  return result;
}
