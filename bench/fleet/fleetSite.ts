/**
 * The site every gateway of the fleet holds, and the one revocation the cloud sends them all:
 * the demo site (src/app/demo/demoSite.ts) at a fixed instant, so the cloud and each gateway
 * compute the same content hash; a gateway is seeded with it at revision 1 before it starts, as
 * if its first snapshot had been applied, so a fleet starts without a thousand snapshots.
 */
import { join } from 'node:path';
import { createPinHasher } from '../../src/access/pinDigest.js';
import { demoSiteBatch } from '../../src/app/demo/demoSite.js';
import { loadDeviceSecret } from '../../src/app/deviceSecret.js';
import { AccessStore } from '../../src/store/accessStore.js';
import { openDatabase } from '../../src/store/database.js';

/** the instant the site's validity windows are relative to */
export const FLEET_SITE_AT = Date.parse('2026-11-23T09:00:00Z');

/** the card the revocation reports lost, and where it is presented */
export const REVOKED_CARD = { credentialId: 'alice-card', doorId: 'lobby', value: '26:12:34567' } as const;

export function fleetSite(): unknown[] {
  return demoSiteBatch(FLEET_SITE_AT);
}

/** One operation: alice's card, as in the site, reported lost. */
export function revocation(): unknown[] {
  const card = fleetSite().find((op) => (op as { record: { id?: string } }).record.id === REVOKED_CARD.credentialId) as { record: Record<string, unknown> };
  return [{ op: 'upsert', entity: 'credential', record: { ...card.record, status: 'lost' } }];
}

/**
 * A gateway's data dir with its own device secret (created here, mode 0600, as the gateway would)
 * and its database holding the fleet site at revision 1, its PINs keyed by that secret.
 * The file names are the config's defaults (secrets.deviceSecretFile, store.file).
 */
export function seedGatewayDir(dataDir: string): void {
  const { secret } = loadDeviceSecret(join(dataDir, 'device-secret'), true);
  const db = openDatabase(join(dataDir, 'lockgw.db'));
  try {
    new AccessStore(db, createPinHasher(secret)).applyBatch(fleetSite(), { source: 'cloud', revision: 1 });
  } finally {
    db.close();
  }
}
