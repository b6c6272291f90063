/**
 * What every verb of the `lockgw` command shares: where it writes, the environment it reads, how
 * it finds the configuration (configLookup.ts: --config, $LOCKGW_CONFIG, /etc/lockgw/lockgw.yaml,
 * else the demo — said on stderr every time), a rules-only gateway on the database for verbs that
 * read it, and the exit code the verb leaves.
 */
import { resolve } from 'node:path';
import type { GatewayConfig } from '../app/config/configSchema.js';
import { demoFallbackNotice, lookUpConfig, SYSTEM_CONFIG_PATH, type ConfigLookup } from '../app/config/configLookup.js';
import { loadConfig } from '../app/config/loadConfig.js';
import { Gateway } from '../app/gateway.js';
import { SystemClock } from '../kernel/clock.js';
import { createLogger } from '../kernel/logger.js';

export type Out = (line: string) => void;

/** Documented exit codes of every verb (README, `lockgw --help`). */
export const EXIT = { ok: 0, error: 1, usage: 2, refused: 3 } as const;

/** Codes that mean the input was wrong (exit 2) or the gateway refused it (exit 3); every other failure is 1. */
const USAGE_CODES: ReadonlySet<string> = new Set(['INPUT_INVALID', 'NOT_FOUND', 'RECORD_INVALID', 'REFERENCE_MISSING', 'DUPLICATE_CREDENTIAL', 'RECORD_IN_USE', 'BATCH_INVALID', 'SYSTEM_KEY_READONLY']);
const REFUSED_CODES: ReadonlySet<string> = new Set(['NOT_AUTHORISED', 'CLOUD_MANAGED', 'POLICY_REFUSED']);

/** The exit code of a failure's code (a GatewayError's, or a control socket answer's): one table for every verb. */
export function exitCodeFor(code: string): number {
  if (USAGE_CODES.has(code)) return EXIT.usage;
  if (REFUSED_CODES.has(code)) return EXIT.refused;
  return EXIT.error;
}

export interface CliIo {
  out: Out;
  err: Out;
  env: NodeJS.ProcessEnv;
  /** the system configuration's path (tests give their own) */
  systemConfigPath: string;
}

export function processIo(): CliIo {
  return {
    out: (l) => process.stdout.write(`${l}\n`),
    err: (l) => process.stderr.write(`${l}\n`),
    env: process.env,
    systemConfigPath: SYSTEM_CONFIG_PATH,
  };
}

export class CliContext {
  /** the exit code the last verb left */
  exitCode: number = EXIT.ok;

  /** the lookups made so far, so a verb that loads twice says the demo notice once */
  private readonly lookups = new Map<string | undefined, ConfigLookup>();

  constructor(readonly io: CliIo) {}

  get out(): Out {
    return this.io.out;
  }

  get err(): Out {
    return this.io.err;
  }

  /** The configuration file a verb uses (undefined: the embedded defaults, said on stderr). */
  configPath(flag: string | undefined): string | undefined {
    return this.lookup(flag).path;
  }

  /** Where the configuration comes from (the demo fallback is said on stderr, once per command). */
  lookup(flag: string | undefined): ConfigLookup {
    const known = this.lookups.get(flag);
    if (known) return known;
    const found = lookUpConfig({ flag, env: this.io.env, systemPath: this.io.systemConfigPath });
    if (found.source === 'demo') this.err(demoFallbackNotice(this.io.systemConfigPath));
    this.lookups.set(flag, found);
    return found;
  }

  config(flag: string | undefined): GatewayConfig {
    return loadConfig(this.configPath(flag));
  }

  /** The socket of the daemon the configuration describes. */
  socketPath(config: GatewayConfig): string {
    return resolve(config.gateway.dataDir, config.control.socket);
  }

  /** Runs `work` on a rules-only gateway over the configured database (no devices, no cloud). */
  async withGateway<T>(flag: string | undefined, work: (g: Gateway) => T | Promise<T>): Promise<T> {
    const config = this.config(flag);
    const logger = createLogger('warn', config.log.format, { destination: process.stderr, fd: 2 });
    const gateway = new Gateway(config, { clock: new SystemClock(), logger, rulesOnly: true });
    await gateway.start();
    try {
      return await work(gateway);
    } finally {
      await gateway.stop();
    }
  }
}
