/**
 * The keycard stock as it stands (docs/standalone.md, "Allocation"): each stock row read against
 * the credentials in force, since the cloud, a site apply or a revoke may have changed them
 * without the stock knowing. A card is
 *   - `assigned` when a card credential holds it (the row says so, or the cloud gave it);
 *   - `used` when the row says assigned but its credential no longer holds it: it was handed
 *     out and taken back, so it is not allocated again until `lockgw stock return` (the portal:
 *     "used keycards are excluded automatically");
 *   - `available`, `lost`, `retired` as stored.
 */
import type { Credential } from '../../access/model.js';
import type { AccessStore } from '../../store/accessStore.js';
import type { CardStockStore, StockCard } from '../../store/cardStockStore.js';
import type { STOCK_VIEW_STATES } from '../../wire/adminProtocol.js';

export type StockViewState = (typeof STOCK_VIEW_STATES)[number];

export interface StockEntry {
  card: string;
  state: StockViewState;
  /** who holds it now, or who held it last (used, lost) */
  credentialId: string | null;
  personId: string | null;
  since: number;
}

/** Card credentials by their (normalised) card number. */
export function cardHolders(store: AccessStore): Map<string, Credential> {
  const holders = new Map<string, Credential>();
  for (const c of store.credentials()) if (c.kind === 'card') holders.set(c.value, c);
  return holders;
}

export function stockEntry(row: StockCard, holders: ReadonlyMap<string, Credential>): StockEntry {
  const holder = holders.get(row.card);
  const base = { card: row.card, credentialId: row.credentialId, personId: row.personId, since: row.since };
  if (row.state === 'lost' || row.state === 'retired') return { ...base, state: row.state };
  if (holder !== undefined) return { ...base, state: 'assigned', credentialId: holder.id, personId: holder.personId };
  return { ...base, state: row.state === 'assigned' ? 'used' : 'available' };
}

/** The stock, each card with its state as it stands; `state` filters. */
export function stockView(stock: CardStockStore, store: AccessStore, state?: StockViewState): StockEntry[] {
  const holders = cardHolders(store);
  const entries = stock.list().map((row) => stockEntry(row, holders));
  return state === undefined ? entries : entries.filter((e) => e.state === state);
}
