/**
 * `backup`: what `lockgw backup` and `lockgw restore` cost on a realistic database (the
 * synthetic site at --scale plus a full journal, as the safety_only bench seeds it).
 *  - backup_s: createBackup — the online copy, quick_check of the copy, scrypt, AES-256-GCM
 *    into the backup file; restore_s: restoreBackup — scrypt, decrypt and verify, quick_check,
 *    set the current files aside and rename the backup's into place. One run each (wall time).
 *  - database_mb, and overhead_bytes: how much larger the backup file is than the database.
 *
 *   npm run bench -- --only backup [--scale 1]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBackup } from '../src/app/backupBundle.js';
import { restoreBackup } from '../src/app/backupRestore.js';
import { parseConfig } from '../src/app/config/loadConfig.js';
import { emit, note } from './report.js';
import { seedFullDatabase } from './safetyOnlyBench.js';

const BENCH = 'backup';
const PASSPHRASE = 'the bench passphrase';

/** Registered in bench/run.ts as `backup`. */
export async function runBackupBench(scale: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'lockgw-backup-bench-'));
  try {
    const dataDir = join(dir, 'gw');
    const { bytes, credentials, events } = await seedFullDatabase(join(dataDir, 'lockgw.db'), scale);
    writeFileSync(join(dataDir, 'device-secret'), `${'5e'.repeat(32)}\n`, { mode: 0o600 });
    const config = parseConfig({ gateway: { id: 'gw-bench', dataDir } });
    const uid = process.getuid?.();
    const file = join(dir, 'bench.backup');
    let t = performance.now();
    const made = await createBackup(config, file, { passphrase: PASSPHRASE, now: Date.now(), uid });
    const backupS = (performance.now() - t) / 1000;
    t = performance.now();
    restoreBackup(config, file, { passphrase: PASSPHRASE, now: Date.now() + 1000, uid });
    const restoreS = (performance.now() - t) / 1000;
    note(`backup: ${credentials.toLocaleString('en-US')} credentials, ${events.toLocaleString('en-US')} journal events, ${(bytes / 1e6).toFixed(0)} MB: backup ${backupS.toFixed(2)} s, restore ${restoreS.toFixed(2)} s`);
    emit({ bench: BENCH, metric: 'backup_s', value: backupS, unit: 's', target: null, better: 'lower' });
    emit({ bench: BENCH, metric: 'restore_s', value: restoreS, unit: 's', target: null, better: 'lower' });
    emit({ bench: BENCH, metric: 'database_mb', value: bytes / 1e6, unit: 'MB', target: null, better: 'lower' });
    emit({ bench: BENCH, metric: 'overhead_bytes', value: made.bytes - bytes, unit: 'B', target: null, better: 'lower' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
