/**
 * The single-use offline doorcodes that were used, so that a restart (or a power loss right after
 * the door opened) does not admit one again. A code is named by its id (access/offlineCode.ts
 * codeId), never by its digits. Each use is one transaction committed with synchronous=FULL: the
 * door has already opened for it. A row is dropped once its code's window can no longer be open.
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

  /** The ids of the codes used whose rows have not expired at `now`. */
  usedIds(now: number): string[] {
    try {
      return (this.db.prepare('SELECT code_id FROM offline_code_uses WHERE expires_at > ?').pluck().all(now) as string[]);
    } catch (err) {
      throw new GatewayError('STORE_CORRUPT', `the used offline doorcodes (table offline_code_uses) cannot be read: ${(err as Error).message}`, {}, { cause: err });
    }
  }

  record(use: OfflineCodeUse): void {
    durableTransaction(this.db, () => {
      this.db
        .prepare('INSERT OR IGNORE INTO offline_code_uses(code_id, door_id, used_at, expires_at) VALUES (?, ?, ?, ?)')
        .run(use.codeId, use.doorId, Math.trunc(use.usedAt), Math.trunc(use.expiresAt));
    });
  }

  /** Drops the rows of codes that can no longer be valid; returns how many. */
  prune(now: number): number {
    return this.db.prepare('DELETE FROM offline_code_uses WHERE expires_at <= ?').run(now).changes;
  }
}
