/**
 * Opening the gateway's SQLite file: WAL mode, foreign keys on, forward-only migrations.
 * The only module (with its siblings in src/store/) that imports better-sqlite3.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { GatewayError } from '../kernel/gatewayError.js';
import { MIGRATIONS, type Migration } from './migrations.js';

export type Db = Database.Database;

const DEFAULT_BUSY_TIMEOUT_MS = 5000;

export interface OpenOptions {
  readonly?: boolean;
  migrations?: readonly Migration[];
  /**
   * A scratch file nobody else opens and nobody needs after a crash (snapshotStaging.ts): no
   * rollback journal, no fsync.
   */
  scratch?: boolean;
  /** how long a statement waits for another connection's lock before SQLITE_BUSY (default 5000) */
  busyTimeoutMs?: number;
}

export function openDatabase(path: string, options: OpenOptions = {}): Db {
  if (path !== ':memory:' && !options.readonly) mkdirSync(dirname(path), { recursive: true });
  let db: Db;
  try {
    db = new Database(path, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false, timeout: options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS });
  } catch (err) {
    throw new GatewayError('STORE_CORRUPT', `cannot open the database ${path}: ${(err as Error).message}`, { hint: 'check the path and its permissions' }, { cause: err });
  }
  try {
    if (options.scratch) {
      db.pragma('journal_mode = OFF');
      db.pragma('synchronous = OFF');
    } else if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      // state changes raise this to FULL per transaction; see docs/durability.md
      db.pragma('synchronous = NORMAL');
    }
    db.pragma('foreign_keys = ON');
    db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS}`);
    if (!options.readonly) migrate(db, options.migrations ?? MIGRATIONS);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Applies every migration above the file's user_version, each in its own transaction. */
export function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): number {
  const current = schemaVersion(db);
  const latest = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  if (current > latest) {
    throw new GatewayError('MIGRATION_FAILED', `the database is at schema version ${current}, newer than this lockgw (${latest})`, {
      hint: 'run the newer lockgw, or restore a backup made by this version',
    });
  }
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (m.version <= current) continue;
    const foreignKeys = db.pragma('foreign_keys', { simple: true }) as number;
    if (m.rebuildsTables) db.pragma('foreign_keys = OFF');
    try {
      db.transaction(() => {
        db.exec(m.sql);
        if (m.rebuildsTables) {
          const broken = db.pragma('foreign_key_check') as { table: string; rowid: number | null; parent: string }[];
          if (broken.length > 0) throw new Error(`${broken.length} rows would break a foreign key, the first in ${broken[0]!.table} (referring to ${broken[0]!.parent})`);
        }
        db.pragma(`user_version = ${m.version}`);
      })();
    } catch (err) {
      throw new GatewayError('MIGRATION_FAILED', `migration ${m.version} (${m.name}) failed: ${(err as Error).message}`, {}, { cause: err });
    } finally {
      db.pragma(`foreign_keys = ${foreignKeys}`);
    }
  }
  return schemaVersion(db);
}

/** Runs `work` in one transaction committed with synchronous=FULL (state that must survive power loss). */
export function durableTransaction<T>(db: Db, work: () => T): T {
  const previous = db.pragma('synchronous', { simple: true }) as number;
  db.pragma('synchronous = FULL');
  try {
    return db.transaction(work)();
  } finally {
    db.pragma(`synchronous = ${previous}`);
  }
}

/** PRAGMA integrity_check: 'ok' or the list of problems. */
export function integrityCheck(db: Db): string[] {
  return (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check);
}

/** PRAGMA quick_check (integrity_check without the index cross-checks): 'ok' or the list of problems. */
export function quickCheck(db: Db): string[] {
  return (db.pragma('quick_check') as { quick_check: string }[]).map((r) => r.quick_check);
}
