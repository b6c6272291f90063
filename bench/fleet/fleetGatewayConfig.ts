/**
 * The config of one gateway of the fleet: its own id and data dir, one simulated door (lobby),
 * no control socket, the cloud link to the shared broker. Cloud changes are applied by the
 * main-thread applier (`cloud.sync.worker: false`, src/engine/mainThreadRulesApplier.ts): a rules
 * worker per gateway would be a thousand threads, and a delta of one operation on the demo site
 * is applied in well under a millisecond on the doors' thread. Everything else is the shipped
 * default (upload batches of 500, polled every 250 ms, reconnect backoff 1 s … 60 s with full
 * jitter) but the stale alarm, pushed past the bench's length: the fleet's cloud sends no heartbeats.
 */
import type { GatewayConfigInput } from '../../src/app/config/configSchema.js';

export interface FleetCloudAccess {
  url: string;
  issuer: string;
  kid: string;
  publicPem: string;
}

export function fleetGatewayConfig(id: string, dataDir: string, cloud: FleetCloudAccess, extra: { cloud?: GatewayConfigInput['cloud'] } = {}): GatewayConfigInput {
  return {
    gateway: { id, dataDir },
    demo: { seed: false },
    doors: [{ id: 'lobby', hardware: 'sim' }],
    control: { enabled: false },
    journal: { maxEvents: 10_000 },
    cloud: {
      enabled: true, url: cloud.url, issuer: cloud.issuer, keys: [{ kid: cloud.kid, pem: cloud.publicPem }],
      sync: { worker: false, staleAfterMs: 3_600_000 },
      ...extra.cloud,
    },
  };
}
