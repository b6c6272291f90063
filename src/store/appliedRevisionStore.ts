/**
 * What the state sync applied per revision (cloud/appliedRevisionLedger.ts is the contract; the
 * cloud layer is above this one, so the class fits it structurally and app/gateway.ts hands it
 * over), so that an old delta replayed with other content after a restart is still told from a
 * duplicate. Digests are HMACs under a key derived from the device secret, which lives outside
 * this file: a copied database does not let a short PIN in a delta be found by trying them all.
 */
import { GatewayError } from '../kernel/gatewayError.js';
import { durableTransaction, type Db } from './database.js';
import { readableRows } from './readableRows.js';

/** one remembered revision (the same shape as cloud/appliedRevisionLedger.ts's AppliedRevision) */
export interface AppliedRevisionRow {
  revision: number;
  hash: string;
  delta?: { fromVersion: number; digest: string };
}

interface Row {
  revision: unknown;
  hash: unknown;
  from_version: unknown;
  digest: unknown;
}

const HASH = /^[0-9a-f]{64}$/;
const DIGEST = /^[A-Za-z0-9_-]{43}$/;

export class AppliedRevisionStore {
  constructor(private readonly db: Db) {}

  load(limit: number): { revisions: AppliedRevisionRow[]; skipped: number } {
    let rows: Row[];
    try {
      rows = this.db
        .prepare('SELECT revision, hash, from_version, digest FROM (SELECT * FROM applied_revisions ORDER BY revision DESC LIMIT ?) ORDER BY revision')
        .all(limit) as Row[];
    } catch (err) {
      throw new GatewayError('STORE_CORRUPT', `the applied revisions (table applied_revisions) cannot be read: ${(err as Error).message}`, {}, { cause: err });
    }
    const { items, skipped } = readableRows(rows, readable);
    return { revisions: items, skipped };
  }

  remember(revisions: readonly AppliedRevisionRow[], keep: number): void {
    const insert = this.db.prepare('INSERT OR REPLACE INTO applied_revisions(revision, hash, from_version, digest) VALUES (?, ?, ?, ?)');
    const prune = this.db.prepare('DELETE FROM applied_revisions WHERE revision <= (SELECT revision FROM applied_revisions ORDER BY revision DESC LIMIT 1 OFFSET ?)');
    durableTransaction(this.db, () => {
      for (const r of revisions) insert.run(r.revision, r.hash, r.delta?.fromVersion ?? null, r.delta?.digest ?? null);
      prune.run(Math.max(0, keep));
    });
  }
}

function readable(row: Row): AppliedRevisionRow | null {
  const { revision, hash, from_version: fromVersion, digest } = row;
  if (typeof revision !== 'number' || !Number.isSafeInteger(revision) || revision <= 0) return null;
  if (typeof hash !== 'string' || !HASH.test(hash)) return null;
  if (fromVersion === null && digest === null) return { revision, hash };
  if (typeof fromVersion !== 'number' || !Number.isSafeInteger(fromVersion) || fromVersion < 0 || fromVersion >= revision) return null;
  if (typeof digest !== 'string' || !DIGEST.test(digest)) return null;
  return { revision, hash, delta: { fromVersion, digest } };
}
