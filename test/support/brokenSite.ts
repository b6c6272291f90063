/**
 * A gateway's data directory made by a real first start (demo site seeded, marker written), then
 * broken on purpose, and a second gateway started on it with a manual clock and captured logs.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { ManualClock } from '../../src/kernel/clock.js';
import { parseConfig } from '../../src/app/config/loadConfig.js';
import type { GatewayConfigInput } from '../../src/app/config/configSchema.js';
import { Gateway, type GatewayDeps } from '../../src/app/gateway.js';
import { loggerOptions } from '../../src/kernel/logger.js';

export const START = '2026-12-07T12:00:00Z';

export interface BrokenSite {
  dataDir: string;
  dbPath: string;
  clock: ManualClock;
  logs: string[];
  /** a config file for the CLI (--config) naming this data dir */
  configFile: string;
  /** a gateway on the data dir (not started) */
  gateway(deps?: Omit<GatewayDeps, 'clock' | 'logger'>): Gateway;
}

/** A data dir after one normal start and stop: the demo site in lockgw.db, the marker beside it. */
export async function siteAfterFirstStart(t: { teardown(fn: () => unknown): void }, config: GatewayConfigInput = {}): Promise<BrokenSite> {
  const dataDir = mkdtempSync(join(tmpdir(), 'lockgw-safety-'));
  const logs: string[] = [];
  const sink = new Writable({ write(chunk, _enc, done) { logs.push(String(chunk)); done(); } });
  const logger = pino(loggerOptions('debug'), sink);
  const clock = new ManualClock(START);
  const full = parseConfig({ ...config, gateway: { ...config.gateway, dataDir } });
  const made: Gateway[] = [];
  const site: BrokenSite = {
    dataDir,
    dbPath: join(dataDir, full.store.file),
    clock,
    logs,
    configFile: join(dataDir, 'lockgw.yaml'),
    gateway: (deps = {}) => {
      const g = new Gateway(full, { ...deps, clock, logger });
      made.push(g);
      return g;
    },
  };
  writeFileSync(site.configFile, `gateway:\n  dataDir: ${JSON.stringify(dataDir)}\n`);
  const first = site.gateway();
  await first.start();
  await first.stop();
  logs.length = 0;
  t.teardown(async () => {
    for (const g of made) await g.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return site;
}
