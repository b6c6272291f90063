/**
 * The local operator table (migration 5): system account uid → role and key management. Read on
 * every admin request (an operator removed is refused at once); each write is one transaction
 * committed with synchronous=FULL. Rows are validated on the way out: a row a hand edit broke is
 * reported as STORE_CORRUPT, never taken for an operator with other rights.
 */
import { OperatorSchema, type Operator } from '../access/operator.js';
import { GatewayError } from '../kernel/gatewayError.js';
import { durableTransaction, type Db } from './database.js';

interface OperatorRow {
  uid: number;
  user: string | null;
  role: string;
  key_management: string;
  key_ids: string;
}

/** An operator as listed: who added it and when. */
export interface OperatorEntry extends Operator {
  addedAt: number;
  addedBy: number | null;
}

function fromRow(row: OperatorRow & { added_at: number; added_by: number | null }): OperatorEntry {
  let keyIds: unknown;
  try {
    keyIds = JSON.parse(row.key_ids);
  } catch {
    keyIds = null;
  }
  const parsed = OperatorSchema.safeParse({ uid: row.uid, user: row.user, role: row.role, keyManagement: row.key_management, keyIds });
  if (!parsed.success) {
    throw new GatewayError('STORE_CORRUPT', `operator uid ${row.uid} in the database is not valid (${parsed.error.issues[0]!.message})`, { entity: 'operator', id: String(row.uid), hint: 'remove it with lockgw operator remove and add it again' });
  }
  return { ...parsed.data, addedAt: row.added_at, addedBy: row.added_by };
}

export class OperatorStore {
  constructor(private readonly db: Db) {}

  get(uid: number): OperatorEntry | undefined {
    const row = this.db.prepare('SELECT * FROM operators WHERE uid = ?').get(uid) as (OperatorRow & { added_at: number; added_by: number | null }) | undefined;
    return row && fromRow(row);
  }

  list(): OperatorEntry[] {
    return (this.db.prepare('SELECT * FROM operators ORDER BY uid').all() as Array<OperatorRow & { added_at: number; added_by: number | null }>).map(fromRow);
  }

  /** Adds the operator, or replaces the one with its uid (a changed role). */
  put(operator: Operator, addedAt: number, addedBy: number): void {
    durableTransaction(this.db, () => {
      this.db
        .prepare('INSERT OR REPLACE INTO operators(uid, user, role, key_management, key_ids, added_at, added_by) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(operator.uid, operator.user, operator.role, operator.keyManagement, JSON.stringify(operator.keyIds), addedAt, addedBy);
    });
  }

  /** Removes the operator; false when there was none with that uid. */
  remove(uid: number): boolean {
    return durableTransaction(this.db, () => this.db.prepare('DELETE FROM operators WHERE uid = ?').run(uid).changes > 0);
  }
}
