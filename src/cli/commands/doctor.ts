/** `lockgw doctor`: the database's state (and a safety-only mode), integrity, schema version, counts, journal health. */
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { EXIT, type CliContext } from '../cliContext.js';
import { integrityCheckReport, storeReport } from '../reports.js';
import { configOption } from './commonOptions.js';

export function registerDoctor(program: Command, cli: CliContext): void {
  configOption(program.command('doctor'))
    .description("checks the gateway's database (read-only): state, integrity, schema version, counts, journal; exit 2 on a problem")
    .option('--json', 'one JSON object: {ok, lines}')
    .addHelpText('after', '\nExample:\n  sudo lockgw doctor')
    .action(async (o: { config?: string; json?: boolean }) => {
      // the database first, read-only: a bad file gets its cause and its recovery, not a stack trace
      const config = cli.config(o.config);
      const dataDir = resolve(config.gateway.dataDir);
      const store = storeReport(join(dataDir, config.store.file), dataDir, config.cloud.enabled);
      const lines = [...store.lines];
      let ok = store.usable;
      if (store.usable) {
        const report = await cli.withGateway(o.config, (g) => integrityCheckReport(g));
        lines.push(...report.lines);
        ok = report.ok;
      }
      if (o.json) cli.out(JSON.stringify({ ok, lines }));
      else for (const line of lines) cli.out(line);
      cli.exitCode = ok ? EXIT.ok : EXIT.usage;
    });
}
