/**
 * Why the gateway's database cannot be used, from the error SQLite (or a migration) raised:
 * corrupt files are set aside, every other cause leaves the file where it is.
 */
import { isGatewayError } from '../kernel/gatewayError.js';

export type StoreCause =
  /** the file is gone, though the gateway had created one (its marker exists) */
  | 'missing'
  /** not a database, a damaged page or schema, a failed quick_check, or rules that do not load */
  | 'corrupt'
  /** another process holds a lock on it past the busy timeout */
  | 'locked'
  /** the file cannot be opened or read (permissions, a directory in its place, an I/O error) */
  | 'unreadable'
  /** written by a newer lockgw (schema version above this one's) */
  | 'too_new';

export interface StoreProblem {
  cause: StoreCause;
  /** the database file */
  file: string;
  /** what SQLite or the check said */
  detail: string;
}

const CORRUPT = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_CORRUPT_INDEX', 'SQLITE_CORRUPT_SEQUENCE', 'SQLITE_CORRUPT_VTAB']);

/** The SQLite code of an error or of the first error in its cause chain that has one. */
function sqliteCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = (e as { cause?: unknown }).cause, depth += 1) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('SQLITE_')) return code;
  }
  return undefined;
}

/** Classifies an error raised while opening, checking or loading the database at `file`. */
export function storeProblem(file: string, err: unknown): StoreProblem {
  const detail = err instanceof Error ? err.message : String(err);
  if (isGatewayError(err, 'MIGRATION_FAILED') && /newer than this lockgw/.test(detail)) return { cause: 'too_new', file, detail };
  const code = sqliteCode(err);
  if (code === undefined) return { cause: isGatewayError(err, 'STORE_CORRUPT') ? 'corrupt' : 'unreadable', file, detail };
  if (CORRUPT.has(code)) return { cause: 'corrupt', file, detail };
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return { cause: 'locked', file, detail };
  return { cause: 'unreadable', file, detail: `${detail} (${code})` };
}

/**
 * The store problem behind an error a start raised, or null when the error is not the store's
 * (a SQLite error, a STORE_CORRUPT or a MIGRATION_FAILED is; a device's or a config's is not).
 */
export function storeFailure(file: string, err: unknown): StoreProblem | null {
  const ours = isGatewayError(err, 'STORE_CORRUPT') || isGatewayError(err, 'MIGRATION_FAILED') || sqliteCode(err) !== undefined;
  return ours ? storeProblem(file, err) : null;
}
