/** A real gateway on a temp data dir with a manual clock and a captured logger. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { ManualClock } from '../../src/kernel/clock.js';
import { parseConfig } from '../../src/app/config/loadConfig.js';
import type { GatewayConfigInput } from '../../src/app/config/configSchema.js';
import { Gateway, type GatewayDeps } from '../../src/app/gateway.js';
import { loggerOptions } from '../../src/kernel/logger.js';

export interface GatewayFixture {
  gateway: Gateway;
  clock: ManualClock;
  dataDir: string;
  logs: string[];
  configFile: string;
}

export async function gatewayFixture(
  t: { teardown(fn: () => unknown): void },
  config: GatewayConfigInput = {},
  start = '2026-11-23T09:00:00Z',
  deps: Omit<GatewayDeps, 'clock' | 'logger'> = {},
): Promise<GatewayFixture> {
  const dataDir = mkdtempSync(join(tmpdir(), 'lockgw-gw-'));
  const logs: string[] = [];
  const sink = new Writable({ write(chunk, _enc, done) { logs.push(String(chunk)); done(); } });
  const logger = pino(loggerOptions('debug'), sink);
  const clock = new ManualClock(start);
  const full = parseConfig({ ...config, gateway: { ...config.gateway, dataDir } });
  const gateway = new Gateway(full, { ...deps, clock, logger });
  await gateway.start();
  const configFile = join(dataDir, 'lockgw.yaml');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(configFile, `gateway:\n  dataDir: ${JSON.stringify(dataDir)}\n`);
  t.teardown(async () => {
    await gateway.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return { gateway, clock, dataDir, logs, configFile };
}
