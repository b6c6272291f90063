/** `lockgw status`: every door of the running daemon (its control socket), with the database's state. */
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { EXIT, type CliContext } from '../cliContext.js';
import { runControlCommand } from '../controlCommand.js';
import { storeReport } from '../reports.js';
import { configOption } from './commonOptions.js';

export function registerStatus(program: Command, cli: CliContext): void {
  configOption(program.command('status'))
    .description('every door of the running daemon: mode, lock, position, health, alarms; and the database state')
    .option('--json', "the daemon's answer as one JSON object")
    .addHelpText('after', '\nExample:\n  lockgw status')
    .action(async (o: { config?: string; json?: boolean }) => {
      const config = cli.config(o.config);
      // the doors from the daemon; the database's state (and a safety-only mode) from the files
      const dataDir = resolve(config.gateway.dataDir);
      const store = storeReport(join(dataDir, config.store.file), dataDir, config.cloud.enabled);
      let told = false;
      const tell = () => {
        if (!told) for (const line of store.lines) cli.out(line);
        told = true;
      };
      // offline: what is wrong with the database first, then the error (no daemon, how to start it)
      const code = await runControlCommand('status', [], { json: o.json }, cli.socketPath(config), cli.out, (line) => {
        tell();
        cli.err(line);
      });
      tell();
      cli.exitCode = code !== EXIT.ok ? code : store.usable ? EXIT.ok : EXIT.usage;
    });
}
