/**
 * A consistent copy of the gateway's database while the daemon keeps writing to it: SQLite's
 * online backup API (better-sqlite3 `db.backup()`) through a read-only connection that never
 * migrates. The pages are copied in one backup step, inside one read transaction: in WAL mode
 * that does not block the daemon's writers, and a write by another connection cannot restart
 * the copy half-way (which a step-by-step backup does). The copy is left as one self-contained
 * file (journal mode DELETE, no -wal beside it). Check it with diagnoseStore before trusting it.
 */
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { GatewayError } from '../kernel/gatewayError.js';

export interface DatabaseCopy {
  /** the copy's size in database pages */
  pages: number;
}

/** every remaining page in the next step (sqlite3_backup_step takes an int) */
const ALL_PAGES = 0x7fffffff;

/** Copies the database at `source` to `dest`, which must not exist yet. */
export async function copyLiveDatabase(source: string, dest: string, busyTimeoutMs = 5_000): Promise<DatabaseCopy> {
  if (existsSync(dest)) throw new GatewayError('INPUT_INVALID', `${dest} exists already; a backup copy is never written over a file`);
  let db: Database.Database;
  try {
    db = new Database(source, { readonly: true, fileMustExist: true, timeout: busyTimeoutMs });
  } catch (err) {
    throw new GatewayError('STORE_CORRUPT', `cannot open the database ${source} to back it up: ${(err as Error).message}`, {
      hint: 'check gateway.dataDir and store.file in the config, and that you run as the data directory\'s owner',
    }, { cause: err });
  }
  let pages: number;
  try {
    pages = (await db.backup(dest, { progress: () => ALL_PAGES })).totalPages;
  } catch (err) {
    throw new GatewayError('STORE_CORRUPT', `the online backup of ${source} failed: ${(err as Error).message}`, {}, { cause: err });
  } finally {
    db.close();
  }
  const copy = new Database(dest, { fileMustExist: true });
  try {
    copy.pragma('journal_mode = DELETE');
  } finally {
    copy.close();
  }
  return { pages };
}
