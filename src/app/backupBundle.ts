/**
 * A backup of the gateway: a consistent online copy of the live database (store/onlineBackup.ts),
 * checked with quick_check, plus the device secret and the BLE pairing vault when there is one,
 * sealed in one file under a passphrase (backupFile.ts). Safe while the daemon runs. The backup
 * file is never written over an existing one; the scratch copy of the database is removed.
 */
import { existsSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { GatewayError } from '../kernel/gatewayError.js';
import { copyLiveDatabase } from '../store/onlineBackup.js';
import { diagnoseStore } from '../store/storeDiagnosis.js';
import type { GatewayConfig } from './config/configSchema.js';
import { BACKUP_FORMAT, writeBackupFile, type PartSource } from './backupFile.js';
import { loadDeviceSecret } from './deviceSecret.js';
import { gatewayFiles, requireDataDirOwner } from './gatewayFiles.js';
import { lockgwVersion } from './version.js';

/** The part names in a backup file. */
export const PART = { database: 'database', deviceSecret: 'device-secret', pairings: 'ble-pairings' } as const;

export interface BackupSummary {
  file: string;
  bytes: number;
  schemaVersion: number;
  pages: number;
  parts: string[];
}

export interface BackupOptions {
  passphrase: string;
  now: number;
  /** the caller's uid (process.getuid()); it must own the data directory */
  uid: number | undefined;
}

export async function createBackup(config: GatewayConfig, dest: string, options: BackupOptions): Promise<BackupSummary> {
  const files = gatewayFiles(config);
  requireDataDirOwner(files, options.uid);
  if (existsSync(dest)) throw new GatewayError('INPUT_INVALID', `${dest} exists already; a backup is never written over a file`, { field: 'FILE', hint: 'name a new file' });
  if (!existsSync(dirname(dest))) throw new GatewayError('INPUT_INVALID', `the directory of ${dest} does not exist`, { field: 'FILE' });
  if (!existsSync(files.database)) throw new GatewayError('NOT_FOUND', `there is no database at ${files.database} to back up`, { field: 'gateway.dataDir', hint: 'check --config (or LOCKGW_CONFIG)' });
  // validates the secret's form before it goes into a backup that would restore it
  loadDeviceSecret(files.deviceSecret, false);

  const scratch = join(dirname(dest), `.${basename(dest)}.${process.pid}.db`);
  if (existsSync(scratch)) throw new GatewayError('INPUT_INVALID', `${scratch} is in the way (not this backup's)`, { field: 'FILE', hint: 'move it away or back up into another directory' });
  try {
    const copy = await copyLiveDatabase(files.database, scratch);
    const check = diagnoseStore(scratch);
    if (check.state !== 'ok') {
      const detail = check.state === 'problem' ? `${check.problem.cause}: ${check.problem.detail}` : 'the copy is missing';
      throw new GatewayError('STORE_CORRUPT', `the database ${files.database} fails its check, so no backup was made (${detail})`, {
        hint: 'keep the backups you have; lockgw doctor says more',
      });
    }
    const parts: PartSource[] = [{ name: PART.database, file: scratch }, { name: PART.deviceSecret, file: files.deviceSecret }];
    if (existsSync(files.pairings)) parts.push({ name: PART.pairings, file: files.pairings });
    const { bytes } = writeBackupFile(dest, options.passphrase, {
      format: BACKUP_FORMAT,
      createdAt: new Date(options.now).toISOString(),
      gatewayId: config.gateway.id,
      lockgwVersion: lockgwVersion(),
      schemaVersion: check.schemaVersion,
    }, parts);
    return { file: dest, bytes, schemaVersion: check.schemaVersion, pages: copy.pages, parts: parts.map((p) => p.name) };
  } finally {
    rmSync(scratch, { force: true });
  }
}
