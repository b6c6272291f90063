/**
 * The site's keycard stock (migration 9; docs/standalone.md, "Allocation"): one row per card,
 * by its normalised number (kernel/cardNumber.ts), with its stored state — available, assigned
 * (to a credential id, held by a person), lost, retired — and since when. Whether an assigned
 * card's credential still holds it is for the caller to read (app/admin/cardStockView.ts): the
 * cloud may delete a credential without this table knowing. Writes join the transaction that
 * runs (a batch that assigns the card) or are one durable transaction of their own.
 */
import { GatewayError } from '../kernel/gatewayError.js';
import { durableTransaction, type Db } from './database.js';

export const STOCK_STATES = ['available', 'assigned', 'lost', 'retired'] as const;
export type StockState = (typeof STOCK_STATES)[number];

export interface StockCard {
  card: string;
  state: StockState;
  /** the credential it was assigned to (kept when it is lost: who lost it) */
  credentialId: string | null;
  personId: string | null;
  since: number;
  addedAt: number;
  addedBy: number | null;
}

interface StockRow {
  card: string;
  state: string;
  credential_id: string | null;
  person_id: string | null;
  since: number;
  added_at: number;
  added_by: number | null;
}

function fromRow(row: StockRow): StockCard {
  if (!(STOCK_STATES as readonly string[]).includes(row.state)) throw new GatewayError('STORE_CORRUPT', `stock card ${row.card} has the state ${row.state}`, { entity: 'card_stock' });
  return { card: row.card, state: row.state as StockState, credentialId: row.credential_id, personId: row.person_id, since: row.since, addedAt: row.added_at, addedBy: row.added_by };
}

/** One change of a card's row. */
export type StockWrite =
  | { write: 'add'; card: string; at: number; by: number | null }
  | { write: 'state'; card: string; state: Exclude<StockState, 'assigned'>; at: number }
  | { write: 'assign'; card: string; credentialId: string; personId: string; at: number };

export class CardStockStore {
  constructor(private readonly db: Db) {}

  get(card: string): StockCard | undefined {
    const row = this.db.prepare('SELECT * FROM card_stock WHERE card = ?').get(card) as StockRow | undefined;
    return row && fromRow(row);
  }

  /** Every card, or those in one stored state, in card order. */
  list(state?: StockState): StockCard[] {
    const rows = (state === undefined ? this.db.prepare('SELECT * FROM card_stock ORDER BY card').all() : this.db.prepare('SELECT * FROM card_stock WHERE state = ? ORDER BY card').all(state)) as StockRow[];
    return rows.map(fromRow);
  }

  /** Has the site a stock at all? (Without one, a given card is written as before, unchecked.) */
  isEmpty(): boolean {
    return this.db.prepare('SELECT 1 FROM card_stock LIMIT 1').get() === undefined;
  }

  /** Applies the writes: inside the transaction that runs, or as one durable transaction. */
  apply(writes: readonly StockWrite[]): void {
    if (writes.length === 0) return;
    const add = this.db.prepare('INSERT INTO card_stock(card, state, since, added_at, added_by) VALUES (?, \'available\', ?, ?, ?)');
    const state = this.db.prepare('UPDATE card_stock SET state = ?, since = ?, credential_id = CASE WHEN ? = \'available\' THEN NULL ELSE credential_id END, person_id = CASE WHEN ? = \'available\' THEN NULL ELSE person_id END WHERE card = ?');
    const assign = this.db.prepare('UPDATE card_stock SET state = \'assigned\', credential_id = ?, person_id = ?, since = ? WHERE card = ?');
    const work = () => {
      for (const w of writes) {
        const changed = w.write === 'add' ? add.run(w.card, w.at, w.at, w.by) : w.write === 'state' ? state.run(w.state, w.at, w.state, w.state, w.card) : assign.run(w.credentialId, w.personId, w.at, w.card);
        if (changed.changes !== 1) throw new GatewayError('INTERNAL', `stock card ${w.card}: the ${w.write} changed ${changed.changes} rows`);
      }
    };
    if (this.db.inTransaction) work();
    else durableTransaction(this.db, work);
  }
}
