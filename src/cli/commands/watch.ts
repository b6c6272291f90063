/** `lockgw watch [--door D]`: live decisions, alarms and health changes of the running daemon, until Ctrl-C. */
import type { Command } from 'commander';
import type { CliContext } from '../cliContext.js';
import { runStreamVerb } from '../streamVerb.js';
import { streamLineText } from '../streamLines.js';
import { configOption } from './commonOptions.js';

export function registerWatch(program: Command, cli: CliContext): void {
  configOption(program.command('watch'))
    .description('live decisions, alarms, mode changes and device health changes, as they happen (site-local times), until Ctrl-C')
    .option('--door <id>', "one door (and the site's own events)")
    .option('--json', 'one JSON object per line, as the daemon sends them')
    .addHelpText('after', '\nExamples:\n  lockgw watch\n  lockgw watch --door lobby --json')
    .action(async (o: { config?: string; door?: string; json?: boolean }) => {
      const config = cli.config(o.config);
      cli.exitCode = await runStreamVerb(
        { request: { command: 'watch', ...(o.door ? { door: o.door } : {}) }, prove: false, json: o.json === true, format: streamLineText },
        cli.socketPath(config), cli.out, cli.err,
      );
    });
}
