/** `lockgw journal`: the events this gateway recorded, oldest first, as readable lines or JSON lines. */
import type { Command } from 'commander';
import type { CliContext } from '../cliContext.js';
import { formatEvent } from '../reports.js';
import { configOption, wholeNumber } from './commonOptions.js';

export function registerJournal(program: Command, cli: CliContext): void {
  configOption(program.command('journal'))
    .description('the events this gateway recorded (decisions, alarms, mode changes), oldest first')
    .option('--after <seq>', 'only events after this sequence number', wholeNumber(), 0)
    .option('--limit <n>', 'at most this many events', wholeNumber(1), 50)
    .option('--json', 'one JSON object per event')
    .addHelpText('after', '\nExamples:\n  lockgw journal --limit 20\n  lockgw journal --after 1200 --json')
    .action((o: { config?: string; after: number; limit: number; json?: boolean }) =>
      cli.withGateway(o.config, (g) => {
        const zone = g.index.timeZone;
        for (const e of g.journal.read(o.after, o.limit)) cli.out(o.json ? JSON.stringify(e) : formatEvent(e, zone));
      }),
    );
}
