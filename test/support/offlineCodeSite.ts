/**
 * A real gateway (demo site, Europe/Berlin, simulated doors, SQLite in a temp data dir) that takes
 * offline doorcodes: the site secret is written with mode 0600 before the start, the clock is a
 * ManualClock, the logs are captured. `issue` makes a code as the cloud would.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { deriveCode, parseWall, type OfflineCodeType } from '../../src/access/offlineCode.js';
import type { GatewayConfigInput } from '../../src/app/config/configSchema.js';
import { parseConfig } from '../../src/app/config/loadConfig.js';
import { Gateway } from '../../src/app/gateway.js';
import { ManualClock } from '../../src/kernel/clock.js';
import { loggerOptions } from '../../src/kernel/logger.js';

export const SITE_SECRET = Buffer.from('5c'.repeat(32), 'hex');

export interface OfflineCodeSite {
  gateway: Gateway;
  clock: ManualClock;
  dataDir: string;
  logs: string[];
  /** another gateway on the same data dir and config (the first must be stopped) */
  restart(at: string): Promise<Gateway>;
}

export interface CodeRequest {
  scope: string;
  type?: OfflineCodeType;
  singleUse?: boolean;
  /** local wall-clock times, YYYY-MM-DDTHH:MM */
  from: string;
  to: string;
}

export function issue(r: CodeRequest, length = 10): string {
  return deriveCode(SITE_SECRET, { scope: r.scope, type: r.type ?? 'hourly', singleUse: r.singleUse ?? false, start: parseWall(r.from)!, end: parseWall(r.to)! }, length);
}

export async function offlineCodeSite(
  t: { teardown(fn: () => unknown): void },
  at: string,
  offlineCodes: NonNullable<GatewayConfigInput['offlineCodes']> = {},
  writeSecret = true,
): Promise<OfflineCodeSite> {
  const dataDir = mkdtempSync(join(tmpdir(), 'lockgw-codes-'));
  if (writeSecret) writeFileSync(join(dataDir, 'offline-code-secret'), `${SITE_SECRET.toString('hex')}\n`, { mode: 0o600 });
  const logs: string[] = [];
  const logger = pino(loggerOptions('debug'), new Writable({ write(chunk, _enc, done) { logs.push(String(chunk)); done(); } }));
  const config = parseConfig({ gateway: { dataDir }, offlineCodes: { enabled: true, groups: { amenities: ['gym', 'pool'] }, stay: { checkIn: '15:00', checkOut: '11:00' }, ...offlineCodes } });
  const clock = new ManualClock(at);
  const running: Gateway[] = [];
  const gateway = new Gateway(config, { clock, logger });
  running.push(gateway);
  await gateway.start();
  t.teardown(async () => {
    for (const g of running) await g.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return {
    gateway, clock, dataDir, logs,
    restart: async (when) => {
      const again = new Gateway(config, { clock: new ManualClock(when), logger });
      running.push(again);
      await again.start();
      return again;
    },
  };
}
