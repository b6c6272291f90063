/**
 * Entry point of `npm run bench`: builds the synthetic site, seeds a temporary SQLite file and
 * runs the benchmarks. JSON lines on stdout, progress on stderr; the temp files are removed.
 *
 *   npm run bench                       full size (1,000,000 credentials)
 *   npm run bench -- --scale 0.1        a tenth of it, quickly
 *   npm run bench -- --only decision    one bench (or a comma-separated list)
 *   npm run bench -- --only sync_snapshot,sync_delta,event_drain   the cloud link (needs mosquitto)
 *   npm run bench -- --only phone_key,ble_lock   BLE over the virtual radio (needs socat)
 *   npm run bench -- --only relay_restart   kill -9 of the daemon → strike re-locked (needs socat)
 *   npm run bench -- --only fire_release    fire input → strike released, on a corrupt database (needs socat)
 *   npm run bench -- --only safety_only     quick_check cost; fire release in-process on a corrupt database
 *   npm run bench -- --only systemd_notify  what one systemd notification (a watchdog ping) costs the doors' loop (needs perl, systemd-notify)
 *   npm run bench -- --only offline_code    checking a keypad entry as an offline doorcode
 *   npm run bench -- --only backup          lockgw backup and restore of a realistic database
 *   npm run bench -- --only fleet           1,000 gateways on one broker: revocation fan-out, uploads (needs mosquitto)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { compileIndex } from '../src/access/compileIndex.js';
import { createPinHasher } from '../src/access/pinDigest.js';
import { AccessStore } from '../src/store/accessStore.js';
import { openDatabase } from '../src/store/database.js';
import { runBackupBench } from './backupBench.js';
import { runCompileBench } from './compileBench.js';
import { runFireReleaseBench } from './fireReleaseBench.js';
import { runFleetBench } from './fleet/fleetBench.js';
import { runSafetyOnlyBench } from './safetyOnlyBench.js';
import { runSystemdNotifyBench } from './systemdNotifyBench.js';
import { runOfflineCodeBench } from './offlineCodeBench.js';
import { runDecisionBench, type DecisionRun } from './decisionBench.js';
import { withOfflineTrust } from './offlineTrustRig.js';
import { runDecisionSqlBench } from './decisionSqlBench.js';
import { runJournalBench } from './journalBench.js';
import { runJournalHistoryBench } from './journalHistoryBench.js';
import { runPhoneKeyBench } from './phoneKeyBench.js';
import { runBleLockBench } from './bleLockBench.js';
import { runDoorLatencyBench } from './doorLatencyBench.js';
import { runRelayRestartBench } from './relayRestartBench.js';
import { makePresentations } from './presentations.js';
import { note, secondsSince } from './report.js';
import { seedSite } from './seedSite.js';
import { runSyncBench } from './syncBench.js';
import { generateSite, siteSize } from './syntheticSite.js';

const BENCHES = ['compile', 'decision', 'decision_sql', 'door_latency', 'journal', 'sync_snapshot', 'sync_delta', 'event_drain', 'phone_key', 'ble_lock', 'relay_restart', 'fire_release', 'safety_only', 'systemd_notify', 'offline_code', 'backup', 'fleet'] as const;
type BenchName = (typeof BENCHES)[number];

const SEED = { site: 0x5eed_0001, presentations: 0x5eed_0002, warmup: 0x5eed_0004 } as const;
/** the device secret of the synthetic gateway (fixed, so PIN digests are the same every run) */
const SECRET = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff);

function options(): { scale: number; only: Set<BenchName> } {
  const { values } = parseArgs({ options: { scale: { type: 'string', default: '1' }, only: { type: 'string' } } });
  const scale = Number(values.scale);
  if (!Number.isFinite(scale) || scale <= 0 || scale > 10) throw new Error(`--scale must be a number in (0, 10], not ${values.scale}`);
  const names = values.only === undefined ? [...BENCHES] : values.only.split(',').map((s) => s.trim());
  for (const name of names) {
    if (!(BENCHES as readonly string[]).includes(name)) throw new Error(`--only: unknown bench ${name} (one of ${BENCHES.join(', ')})`);
  }
  return { scale, only: new Set(names as BenchName[]) };
}

async function main(): Promise<void> {
  const { scale, only } = options();
  const dir = mkdtempSync(join(tmpdir(), 'lockgw-bench-'));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  process.once('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  const started = process.hrtime.bigint();
  note(`bench: scale ${scale}, benches ${[...only].join(', ')}, node ${process.version}, gc ${typeof (globalThis as { gc?: unknown }).gc === 'function' ? 'exposed' : 'NOT exposed'}, temp ${dir}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  try {
    const pinHasher = createPinHasher(SECRET);
    const dbPath = join(dir, 'access.sqlite');
    const needSync = only.has('sync_snapshot') || only.has('sync_delta') || only.has('event_drain');
    const needSite = only.has('compile') || only.has('decision') || only.has('decision_sql') || only.has('door_latency') || needSync;
    if (needSite) {
      const size = siteSize(scale);
      let t = process.hrtime.bigint();
      const site = generateSite(size, SEED.site, pinHasher);
      note(`site: ${size.credentials.toLocaleString('en-US')} credentials, ${size.people.toLocaleString('en-US')} people, ${site.holdingKey.length.toLocaleString('en-US')} holdings, ${size.keys} keys, ${site.keyDoor.length.toLocaleString('en-US')} key doors, ${size.doors} doors, ${size.schedules} schedules, ${size.holidays} holidays; generated in ${secondsSince(t).toFixed(1)} s`);
      const seed = seedSite(dbPath, site, pinHasher);
      note(`seed: ${seed.operations.toLocaleString('en-US')} operations through AccessStore.applyBatch in ${seed.batches} batches: ${seed.seconds.toFixed(1)} s`);

      if (only.has('compile')) await runCompileBench(dbPath, scale);

      if (only.has('decision') || only.has('decision_sql')) {
        const db = openDatabase(dbPath);
        try {
          const store = new AccessStore(db, pinHasher);
          t = process.hrtime.bigint();
          const index = store.snapshot(compileIndex);
          note(`index: built in ${secondsSince(t).toFixed(2)} s (revision ${index.revision})`);
          const count = Math.max(10_000, Math.round(1_000_000 * scale));
          t = process.hrtime.bigint();
          const set = makePresentations(site, count, SEED.presentations, pinHasher);
          const warmup = makePresentations(site, 50_000, SEED.warmup, pinHasher);
          note(`presentations: ${count.toLocaleString('en-US')} + 50,000 warm-up generated in ${secondsSince(t).toFixed(1)} s`);
          let run: DecisionRun | null = null;
          if (only.has('decision')) run = await withOfflineTrust(db, (inPath) => runDecisionBench(index, set, warmup, inPath));
          if (only.has('decision_sql')) runDecisionSqlBench(db, index, set, warmup, Math.max(2_000, Math.round(100_000 * scale)), run);
        } finally {
          db.close();
        }
      }
      // before door_latency: it adds its bench card to the seeded database, whose content hash the
      // sync benches take as the hash of the site the cloud peer publishes
      if (needSync) {
        await runSyncBench({
          dir, seededDb: dbPath, site, pinHasher, scale, seed: SEED.site, secret: SECRET,
          only: { snapshot: only.has('sync_snapshot'), delta: only.has('sync_delta'), drain: only.has('event_drain') },
        });
      }
      if (only.has('door_latency')) await runDoorLatencyBench(dir, 'access.sqlite', site.doorIds[0]!, scale);
    }
    if (only.has('journal')) {
      await runJournalBench(dir, scale);
      await runJournalHistoryBench(dir, scale);
    }
    if (only.has('phone_key')) await runPhoneKeyBench(scale);
    if (only.has('ble_lock')) await runBleLockBench(scale);
    if (only.has('relay_restart')) await runRelayRestartBench(scale);
    if (only.has('fire_release')) await runFireReleaseBench(scale);
    if (only.has('safety_only')) await runSafetyOnlyBench(scale);
    if (only.has('systemd_notify')) await runSystemdNotifyBench(scale);
    if (only.has('offline_code')) runOfflineCodeBench(scale);
    if (only.has('backup')) await runBackupBench(scale);
    if (only.has('fleet')) await runFleetBench(dir, scale);
  } finally {
    cleanup();
  }
  note(`bench: done in ${secondsSince(started).toFixed(0)} s, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} (other work on this machine skews the numbers)`);
}

main().catch((err: unknown) => {
  note(`bench: FAILED ${(err as Error).stack ?? String(err)}`);
  process.exitCode = 1;
});
