/**
 * `lockgw stock add|list|lost|retire|return`: the site's keycard stock (docs/standalone.md,
 * "Allocation"), the cards credential add draws from. Cards come as numbers, as a range
 * (26:12:40000-40099) or as a CSV file (the first column, or the column named `card`); every bad
 * one is named by its place (the argument, file:line) before anything is sent.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { maskCardValue, parseCardNumber } from '../../kernel/cardNumber.js';
import { GatewayError } from '../../kernel/gatewayError.js';
import type { StockEntry } from '../../app/admin/cardStockView.js';
import { MAX_STOCK_CARDS, STOCK_VIEW_STATES } from '../../wire/adminProtocol.js';
import type { CliContext } from '../cliContext.js';
import { runAdmin, type AdminCliOptions } from '../adminClient.js';
import { adminOptions } from './adminOptions.js';

interface AddOptions extends AdminCliOptions {
  range?: string[];
  csv?: string;
}

function checked(text: string, where: string): string {
  const parsed = parseCardNumber(text);
  if (!parsed.ok) throw new GatewayError('INPUT_INVALID', `${where}: ${parsed.reason}`, { field: 'card' });
  return parsed.value;
}

/** `26:12:40000-40099` → each card of the range, ends included. */
export function cardRange(text: string): string[] {
  const m = /^(\d{1,3}:\d{1,10}:)(\d{1,12})-(\d{1,12})$/.exec(text);
  if (!m) throw new GatewayError('INPUT_INVALID', `--range takes BITS:FACILITY:FIRST-LAST (26:12:40000-40099), not "${text}"`, { field: 'range' });
  const first = Number(m[2]), last = Number(m[3]);
  if (last < first) throw new GatewayError('INPUT_INVALID', `--range ${text}: the last number is below the first`, { field: 'range' });
  if (last - first + 1 > MAX_STOCK_CARDS) throw new GatewayError('INPUT_INVALID', `--range ${text}: ${last - first + 1} cards, more than ${MAX_STOCK_CARDS} at once`, { field: 'range' });
  checked(`${m[1]}${last}`, `--range ${text}`);
  return Array.from({ length: last - first + 1 }, (_, i) => `${m[1]}${first + i}`);
}

/** A CSV's cards: the column named `card`, else the first; blank lines skipped. */
export function csvCards(text: string, source: string): string[] {
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').split(',').map((h) => h.trim().toLowerCase());
  const named = header.indexOf('card');
  const column = named >= 0 ? named : 0;
  const start = named >= 0 || !parseCardNumber(header[0]).ok ? 1 : 0;
  const cards: string[] = [];
  for (let i = start; i < lines.length; i++) {
    const field = (lines[i]!.split(',')[column] ?? '').trim().replace(/^"(.*)"$/, '$1');
    if (lines[i]!.trim() === '') continue;
    cards.push(checked(field, `${source}:${i + 1}`));
  }
  return cards;
}

function describe(data: unknown): string[] {
  const list = data as StockEntry[];
  if (list.length === 0) return ['no cards'];
  return list.map((e) => `${maskCardValue(e.card).padEnd(18)} ${e.state.padEnd(10)} ${e.credentialId ? `${e.credentialId} (${e.personId ?? '?'})` : '-'}  since ${new Date(e.since).toISOString()}`);
}

export function registerStock(program: Command, cli: CliContext): void {
  const stock = program
    .command('stock')
    .description("the site's keycard stock: the cards credential add allocates (available, assigned, used, lost, retired)")
    .addHelpText('after', '\nExamples:\n  lockgw stock add --range 26:12:40000-40099\n  lockgw stock add --csv delivery.csv\n  lockgw stock list --state available\n  lockgw stock lost 26:12:40007\n  lockgw stock return 26:12:40003');
  adminOptions(stock.command('add'), ['lockgw stock add 26:12:40000 26:12:40001', 'lockgw stock add --range 26:12:40000-40099', 'lockgw stock add --csv delivery.csv'])
    .description('add cards to the stock as available (owner, manager, installer)')
    .argument('[cards...]', 'card numbers: 26:12:40000')
    .option('--range <first-last>', 'a range of one facility: 26:12:40000-40099 (repeat it)', (v: string, p: string[] = []) => [...p, v])
    .option('--csv <file>', 'a CSV of cards: the column named card, or the first')
    .action((cards: string[], o: AddOptions) => {
      const all = cards.map((c, i) => checked(c, `card ${i + 1}`));
      for (const r of o.range ?? []) all.push(...cardRange(r));
      if (o.csv !== undefined) all.push(...csvCards(readFileSync(o.csv, 'utf8'), o.csv));
      if (all.length === 0) throw new GatewayError('INPUT_INVALID', 'stock add needs cards, --range or --csv', { field: 'cards' });
      return runAdmin(cli, o, { verb: 'stock.add', cards: all });
    });
  adminOptions(stock.command('list'), ['lockgw stock list --state available', 'lockgw stock list --json'], false)
    .description('the stock: each card, its state, who holds it, since when (numbers masked; --json in full)')
    .option('--state <state>', `only these: ${STOCK_VIEW_STATES.join(', ')}`)
    .action((o: AdminCliOptions & { state?: string }) => runAdmin(cli, o, { verb: 'stock.list', ...(o.state ? { state: o.state } : {}) }, describe));
  adminOptions(stock.command('lost'), ['lockgw stock lost 26:12:40007'])
    .description('a card is lost: the credential that holds it is kept as lost, in the same batch')
    .argument('<card>', 'the card number')
    .action((card: string, o: AdminCliOptions) => runAdmin(cli, o, { verb: 'stock.lost', card }));
  adminOptions(stock.command('retire'), ['lockgw stock retire 26:12:40007'])
    .description('take a card out of the stock for good (damaged, destroyed); an assigned card is revoked first')
    .argument('<card>', 'the card number')
    .action((card: string, o: AdminCliOptions) => runAdmin(cli, o, { verb: 'stock.retire', card }));
  adminOptions(stock.command('return'), ['lockgw stock return 26:12:40003'])
    .description('a used (handed back) or found card goes back to available')
    .argument('<card>', 'the card number')
    .action((card: string, o: AdminCliOptions) => runAdmin(cli, o, { verb: 'stock.return', card }));
}
