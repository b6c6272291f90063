/**
 * `lockgw doctor`: everything an installer checks before leaving a site, each finding with a hint:
 * the configuration in use, the database (state, integrity, schema version, counts, journal), the
 * device secret, the disk, and from the running daemon each door's devices, the serial links
 * (bridge firmware), the cloud link (connected, last signed heartbeat, clock skew, revisions) and
 * the journal's fill. Read-only. Exit 0 when nothing is wrong, 2 on any problem (warnings do not fail).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { systemAccounts } from '../../control/userNames.js';
import type { GatewayHealth } from '../../control/controlTarget.js';
import { isGatewayError } from '../../kernel/gatewayError.js';
import { EXIT, type CliContext } from '../cliContext.js';
import { ControlSession } from '../controlClient.js';
import { type Check, checkLines, problem, warn } from '../doctor/check.js';
import { cloudChecks, doorChecks, journalFillCheck, linkChecks } from '../doctor/daemonChecks.js';
import { configCheck, diskCheck, secretCheck } from '../doctor/localChecks.js';
import { integrityCheckReport, storeReport } from '../reports.js';
import { configOption } from './commonOptions.js';

/** The daemon's answer to `health`, or why there is none. */
async function askDaemon(socket: string): Promise<{ health: GatewayHealth; doors: Parameters<typeof doorChecks>[0] } | { error: string; hint?: string }> {
  let session: ControlSession;
  try {
    session = await ControlSession.open(socket);
  } catch (err) {
    if (!isGatewayError(err)) throw err;
    return { error: err.message, ...(err.details.hint ? { hint: err.details.hint } : {}) };
  }
  try {
    const r = await session.request({ command: 'health' });
    if (!r.ok) return { error: `${r.code}: ${r.error}` };
    return { health: r.health as GatewayHealth, doors: (r.doors ?? []) as Parameters<typeof doorChecks>[0] };
  } finally {
    session.close();
  }
}

export function registerDoctor(program: Command, cli: CliContext): void {
  configOption(program.command('doctor'))
    .description('checks everything (read-only): config, database, device secret, disk; from the daemon each device, bridge firmware, the cloud link, clock, journal; exit 2 on a problem')
    .option('--json', 'one JSON object: {ok, checks, lines}')
    .addHelpText('after', '\nExample:\n  sudo lockgw doctor\n\nWarnings do not fail the doctor; any PROBLEM exits 2, each with a hint.')
    .action(async (o: { config?: string; json?: boolean }) => {
      const found = cli.lookup(o.config);
      const config = cli.config(o.config);
      const dataDir = resolve(config.gateway.dataDir);
      const dbPath = join(dataDir, config.store.file);
      const accounts = systemAccounts();
      const checks: Check[] = [configCheck(found)];
      // the database first, read-only: a bad file gets its cause and its recovery, not a stack trace
      const store = storeReport(dbPath, dataDir, config.cloud.enabled);
      const lines = [...store.lines];
      let ok = store.usable;
      const secret = secretCheck(join(dataDir, config.secrets.deviceSecretFile), existsSync(dbPath), accounts);
      if (store.usable && secret.status !== 'problem') {
        try {
          const report = await cli.withGateway(o.config, (g) => integrityCheckReport(g));
          lines.push(...report.lines);
          ok = report.ok;
        } catch (err) {
          if (!isGatewayError(err)) throw err;
          checks.push(problem('database', err.message, err.details.hint));
        }
      }
      checks.push(secret, diskCheck(dataDir));
      const daemon = await askDaemon(cli.socketPath(config));
      if ('error' in daemon) {
        // the demo on a laptop need not be running; a site's gateway must
        checks.push((found.source === 'demo' ? warn : problem)('daemon', daemon.error, daemon.hint));
      } else {
        const { health } = daemon;
        checks.push(...doorChecks(daemon.doors), ...linkChecks(health), ...cloudChecks(health, Date.now(), config.cloud.sync.staleAfterMs), journalFillCheck(health.journal));
      }
      lines.push(...checkLines(checks));
      ok = ok && checks.every((c) => c.status !== 'problem');
      if (o.json) cli.out(JSON.stringify({ ok, checks, lines }));
      else for (const line of lines) cli.out(line);
      cli.exitCode = ok ? EXIT.ok : EXIT.usage;
    });
}
