/**
 * The nightly backups in a directory: named `lockgw-<gateway>-<stamp>.backup`, so they sort by
 * time, and kept to the newest N. Only files with that name that begin as a lockgw backup are
 * counted and removed: anything else in the directory (an installer's copy, a pre-upgrade
 * backup) is left alone.
 */
import { closeSync, openSync, readdirSync, readSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileStamp } from '../store/storeFiles.js';
import { BACKUP_FORMAT } from './backupFile.js';

const SUFFIX = '.backup';

export function nightlyBackupName(gatewayId: string, now: number): string {
  return `lockgw-${gatewayId}-${fileStamp(now)}${SUFFIX}`;
}

function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function beginsAsBackup(path: string): boolean {
  const head = Buffer.alloc(BACKUP_FORMAT.length);
  const fd = openSync(path, 'r');
  try {
    return readSync(fd, head, 0, head.length, 0) === head.length && head.toString('utf8') === BACKUP_FORMAT;
  } finally {
    closeSync(fd);
  }
}

/** Removes the oldest of the gateway's nightly backups in `dir` beyond the newest `keep`; returns the removed files. */
export function rotateBackups(dir: string, gatewayId: string, keep: number): string[] {
  const pattern = new RegExp(`^lockgw-${escaped(gatewayId)}-\\d{8}T\\d{6}Z${escaped(SUFFIX)}$`);
  const ours = readdirSync(dir).filter((name) => pattern.test(name) && beginsAsBackup(join(dir, name))).sort();
  const removed = ours.slice(0, Math.max(0, ours.length - keep)).map((name) => join(dir, name));
  for (const file of removed) rmSync(file);
  return removed;
}
