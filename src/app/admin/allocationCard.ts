/**
 * Choosing a keycard from the site's stock (docs/standalone.md, "Allocation"): `random` takes
 * one of the available cards (crypto randomness), `preferred` the asked card if it is available
 * and another one otherwise (and says why), `strict` the asked card or a refusal naming its
 * state. Only available cards are allocated: an assigned, used, lost or retired card never is.
 * A site without a stock (no card ever added) writes a given card as before, unchecked.
 */
import { randomInt } from 'node:crypto';
import { maskCardValue, parseCardNumber } from '../../kernel/cardNumber.js';
import { GatewayError } from '../../kernel/gatewayError.js';
import type { StockWrite } from '../../store/cardStockStore.js';
import type { Allocation } from '../../wire/adminProtocol.js';
import type { PlanContext } from './adminPlan.js';
import { cardHolders, stockEntry, type StockEntry } from './cardStockView.js';

export interface CardChoice {
  card: string;
  drawn: boolean;
  /** the stock row's change (none without a stock) */
  writes: StockWrite[];
  /** a line for the caller and the journal (masked) */
  line?: string;
  note?: string;
}

function refused(credentialId: string, why: string, hint: string): GatewayError {
  return new GatewayError('POLICY_REFUSED', `credential ${credentialId}: ${why}`, { entity: 'credential', id: credentialId, field: 'card', hint });
}

/** Why a stock card cannot be allocated, or null when it is available. */
function unavailable(entry: StockEntry | undefined, masked: string): string | null {
  if (entry === undefined) return `card ${masked} is not in this site's stock`;
  switch (entry.state) {
    case 'available':
      return null;
    case 'assigned':
      return `card ${masked} is assigned to credential ${entry.credentialId}`;
    case 'used':
      return `card ${masked} was used (assigned to ${entry.credentialId ?? 'a credential'}, then revoked): return it to stock first (lockgw stock return)`;
    case 'lost':
    case 'retired':
      return `card ${masked} is ${entry.state}`;
  }
}

/** Normalises an asked card number; a bad one is INPUT_INVALID naming the field. */
export function normalisedCard(text: string, field: string): string {
  const parsed = parseCardNumber(text);
  if (!parsed.ok) throw new GatewayError('INPUT_INVALID', `${field}: ${parsed.reason}`, { field });
  return parsed.value;
}

export function allocateCard(ctx: PlanContext, request: { credentialId: string; personId: string; allocation: Allocation; asked?: string }): CardChoice {
  const { credentialId, personId, allocation } = request;
  const asked = request.asked === undefined ? undefined : normalisedCard(request.asked, 'card');
  if (allocation !== 'random' && asked === undefined) throw new GatewayError('INPUT_INVALID', `credential ${credentialId}: allocation ${allocation} needs a specific keycard (--card)`, { entity: 'credential', id: credentialId, field: 'card' });
  if (ctx.stock.isEmpty()) {
    if (asked !== undefined) return { card: asked, drawn: false, writes: [] };
    throw refused(credentialId, 'this site has no keycard stock to draw from', 'add cards with lockgw stock add, or give the card with --card');
  }
  const holders = cardHolders(ctx.store);
  const assign = (card: string, drawn: boolean, note?: string): CardChoice => ({
    card, drawn, writes: [{ write: 'assign', card, credentialId, personId, at: ctx.now }], line: `assign stock card ${maskCardValue(card)} to ${credentialId}`, ...(note ? { note } : {}),
  });
  const draw = (): string => {
    const available = ctx.stock.list('available').filter((row) => !holders.has(row.card));
    if (available.length === 0) throw refused(credentialId, 'no keycard of the stock is available (every one is assigned, used, lost or retired)', 'add cards with lockgw stock add, or return used ones with lockgw stock return');
    return available[randomInt(available.length)]!.card;
  };
  if (asked === undefined) return assign(draw(), true);
  const row = ctx.stock.get(asked);
  const why = unavailable(row && stockEntry(row, holders), maskCardValue(asked));
  if (why === null) return assign(asked, false);
  if (allocation === 'strict') throw refused(credentialId, `${why} (allocation strict)`, 'lockgw stock list --state available shows the cards that can be given, or give --allocation preferred');
  return assign(draw(), true, `the asked keycard was not used (${why}): another available card was taken`);
}
