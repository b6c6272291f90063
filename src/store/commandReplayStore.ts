/**
 * The commands the cloud link handled, kept in the gateway's database so that a captured command
 * replayed after a restart is recognised (cloud/replayLedger.ts is the contract; the cloud layer
 * is above this one, so the class fits it structurally and app/gateway.ts hands it over). Each write is
 * one transaction committed with synchronous=FULL: the command it records has already acted.
 */
import { GatewayError } from '../kernel/gatewayError.js';
import { durableTransaction, type Db } from './database.js';
import { readableRows } from './readableRows.js';

/** one remembered command key (the same shape as cloud/replayLedger.ts's ReplayRow, which this class fits) */
export interface ReplayRow {
  key: string;
  value: string;
  expiresAt: number;
}

const MAX_KEY = 300;
const VALUE = /^[a-z_]{1,40}$/;

interface Row {
  key: unknown;
  value: unknown;
  expires_at: unknown;
}

export class CommandReplayStore {
  constructor(private readonly db: Db) {}

  load(now: number, limit: number): { entries: ReplayRow[]; skipped: number } {
    let rows: Row[];
    try {
      // the newest `limit` live rows, returned oldest first
      rows = this.db
        .prepare('SELECT key, value, expires_at FROM (SELECT rowid, key, value, expires_at FROM command_replays WHERE expires_at > ? ORDER BY rowid DESC LIMIT ?) ORDER BY rowid')
        .all(now, limit) as Row[];
    } catch (err) {
      throw new GatewayError('STORE_CORRUPT', `the remembered commands (table command_replays) cannot be read: ${(err as Error).message}`, {}, { cause: err });
    }
    const { items, skipped } = readableRows(rows, readable);
    return { entries: items, skipped };
  }

  remember(entries: readonly ReplayRow[], forget: readonly string[]): void {
    const insert = this.db.prepare('INSERT OR REPLACE INTO command_replays(key, value, expires_at) VALUES (?, ?, ?)');
    const remove = this.db.prepare('DELETE FROM command_replays WHERE key = ?');
    durableTransaction(this.db, () => {
      for (const key of forget) remove.run(key);
      for (const e of entries) insert.run(e.key, e.value, Math.trunc(e.expiresAt));
    });
  }

  prune(now: number, keep: number): number {
    const expired = this.db.prepare('DELETE FROM command_replays WHERE expires_at <= ?').run(now).changes;
    const beyond = this.db
      .prepare('DELETE FROM command_replays WHERE rowid <= (SELECT rowid FROM command_replays ORDER BY rowid DESC LIMIT 1 OFFSET ?)')
      .run(Math.max(0, keep)).changes;
    return expired + beyond;
  }
}

function readable(row: Row): ReplayRow | null {
  const { key, value, expires_at: expiresAt } = row;
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY) return null;
  if (typeof value !== 'string' || !VALUE.test(value)) return null;
  if (typeof expiresAt !== 'number' || !Number.isSafeInteger(expiresAt) || expiresAt <= 0) return null;
  return { key, value, expiresAt };
}
