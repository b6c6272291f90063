/**
 * Restoring a backup (backupBundle.ts) over the gateway's state, with the daemon stopped (the
 * caller checks that). Everything is verified before anything is touched: the file's
 * authentication tag, its table of contents, the database copy's quick_check and schema version,
 * the device secret's form and the pairing vault's. Only then are the current files set aside
 * (renamed `<file>.before-restore-<stamp>`, never deleted or overwritten) and the backup's files
 * renamed into their places. A failed check leaves the data directory as it was.
 */
import { existsSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { GatewayError } from '../kernel/gatewayError.js';
import { diagnoseStore } from '../store/storeDiagnosis.js';
import { fileStamp, renameIfAbsent, setAside } from '../store/storeFiles.js';
import type { GatewayConfig } from './config/configSchema.js';
import { PART } from './backupBundle.js';
import { openBackupFile, type BackupManifest } from './backupFile.js';
import { loadDeviceSecret } from './deviceSecret.js';
import { gatewayFiles, requireDataDirOwner } from './gatewayFiles.js';
import { PairingVault } from './pairingVault.js';

export interface RestoreSummary {
  manifest: BackupManifest;
  /** the files now in place */
  restored: string[];
  /** where the files they replaced went */
  setAside: string[];
  /** things the installer should know (another gateway's backup, an older schema) */
  notes: string[];
}

export interface RestoreOptions {
  passphrase: string;
  now: number;
  uid: number | undefined;
}

export function restoreBackup(config: GatewayConfig, source: string, options: RestoreOptions): RestoreSummary {
  const files = gatewayFiles(config);
  requireDataDirOwner(files, options.uid);
  const staged = (part: string) => join(files.dataDir, `.restore-${process.pid}-${part}`);
  const opened = openBackupFile(source, options.passphrase, (part) => {
    const path = staged(part);
    if (existsSync(path)) throw new GatewayError('INPUT_INVALID', `${path} is in the way (not this restore's)`, { hint: 'move it away and restore again' });
    return path;
  });
  // false once the first current file is set aside: from then on a staged copy is kept for the installer
  let untouched = true;
  try {
    const { manifest } = opened;
    const database = opened.files.get(PART.database);
    const secret = opened.files.get(PART.deviceSecret);
    if (database === undefined || secret === undefined) {
      throw new GatewayError('INPUT_INVALID', `${source} lacks ${database === undefined ? 'the database' : 'the device secret'}`, { field: 'FILE', hint: 'it is not a whole lockgw backup; use another' });
    }
    const check = diagnoseStore(database);
    if (check.state !== 'ok') {
      const detail = check.state === 'problem' ? `${check.problem.cause}: ${check.problem.detail}` : 'missing';
      throw new GatewayError('INPUT_INVALID', `the database in ${source} does not pass its check (${detail}); nothing was changed`, { field: 'FILE' });
    }
    if (check.schemaVersion === 0) throw new GatewayError('INPUT_INVALID', `the database in ${source} is not a lockgw database (schema version 0); nothing was changed`, { field: 'FILE' });
    try {
      const key = loadDeviceSecret(secret, false).secret;
      const pairings = opened.files.get(PART.pairings);
      if (pairings !== undefined) new PairingVault(pairings, key).list();
    } catch (err) {
      throw new GatewayError('INPUT_INVALID', `${source} holds a damaged secret file (${(err as Error).message}); nothing was changed`, { field: 'FILE' }, { cause: err });
    }

    const notes: string[] = [];
    if (manifest.gatewayId !== config.gateway.id) notes.push(`the backup is of gateway ${manifest.gatewayId}; this config says ${config.gateway.id}`);
    if (check.schemaVersion !== manifest.schemaVersion) notes.push(`the database is at schema version ${check.schemaVersion}, the backup said ${manifest.schemaVersion}`);

    const stamp = fileStamp(options.now);
    untouched = false;
    const aside: string[] = [...setAside(files.database, 'before-restore', options.now)];
    const asideOne = (path: string) => {
      if (!existsSync(path)) return;
      const to = `${path}.before-restore-${stamp}`;
      if (!renameIfAbsent(path, to)) throw new GatewayError('UNAVAILABLE', `cannot set ${path} aside: ${basename(to)} exists in ${dirname(to)}`, { hint: 'move it away and restore again' });
      aside.push(to);
    };
    asideOne(files.deviceSecret);
    // pairings sealed under the secret being replaced would not open any more: they go aside too
    asideOne(files.pairings);

    const restored: string[] = [];
    const place = (from: string, to: string) => {
      if (!renameIfAbsent(from, to)) throw new GatewayError('UNAVAILABLE', `${to} appeared during the restore; the backup's copy is ${from}`);
      restored.push(to);
    };
    place(database, files.database);
    place(secret, files.deviceSecret);
    const pairings = opened.files.get(PART.pairings);
    if (pairings !== undefined) place(pairings, files.pairings);
    return { manifest, restored, setAside: aside, notes };
  } finally {
    // the staged copies are this restore's own: removed when the restore stopped before changing anything
    if (untouched) for (const path of opened.files.values()) rmSync(path, { force: true });
  }
}
