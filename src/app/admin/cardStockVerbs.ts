/**
 * stock add / list / lost / retire / return: the site's keycard stock (docs/standalone.md,
 * "Allocation"; store/cardStockStore.ts) as plans (adminPlan.ts). Card numbers are normalised as
 * the readers' frames are (kernel/cardNumber.ts) and masked in every line a plan says. `lost`
 * also marks the credential that holds the card lost, in the same batch; `return` puts a used or
 * lost card back among the available ones (the only way a used card is allocated again).
 */
import { credentialInput } from '../../access/site/siteRecords.js';
import { maskCardValue } from '../../kernel/cardNumber.js';
import { GatewayError } from '../../kernel/gatewayError.js';
import type { StockWrite } from '../../store/cardStockStore.js';
import type { AdminRequest } from '../../wire/adminProtocol.js';
import type { AdminPlan, PlanContext } from './adminPlan.js';
import { normalisedCard } from './allocationCard.js';
import { cardHolders, stockEntry, stockView, type StockEntry } from './cardStockView.js';

type StockRequest = Extract<AdminRequest, { verb: 'stock.add' | 'stock.list' | 'stock.lost' | 'stock.retire' | 'stock.return' }>;

function entryOf(ctx: PlanContext, text: string): StockEntry {
  const card = normalisedCard(text, 'card');
  const row = ctx.stock.get(card);
  if (row === undefined) throw new GatewayError('NOT_FOUND', `card ${maskCardValue(card)} is not in this site's stock (card)`, { entity: 'card_stock', field: 'card', hint: 'lockgw stock list shows the stock' });
  return stockEntry(row, cardHolders(ctx.store));
}

function wrongState(entry: StockEntry, verb: string, allowed: string): GatewayError {
  return new GatewayError('INPUT_INVALID', `card ${maskCardValue(entry.card)} is ${entry.state}: ${verb} takes a card that is ${allowed} (card)`, { entity: 'card_stock', field: 'card' });
}

export function planStock(ctx: PlanContext, request: StockRequest): AdminPlan {
  switch (request.verb) {
    case 'stock.list':
      return { ops: [], keyIds: [], data: stockView(ctx.stock, ctx.store, request.state) };
    case 'stock.add': {
      const seen = new Set<string>();
      const writes: StockWrite[] = [];
      let known = 0;
      request.cards.forEach((text, i) => {
        const card = normalisedCard(text, `cards[${i}]`);
        if (seen.has(card)) return;
        seen.add(card);
        if (ctx.stock.get(card) !== undefined) known++;
        else writes.push({ write: 'add', card, at: ctx.now, by: ctx.by });
      });
      const note = known > 0 ? `${known} of the cards given are in the stock already and were left as they are` : undefined;
      const lines = writes.length === 0 ? [] : [`add ${writes.length} card${writes.length === 1 ? '' : 's'} to the stock (${maskCardValue(writes[0]!.card)}${writes.length > 1 ? ` … ${maskCardValue(writes[writes.length - 1]!.card)}` : ''})`];
      return { ops: [], keyIds: [], ...(writes.length ? { local: { stock: writes, lines } } : {}), ...(note ? { note } : {}) };
    }
    case 'stock.lost': {
      const entry = entryOf(ctx, request.card);
      if (entry.state === 'lost' || entry.state === 'retired') throw wrongState(entry, 'stock lost', 'available, assigned or used');
      const holder = entry.state === 'assigned' && entry.credentialId !== null ? ctx.store.credential(entry.credentialId) : undefined;
      const ops = holder === undefined || holder.status === 'lost' ? [] : [{ op: 'upsert' as const, entity: 'credential' as const, record: { ...credentialInput(holder), status: 'lost' as const } }];
      return {
        ops, keyIds: [],
        local: { stock: [{ write: 'state', card: entry.card, state: 'lost', at: ctx.now }], lines: [`mark stock card ${maskCardValue(entry.card)} lost`] },
        ...(ops.length ? { note: `credential ${holder!.id} is kept as lost: presenting the card is journaled as credential_lost` } : {}),
      };
    }
    case 'stock.retire': {
      const entry = entryOf(ctx, request.card);
      if (entry.state === 'assigned') throw wrongState(entry, 'stock retire', 'not assigned (revoke its credential first)');
      if (entry.state === 'retired') throw wrongState(entry, 'stock retire', 'not retired already');
      return { ops: [], keyIds: [], local: { stock: [{ write: 'state', card: entry.card, state: 'retired', at: ctx.now }], lines: [`retire stock card ${maskCardValue(entry.card)}`] } };
    }
    case 'stock.return': {
      const entry = entryOf(ctx, request.card);
      if (entry.state !== 'used' && entry.state !== 'lost') throw wrongState(entry, 'stock return', 'used or lost');
      if (entry.state === 'lost' && cardHolders(ctx.store).has(entry.card)) throw wrongState({ ...entry, state: 'lost' }, 'stock return', 'held by no credential (revoke the lost credential first)');
      return { ops: [], keyIds: [], local: { stock: [{ write: 'state', card: entry.card, state: 'available', at: ctx.now }], lines: [`return stock card ${maskCardValue(entry.card)} to available`] } };
    }
  }
}
