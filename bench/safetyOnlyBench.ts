/**
 * `safety_only`: what the safety-only mode costs and how fast it releases.
 *  - quick_check_ms / integrity_check_ms: the start-up check of a realistic database (the
 *    synthetic site at --scale, seeded through AccessStore, plus a full journal of maxEvents at
 *    the same scale), median of 3, with the file's size.
 *  - fire_release_us: a gateway on the demo's simulated doors, started on a corrupt database
 *    (safety-only mode); time from the fire input going active to the last fire-release door's
 *    actuator reporting `unlocked`, over 500 fire on/off cycles (wall time, performance.now).
 *
 *   npm run bench -- --only safety_only [--scale 1]
 */
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { parseConfig } from '../src/app/config/loadConfig.js';
import { Gateway } from '../src/app/gateway.js';
import { createPinHasher } from '../src/access/pinDigest.js';
import { ManualClock } from '../src/kernel/clock.js';
import { Journal } from '../src/journal/journal.js';
import { integrityCheck, openDatabase, quickCheck } from '../src/store/database.js';
import { makeEvents } from './journalBench.js';
import { emit, note } from './report.js';
import { seedSite } from './seedSite.js';
import { median, summarize } from './stats.js';
import { generateSite, siteSize } from './syntheticSite.js';

const SECRET = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff);
const BENCH = 'safety_only';

/**
 * A realistic gateway database at `path`: the synthetic site at `scale` seeded through
 * AccessStore, plus a full journal of 1,000,000 × scale events. Also used by the backup bench.
 */
export async function seedFullDatabase(path: string, scale: number): Promise<{ bytes: number; credentials: number; events: number }> {
  const pinHasher = createPinHasher(SECRET);
  const size = siteSize(scale);
  seedSite(path, generateSite(size, 0x5eed_0001, pinHasher), pinHasher);
  const events = Math.round(1_000_000 * scale);
  const db = openDatabase(path);
  const logger = pino({ level: 'silent' });
  const journal = new Journal(db, { maxEvents: events, batchSize: 10_000, durableIntervalMs: 60_000, clock: new ManualClock(0), logger });
  await journal.start();
  for (const e of makeEvents(events, 0x5eed_0003)) journal.append(e);
  await journal.stop();
  db.close();
  return { bytes: statSync(path).size, credentials: size.credentials, events };
}

async function checkCost(dir: string, scale: number): Promise<void> {
  const path = join(dir, 'lockgw.db');
  const { bytes, credentials, events } = await seedFullDatabase(path, scale);
  note(`safety_only: ${credentials.toLocaleString('en-US')} credentials, ${events.toLocaleString('en-US')} journal events, ${(bytes / 1e6).toFixed(0)} MB`);
  for (const [metric, check] of [['quick_check_ms', quickCheck], ['integrity_check_ms', integrityCheck]] as const) {
    const runs: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      const ro = openDatabase(path, { readonly: true });
      const t = performance.now();
      check(ro);
      runs.push(performance.now() - t);
      ro.close();
    }
    emit({ bench: BENCH, metric, value: median(runs), unit: 'ms', target: null, better: 'lower' });
  }
  emit({ bench: BENCH, metric: 'database_mb', value: bytes / 1e6, unit: 'MB', target: null, better: 'lower' });
}

async function fireRelease(dir: string): Promise<void> {
  const dataDir = join(dir, 'gw');
  const config = parseConfig({ gateway: { dataDir }, control: { enabled: false } });
  const deps = { clock: new ManualClock('2026-12-07T12:00:00Z'), logger: pino({ level: 'silent' }) };
  const first = new Gateway(config, deps);
  await first.start();
  await first.stop();
  const fd = openSync(join(dataDir, 'lockgw.db'), 'r+');
  writeSync(fd, Buffer.alloc(100, 'garbage'), 0, 100, 0);
  closeSync(fd);
  const g = new Gateway(config, deps);
  await g.start();
  if (g.safetyOnly?.cause !== 'corrupt') throw new Error('the gateway did not start in safety-only mode');
  const sim = g.simulated!;
  const actuators = ['lobby', 'garage', 'gym', 'pool'].map((id) => sim.doors.get(id)!.actuator);
  const cycles = 500;
  const samples = new Float64Array(cycles);
  for (let i = 0; i < cycles; i += 1) {
    const released = Promise.all(actuators.map((a) => new Promise<number>((resolve) => {
      const on = (state: string) => {
        if (state !== 'unlocked') return;
        a.off('state', on);
        resolve(performance.now());
      };
      a.on('state', on);
    })));
    const t = performance.now();
    sim.fire!.set(true);
    samples[i] = (Math.max(...(await released)) - t) * 1000;
    sim.fire!.set(false);
  }
  await g.stop();
  const s = summarize(samples);
  note(`safety_only: fire active → 4 doors released, corrupt database: p50 ${s.p50.toFixed(1)} µs, p99 ${s.p99.toFixed(1)} µs, max ${s.max.toFixed(1)} µs over ${cycles} cycles`);
  for (const [metric, value] of [['fire_release_p50_us', s.p50], ['fire_release_p99_us', s.p99], ['fire_release_max_us', s.max]] as const) {
    emit({ bench: BENCH, metric, value, unit: 'us', target: null, better: 'lower' });
  }
}

/** Registered in bench/run.ts as `safety_only`. */
export async function runSafetyOnlyBench(scale: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'lockgw-safety-bench-'));
  writeFileSync(join(dir, 'README'), 'lockgw safety_only bench scratch\n');
  try {
    await fireRelease(dir);
    await checkCost(dir, scale);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
