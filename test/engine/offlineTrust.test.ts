/** The offline trust on a real SQLite file: its record across restarts, an unreadable record, the rules worker's lock. */
import t, { type Test } from 'tap';
import { pino } from 'pino';
import { classBit } from '../../src/access/decisionTrust.js';
import { OfflineTrust } from '../../src/engine/offlineTrust.js';
import { OfflineTrustConfigSchema } from '../../src/engine/offlineTrustConfig.js';
import { Journal } from '../../src/journal/journal.js';
import { ManualClock } from '../../src/kernel/clock.js';
import { ClockTrustStore } from '../../src/store/clockTrustStore.js';
import { openDatabase } from '../../src/store/database.js';
import { storeFixture } from '../support/storeFixture.js';

const START = Date.parse('2026-11-23T09:00:00Z');
const CLOUD = { staleAfterMs: 600_000, maxClockSkewMs: 120_000 };

function rig(t: Test) {
  const f = storeFixture(t);
  const clock = new ManualClock(START);
  const logger = pino({ level: 'silent' });
  const writes = { deferring: false };
  let journal: Journal | null = null;
  /** `reopen`: a new handle on the same file, as a restarted daemon opens it */
  const open = async (reopen = false) => {
    const db = reopen ? openDatabase(f.path) : f.db;
    if (reopen) t.teardown(() => db.close());
    journal = new Journal(db, { maxEvents: 10_000, batchSize: 64, durableIntervalMs: 0, clock, logger });
    await journal.start();
    const trust = new OfflineTrust({
      config: OfflineTrustConfigSchema.parse({ leases: { resident: { maxStalenessMs: 60_000 } } }),
      cloud: CLOUD, store: new ClockTrustStore(db), writes, journal, clock, logger,
    });
    await trust.start();
    t.teardown(async () => { await trust.stop(); await journal?.stop(); });
    return { trust, db, journal };
  };
  return { f, clock, writes, open };
}

t.test('the record survives a restart: an untrusted clock stays untrusted, a lease stays spent', async (t) => {
  const r = rig(t);
  const first = await r.open();
  first.trust.heartbeat(START, true);
  r.clock.advance(60_001);
  t.equal(first.trust.at(r.clock.now()).expiredClasses, classBit('resident'));
  r.clock.set(r.clock.now() - 3_600_000);
  t.equal(first.trust.at(r.clock.now()).clockTrusted, false);
  await first.trust.stop();
  const second = await r.open(true);
  const trust = second.trust.at(r.clock.now());
  t.same(trust, { clockTrusted: false, expiredClasses: classBit('resident') }, 'read back from the database');
  t.match(second.trust.status(), { clock: { reason: 'clock_behind' }, lease: { staleForMs: 60_001 } });
});

t.test('an unreadable record is reported and the lease counts from now', async (t) => {
  const r = rig(t);
  r.f.db.prepare("INSERT INTO meta(key, value) VALUES ('clock.trust', '{\"trustedAt\":\"soon\"}')").run();
  const { trust, journal } = await r.open();
  t.same(trust.at(r.clock.now()), { clockTrusted: true, expiredClasses: 0 });
  t.match(journal.recent(0, 100).filter((e) => e.reason === 'clock_trust_record_unreadable'), [{ type: 'alarm', data: { detail: /trustedAt/ } }]);
});

t.test('while the rules worker holds the database the record waits, and is written at the next check', async (t) => {
  const r = rig(t);
  const { trust, db } = await r.open();
  const stored = () => JSON.parse(db.prepare("SELECT value FROM meta WHERE key = 'clock.trust'").pluck().get() as string) as { verifiedAt: number };
  r.writes.deferring = true;
  r.clock.advance(30_000);
  trust.heartbeat(r.clock.now(), true);
  t.equal(stored().verifiedAt, START, 'not written while deferring');
  r.writes.deferring = false;
  r.clock.advance(10_000);
  t.equal(stored().verifiedAt, START + 30_000, 'written at the next check');
});
