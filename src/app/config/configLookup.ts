/**
 * Which configuration a command uses: `--config FILE`, else `$LOCKGW_CONFIG`, else the system
 * file (/etc/lockgw/lockgw.yaml) when it exists, else the embedded demo defaults (simulated doors,
 * SQLite under ./data, no cloud). The fallback to the demo is said on stderr every time, so an
 * installer over SSH who forgot `--config` never mistakes the demo database for the site's.
 */
import { existsSync } from 'node:fs';

export const SYSTEM_CONFIG_PATH = '/etc/lockgw/lockgw.yaml';

export interface ConfigLookup {
  /** the file to load, or undefined for the embedded defaults */
  path: string | undefined;
  /** where the path came from */
  source: 'flag' | 'env' | 'system' | 'demo';
}

export interface ConfigLookupInput {
  flag: string | undefined;
  env: NodeJS.ProcessEnv;
  /** the system file's path (a test gives its own) */
  systemPath?: string;
}

export function lookUpConfig({ flag, env, systemPath = SYSTEM_CONFIG_PATH }: ConfigLookupInput): ConfigLookup {
  if (flag !== undefined && flag !== '') return { path: flag, source: 'flag' };
  const fromEnv = env.LOCKGW_CONFIG;
  if (fromEnv !== undefined && fromEnv !== '') return { path: fromEnv, source: 'env' };
  if (existsSync(systemPath)) return { path: systemPath, source: 'system' };
  return { path: undefined, source: 'demo' };
}

/** The line said on stderr when no configuration was found. */
export function demoFallbackNotice(systemPath = SYSTEM_CONFIG_PATH): string {
  return `lockgw: no configuration (no --config, no $LOCKGW_CONFIG, no ${systemPath}): using the embedded demo defaults (simulated doors, database under ./data)`;
}
