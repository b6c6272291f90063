/**
 * The single-use offline doorcodes that were used, so that a restart (or a power loss right after
 * the door opened) does not admit one again. A code is named by its id (access/offlineCode.ts
 * codeId), never by its digits. Each use is one transaction committed with synchronous=FULL: the
 * door has already opened for it. A row is dropped (at the next use) once its code's window can no
 * longer be open. Reading writes nothing: tools that only read the rules may read it.
 */
import { GatewayError } from '../kernel/gatewayError.js';
import { durableTransaction, type Db } from './database.js';

export interface OfflineCodeUse {
  codeId: string;
  doorId: string;
  usedAt: number;
  /** after this instant the code cannot be valid any more: the row may go */
  expiresAt: number;
}

export class OfflineCodeUseStore {
  constructor(private readonly db: Db) {}

  /** The ids of the codes used (rows not yet dropped: an expired row matches no valid window anyway). */
  usedIds(): string[] {
    try {
      return (this.db.prepare('SELECT code_id FROM offline_code_uses').pluck().all() as string[]);
    } catch (err) {
      throw new GatewayError('STORE_CORRUPT', `the used offline doorcodes (table offline_code_uses) cannot be read: ${(err as Error).message}`, {}, { cause: err });
    }
  }

  /** Writes a use, and drops in the same transaction the rows of codes that can no longer be valid. */
  record(use: OfflineCodeUse): void {
    durableTransaction(this.db, () => {
      this.db.prepare('DELETE FROM offline_code_uses WHERE expires_at <= ?').run(Math.trunc(use.usedAt));
      this.db
        .prepare('INSERT OR IGNORE INTO offline_code_uses(code_id, door_id, used_at, expires_at) VALUES (?, ?, ?, ?)')
        .run(use.codeId, use.doorId, Math.trunc(use.usedAt), Math.trunc(use.expiresAt));
    });
  }
}
