/**
 * What an admin verb will do, before it is done: the batch of model operations, the keys it
 * touches (for the key management check) and a sentence for the caller. Plans read the store;
 * they never write. A missing record is NOT_FOUND naming the field that named it.
 */
import type { BatchOp } from '../../access/batchOpSchema.js';
import type { Key } from '../../access/model.js';
import type { PinPolicy } from '../../access/pinPolicy.js';
import { GatewayError } from '../../kernel/gatewayError.js';
import type { AccessStore } from '../../store/accessStore.js';
import type { CardStockStore, StockWrite } from '../../store/cardStockStore.js';
import type { PinPolicyStore } from '../../store/pinPolicyStore.js';

export interface AdminPlan {
  ops: BatchOp[];
  /** the keys given, revoked, created or edited */
  keyIds: string[];
  note?: string;
  /**
   * Local allocation state written with the batch, in its transaction (or alone when the plan
   * has no operations): the stock's cards, the PIN policy. `lines` say what, for the caller and
   * the journal (card numbers masked).
   */
  local?: { stock?: StockWrite[]; pinPolicy?: PinPolicy; lines: string[] };
  /** a value the gateway drew: shown once to the operator, never journaled */
  issued?: { credentialId: string; pin?: string; card?: string };
  /** what a read returns (stock list, pin-policy show) */
  data?: unknown;
}

/** What plans read: the store, the PIN digest of the gateway's secret, the site's time zone, the allocation state. */
export interface PlanContext {
  store: AccessStore;
  hashPin(pin: string): string;
  timeZone: string;
  pinPolicy: PinPolicyStore;
  stock: CardStockStore;
  now: number;
  /** the operator's uid, for the rows that record who */
  by: number | null;
}

export function notFound(entity: string, id: string, field: string, hint?: string): GatewayError {
  return new GatewayError('NOT_FOUND', `${entity} ${id} does not exist (${field})`, { entity, id, field, ...(hint ? { hint } : {}) });
}

export function keyById(store: AccessStore, id: string): Key | undefined {
  for (const key of store.keys()) if (key.id === id) return key;
  return undefined;
}

/** "upsert person ann", "delete holding ann/gym": one line per operation, no credential values. */
export function changeLine(op: BatchOp): string {
  if (op.op === 'delete') {
    const what = op.entity === 'holiday' ? op.date : op.entity === 'holding' ? `${op.personId}/${op.keyId}` : op.id;
    return `delete ${op.entity} ${what}`;
  }
  const r = op.record as Record<string, unknown>;
  const what = op.entity === 'holiday' ? String(r.date) : op.entity === 'holding' ? `${String(r.personId)}/${String(r.keyId)}` : String(r.id);
  return `upsert ${op.entity} ${what}${op.entity === 'credential' ? ` (${String(r.kind)})` : ''}`;
}
