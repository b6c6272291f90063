/**
 * The daemon: load the config, build the gateway, start it, print the ready line, and stop
 * gracefully on SIGTERM/SIGINT. `src/main.ts` (the entry) and `lockgw run` call it.
 */
import { parseArgs } from 'node:util';
import { SystemClock } from '../kernel/clock.js';
import { lookUpConfig } from './config/configLookup.js';
import { loadConfig } from './config/loadConfig.js';
import { missingDaemonFlags } from './daemonNodeFlags.js';
import { Gateway } from './gateway.js';
import { createLogger } from '../kernel/logger.js';
import { ControlServer } from '../control/controlServer.js';
import { join, resolve } from 'node:path';
import { GatewayError } from '../kernel/gatewayError.js';
import { lockgwVersion } from './version.js';

export const DAEMON_USAGE = `usage: npm start -- [options]   (or: lockgw run [options], node dist/src/main.js [options])
  --config, -c FILE   the configuration (default: $LOCKGW_CONFIG, else /etc/lockgw/lockgw.yaml,
                      else the embedded defaults: simulated doors, SQLite under ./data, no cloud)
  --version           print lockgw's version
  --help, -h          this help`;

/** The daemon's options; a wrong one is INPUT_INVALID naming it (exit 2), never a stack trace. */
function daemonOptions(argv: string[]): { config?: string; help?: boolean; version?: boolean } {
  try {
    return parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' }, version: { type: 'boolean' } }, strict: true }).values;
  } catch (err) {
    throw new GatewayError('INPUT_INVALID', (err as Error).message, { hint: DAEMON_USAGE });
  }
}

/** Runs the daemon until SIGTERM/SIGINT; with --help or --version prints and returns. */
export async function runDaemon(argv: string[], out: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<void> {
  const values = daemonOptions(argv);
  if (values.help) return out(DAEMON_USAGE);
  if (values.version) return out(`lockgw ${lockgwVersion()}`);
  // the same lookup as the CLI's; on the demo defaults the ready line says so
  const config = loadConfig(lookUpConfig({ flag: values.config, env: process.env }).path);
  const rootLogger = await createLogger(config.log.level, config.log.pretty);
  const logger = rootLogger.child({ module: 'main' });
  const missing = missingDaemonFlags(process.execArgv);
  if (missing.length > 0) {
    logger.warn({ missing }, `node was started without ${missing.join(' ')}: the doors pause longer during a large sync (start with npm start or systemd/lockgw.service, which pass them)`);
  }
  const clock = new SystemClock();
  const gateway = new Gateway(config, { clock, logger: rootLogger });
  await gateway.start();
  let control = config.control.enabled
    ? new ControlServer({
        path: resolve(gateway.dataDir, config.control.socket),
        dbPath: join(gateway.dataDir, config.store.file),
        target: gateway.controlTarget(),
        clock,
        logger: rootLogger,
        group: config.control.group,
        operators: config.control.operators,
      })
    : null;
  try {
    await control?.start();
  } catch (err) {
    // the doors do not need the control socket: run without it, and say why
    logger.error({ code: (err as { code?: string }).code }, `control socket disabled: ${(err as Error).message}`);
    control = null;
  }

  const index = gateway.index;
  const counts = gateway.store.counts();
  const safety = gateway.safetyOnly;
  // safety-only mode (docs/door-path.md): the daemon runs its doors rather than exit on a bad database
  if (safety !== null) {
    logger.error(
      { gatewayId: config.gateway.id, mode: 'safety-only', cause: safety.cause, file: safety.file, journal: safety.journal, doors: gateway.doors.status().length },
      `lockgw ready in SAFETY-ONLY mode: ${gateway.doors.status().length} doors run; fire release and request-to-exit work; every credential is denied (rules_unavailable) ` +
        `because the database ${safety.file} is ${safety.cause}. lockgw status and lockgw doctor say how to recover.`,
    );
  } else {
    logger.info(
      { gatewayId: config.gateway.id, site: index.siteId, timeZone: index.timeZone, revision: index.revision, hash: index.hash, ...counts },
      `lockgw ready: site ${index.siteName ?? '(none yet)'} (${index.timeZone}), ${counts.doors} doors, ${counts.keys} keys, ` +
        `${counts.people} people, ${counts.credentials} credentials, revision ${index.revision}.` +
        // the hint drives simulated devices: only where there are some (the demo)
        (gateway.simulated?.doors.has('lobby') ? ' Try: npm run lockgw -- sim present --door lobby --card 26:12:34567' : ''),
    );
  }

  // the daemon's own heartbeat: journal health every minute (also keeps the process alive), and
  // the safety-only mode repeated while it lasts
  const heartbeat = setInterval(() => {
    const s = gateway.journal.stats();
    logger.debug({ journal: s }, 'heartbeat');
    const still = gateway.safetyOnly;
    if (still !== null) logger.error({ cause: still.cause, file: still.file, since: still.since }, `still in SAFETY-ONLY mode: every credential is denied (rules_unavailable). ${still.recovery}`);
  }, 60_000);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    clearInterval(heartbeat);
    logger.info({ signal }, 'stopping');
    try {
      await control?.stop();
      await gateway.stop();
      process.exitCode = 0;
    } catch (err) {
      logger.error({ err }, 'stop failed');
      process.exitCode = 1;
    }
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));

  // a bug must not leave a strike released: return every actuator to its unpowered state, then exit
  const crash = (err: unknown) => {
    logger.fatal({ err }, 'crash: releasing nothing, de-energising every actuator and exiting');
    const deadline = setTimeout(() => process.exit(1), CRASH_STOP_DEADLINE_MS);
    deadline.unref();
    void gateway.stop().catch(() => undefined).finally(() => process.exit(1));
  };
  process.once('uncaughtException', crash);
  process.once('unhandledRejection', crash);
}

/** how long a crashing daemon may spend returning its actuators to rest before it exits anyway */
const CRASH_STOP_DEADLINE_MS = 2_000;
