/** `lockgw list people|keys|credentials|doors|schedules`: the rules on this gateway, as a table or JSON. */
import { Argument, type Command } from 'commander';
import type { CliContext } from '../cliContext.js';
import { parseInstant } from '../parseInstant.js';
import { listRecords, listReport, LISTS } from '../reports.js';
import { configOption } from './commonOptions.js';

export function registerList(program: Command, cli: CliContext): void {
  configOption(program.command('list'))
    .description('the rules on this gateway: people (with their keys), keys, credentials (masked), doors, schedules')
    .addArgument(new Argument('<what>', 'what to list').choices(LISTS))
    .option('--at <date-time>', 'ACTIVE/UPCOMING/EXPIRED as of this instant (site zone)')
    .option('--json', 'one JSON array')
    .addHelpText('after', '\nExamples:\n  lockgw list people\n  lockgw list credentials --json')
    .action((what: string, o: { config?: string; at?: string; json?: boolean }) =>
      cli.withGateway(o.config, (g) => {
        const now = o.at === undefined ? Date.now() : parseInstant(o.at, g.index.timeZone);
        if (o.json) cli.out(JSON.stringify(listRecords(g.store, what, now)));
        else for (const line of listReport(g.store, what, now)) cli.out(line);
      }),
    );
}
