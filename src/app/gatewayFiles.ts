/**
 * The files that are the gateway's state, as the config places them: the database, the device
 * secret and the BLE pairing vault. A backup holds exactly these; a restore replaces exactly these.
 */
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GatewayError } from '../kernel/gatewayError.js';
import type { GatewayConfig } from './config/configSchema.js';
import { PAIRING_FILE } from './pairingVault.js';

export interface GatewayFiles {
  dataDir: string;
  database: string;
  deviceSecret: string;
  pairings: string;
}

export function gatewayFiles(config: GatewayConfig): GatewayFiles {
  const dataDir = resolve(config.gateway.dataDir);
  return {
    dataDir,
    database: join(dataDir, config.store.file),
    deviceSecret: join(dataDir, config.secrets.deviceSecretFile),
    pairings: join(dataDir, PAIRING_FILE),
  };
}

/**
 * Refuses to work on the data directory as another user than its owner: SQLite leaves -wal and
 * -shm files owned by whoever opened the database, and a restore as root would leave root's
 * files where the daemon's user must write. `uid` is the caller's (process.getuid()).
 */
export function requireDataDirOwner(files: GatewayFiles, uid: number | undefined): void {
  let owner: number;
  try {
    owner = statSync(files.dataDir).uid;
  } catch (err) {
    throw new GatewayError('INPUT_INVALID', `the data directory ${files.dataDir} cannot be read: ${(err as Error).message}`, {
      field: 'gateway.dataDir', hint: 'check --config (or LOCKGW_CONFIG) and gateway.dataDir',
    }, { cause: err });
  }
  if (uid === undefined || uid === owner) return;
  throw new GatewayError('UNAVAILABLE', `the data directory ${files.dataDir} belongs to uid ${owner}, and you are uid ${uid}`, {
    field: 'gateway.dataDir', hint: 'run it as the directory\'s owner, e.g. sudo -u lockgw lockgw …',
  });
}
