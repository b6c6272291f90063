/**
 * The engine's offline lease and clock trust (src/engine/offlineTrust.ts) as the daemon builds it
 * on a cloud-linked gateway, on the bench's database, for the `decision` bench: each timed call
 * asks it first, as AccessEngine.evaluate does. Its clock is a ManualClock (no timer fires
 * during the bench); its record goes to the bench database's meta table.
 */
import { pino } from 'pino';
import { CloudConfigSchema } from '../src/cloud/cloudConfig.js';
import { OfflineTrust } from '../src/engine/offlineTrust.js';
import { OfflineTrustConfigSchema } from '../src/engine/offlineTrustConfig.js';
import { Journal } from '../src/journal/journal.js';
import { ManualClock } from '../src/kernel/clock.js';
import { ClockTrustStore } from '../src/store/clockTrustStore.js';
import type { Db } from '../src/store/database.js';
import type { TrustInPath } from './decisionBench.js';

const STARTS_AT = Date.parse('2026-06-01T00:00:00Z');

export async function withOfflineTrust<T>(db: Db, run: (inPath: TrustInPath) => T): Promise<T> {
  const clock = new ManualClock(STARTS_AT);
  const logger = pino({ level: 'silent' });
  const journal = new Journal(db, { maxEvents: 10_000, batchSize: 512, durableIntervalMs: 1_000, clock, logger });
  const { sync } = CloudConfigSchema.parse({});
  const trust = new OfflineTrust({
    config: OfflineTrustConfigSchema.parse({}), cloud: sync, store: new ClockTrustStore(db),
    writes: { deferring: false }, journal, clock, logger,
  });
  await journal.start();
  await trust.start();
  try {
    return run({ trust, startsAt: STARTS_AT });
  } finally {
    await trust.stop();
    await journal.stop();
  }
}
