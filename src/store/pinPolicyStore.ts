/**
 * The site's PIN policy (migration 9, access/pinPolicy.ts): one row, or none for the default.
 * Local state, outside the model the cloud sends and its content hash. A row a hand edit broke
 * is STORE_CORRUPT, never read as a laxer policy.
 */
import { DEFAULT_PIN_POLICY, PinPolicySchema, type PinPolicy } from '../access/pinPolicy.js';
import { GatewayError } from '../kernel/gatewayError.js';
import { durableTransaction, type Db } from './database.js';

interface PolicyRow {
  min_length: number;
  max_length: number;
  code_space: string;
  changed_at: number;
  changed_by: number | null;
}

/** The policy in force, and who set it when (null: never set, the default). */
export interface PinPolicyEntry {
  policy: PinPolicy;
  changedAt: number | null;
  changedBy: number | null;
}

export class PinPolicyStore {
  constructor(private readonly db: Db) {}

  get(): PinPolicyEntry {
    const row = this.db.prepare('SELECT * FROM pin_policy WHERE id = 1').get() as PolicyRow | undefined;
    if (row === undefined) return { policy: DEFAULT_PIN_POLICY, changedAt: null, changedBy: null };
    const parsed = PinPolicySchema.safeParse({ minLength: row.min_length, maxLength: row.max_length, codeSpace: row.code_space });
    if (!parsed.success) throw new GatewayError('STORE_CORRUPT', `the PIN policy in the database is not valid (${parsed.error.issues[0]!.message})`, { entity: 'pin_policy', hint: 'set it again with lockgw pin-policy set' });
    return { policy: parsed.data, changedAt: row.changed_at, changedBy: row.changed_by };
  }

  /** Sets the policy: a durable transaction of its own, or a part of the one running (a site apply's batch). */
  put(policy: PinPolicy, at: number, by: number | null): void {
    const write = () => {
      this.db
        .prepare('INSERT OR REPLACE INTO pin_policy(id, min_length, max_length, code_space, changed_at, changed_by) VALUES (1, ?, ?, ?, ?, ?)')
        .run(policy.minLength, policy.maxLength, policy.codeSpace, at, by);
    };
    if (this.db.inTransaction) write();
    else durableTransaction(this.db, write);
  }
}
