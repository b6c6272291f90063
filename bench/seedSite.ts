/**
 * Writes a synthetic site into a fresh SQLite file the honest way: AccessStore.applyBatch (zod
 * validation, reference and uniqueness checks, PIN hashing) in batches of `chunk` operations,
 * each its own durable transaction. Then the runtime state the batches do not carry: use counts
 * and one door in lockdown (AccessStore.setLockdown). Use counts are written straight into
 * `credential_uses` in one transaction: AccessStore.recordUse counts one grant per durable
 * (fsynced) commit, tens of thousands of which would only measure the disk.
 */
import type { PinHasher } from '../src/access/pinDigest.js';
import { AccessStore } from '../src/store/accessStore.js';
import { openDatabase } from '../src/store/database.js';
import { note, secondsSince } from './report.js';
import { siteBatches } from './siteBatches.js';
import { credentialId, type SyntheticSite } from './syntheticSite.js';

export interface SeedResult {
  seconds: number;
  operations: number;
  batches: number;
}

export function seedSite(path: string, site: SyntheticSite, pinHasher: PinHasher, chunk = 50_000): SeedResult {
  const db = openDatabase(path);
  try {
    const store = new AccessStore(db, pinHasher);
    const start = process.hrtime.bigint();
    let operations = 0;
    let batches = 0;
    for (const batch of siteBatches(site, chunk)) {
      store.applyBatch(batch, { source: 'cloud' });
      operations += batch.length;
      batches += 1;
      if (batches % 5 === 0) note(`  seed: ${operations.toLocaleString('en-US')} operations, ${secondsSince(start).toFixed(1)} s`);
    }
    const setUses = db.prepare('INSERT INTO credential_uses(credential_id, uses) VALUES (?, ?)');
    db.transaction(() => {
      for (let c = 0; c < site.credUses.length; c++) if (site.credUses[c]! > 0) setUses.run(credentialId(c), site.credUses[c]!);
    })();
    store.setLockdown(site.doorIds[site.lockedDoor]!, true);
    db.pragma('wal_checkpoint(TRUNCATE)');
    return { seconds: secondsSince(start), operations, batches };
  } finally {
    db.close();
  }
}
