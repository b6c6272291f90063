/**
 * `lockgw journal`: the local access history — what happened at the doors, acknowledged by the
 * cloud or not — filtered by time, door, person and kind; one readable line per event in the
 * site's time zone (or one JSON object per line). Reads the database only; the daemon keeps
 * writing meanwhile (docs/durability.md, "Local history").
 */
import { Option, type Command } from 'commander';
import { GatewayError, isGatewayError } from '../../kernel/gatewayError.js';
import type { JournalEntry } from '../../journal/journal.js';
import { JOURNAL_KINDS, MAX_QUERY_LIMIT, type JournalKind } from '../../journal/journalQuery.js';
import type { CliContext } from '../cliContext.js';
import { parseInstant } from '../parseInstant.js';
import { configOption, wholeNumber } from './commonOptions.js';

interface JournalOptions {
  config?: string;
  since?: string;
  until?: string;
  door?: string;
  person?: string;
  kind?: JournalKind;
  limit: number;
  json?: boolean;
}

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `2h`, `30m`, `7d`, `90s`, `1w` before now, or a date-time (site time unless it has an offset). */
function when(text: string, flag: '--since' | '--until', timeZone: string, now: number): number {
  const ago = /^(\d{1,6})([smhdw])$/.exec(text);
  if (ago) return now - Number(ago[1]) * UNIT_MS[ago[2]!]!;
  try {
    return parseInstant(text, timeZone);
  } catch (err) {
    if (!isGatewayError(err)) throw err;
    const field = flag.slice(2);
    throw new GatewayError('INPUT_INVALID', err.message.replace('--at', flag), { field, hint: `a time ago (2h, 30m, 7d) or a date-time: ${err.details.hint ?? ''}` });
  }
}

/** One event for people: local date and time, door, what happened, who, why. */
function historyLine(e: JournalEntry, timeZone: string): string {
  const time = new Date(e.at).toLocaleString('sv-SE', { timeZone });
  const what = e.type === 'access' ? (e.grant ? 'GRANTED' : 'DENIED') : e.type.toUpperCase();
  const why = [e.reason ?? '', e.keyId ? `(key ${e.keyId})` : ''].filter(Boolean).join(' ');
  return `${time}  ${(e.doorId ?? 'site').padEnd(14)} ${what.padEnd(8)} ${(e.personId ?? '-').padEnd(14)} ${why}`.trimEnd();
}

export function registerJournal(program: Command, cli: CliContext): void {
  configOption(program.command('journal'))
    .description('the local access history: decisions, alarms and mode changes, oldest first, in the site\'s time zone')
    .option('--since <time>', 'from this time: 2h, 30m, 7d ago, or a date-time (site time, or with an offset)')
    .option('--until <time>', 'before this time (same forms as --since)')
    .option('--door <id>', 'only this door')
    .option('--person <id>', 'only this person')
    .addOption(new Option('--kind <kind>', 'only this kind of event').choices(JOURNAL_KINDS))
    .option('--limit <n>', `the newest n events that match (at most ${MAX_QUERY_LIMIT})`, wholeNumber(1), 50)
    .option('--json', 'one JSON object per event')
    .addHelpText(
      'after',
      '\nExamples:\n  lockgw journal --since 2h --door lobby --person alice\n  lockgw journal --since 7d --kind denied\n  lockgw journal --since 2026-12-24T18:00 --until 2026-12-25T08:00 --kind alarm --json',
    )
    .action((o: JournalOptions) =>
      cli.withGateway(o.config, (g) => {
        const zone = g.index.timeZone;
        const now = Date.now();
        const events = g.journal.query({
          ...(o.since !== undefined ? { since: when(o.since, '--since', zone, now) } : {}),
          ...(o.until !== undefined ? { until: when(o.until, '--until', zone, now) } : {}),
          ...(o.door !== undefined ? { doorId: o.door } : {}),
          ...(o.person !== undefined ? { personId: o.person } : {}),
          ...(o.kind !== undefined ? { kind: o.kind } : {}),
          limit: Math.min(o.limit, MAX_QUERY_LIMIT),
        });
        for (const e of events) cli.out(o.json ? JSON.stringify(e) : historyLine(e, zone));
      }),
    );
}
