/**
 * The cloud gauges through a real gateway, a fake cloud and a real Mosquitto: the link connected,
 * a signed heartbeat's age on the gateway's ManualClock, the cloud's revision and the lag behind it.
 */
import t from 'tap';
import type { CommandResponse, SyncRequest } from '../../../src/wire/messages.js';
import { broker, fakeCloud, GATEWAY_START, GW, ISSUER, testKey, until, type FakeCloud } from '../../support/cloudHarness.js';
import { gatewayFixture } from '../../support/gatewayFixture.js';
import { testBrokerSupport } from '../../support/mosquitto.js';
import { ManualClock } from '../../../src/kernel/clock.js';
import { parseExposition, sampleValue, type Sample } from '../../support/promExposition.js';
import type { Gateway } from '../../../src/app/gateway.js';

const support = testBrokerSupport();
const skip = support.available ? false : support.reason;

/** Resolves once the gateway answered a status command sent now: every message before it is handled. */
async function handled(cloud: FakeCloud, correlationId: string): Promise<void> {
  const answered = until<CommandResponse>(cloud.emitter, 'command_response', (r) => r.correlationId === correlationId);
  await cloud.send('command', { correlationId, name: 'status' }, { ttlMs: 60_000 });
  await answered;
}

async function scrape(gateway: Gateway): Promise<Sample[]> {
  const res = await fetch(`http://127.0.0.1:${gateway.metrics!.server!.address()!.port}/metrics`);
  return parseExposition(await res.text());
}

t.test('connected, the heartbeat\'s age, the cloud\'s revision and the lag behind it', { skip, timeout: 30_000 }, async (t) => {
  const b = await broker(t);
  const key = testKey();
  const cloudClock = new ManualClock(GATEWAY_START);
  const cloud = await fakeCloud(t, b, key, cloudClock);
  const startup = until<SyncRequest>(cloud.emitter, 'sync_request');
  const f = await gatewayFixture(t, {
    gateway: { id: GW },
    cloud: { enabled: true, url: b.url, keys: [{ kid: key.kid, pem: key.publicPem }], issuer: ISSUER },
    metrics: { enabled: true, listen: '127.0.0.1:0' },
  }, GATEWAY_START);
  await startup;
  const before = await scrape(f.gateway);
  t.equal(sampleValue(before, 'lockgw_cloud_connected'), 1);
  t.equal(sampleValue(before, 'lockgw_heartbeat_age_seconds'), undefined, 'no heartbeat yet');
  t.equal(sampleValue(before, 'lockgw_cloud_rules_revision'), undefined);

  const applied = f.gateway.applied();
  cloudClock.set(f.clock.now());
  await cloud.send('heartbeat', { revision: applied.revision + 3, hash: applied.hash, time: cloudClock.now() });
  await handled(cloud, 'hb-1');
  f.clock.advance(20_000);
  const after = await scrape(f.gateway);
  t.equal(sampleValue(after, 'lockgw_rules_revision'), applied.revision);
  t.equal(sampleValue(after, 'lockgw_cloud_rules_revision'), applied.revision + 3);
  t.equal(sampleValue(after, 'lockgw_rules_revision_lag'), 3, 'three revisions behind the cloud');
  t.equal(sampleValue(after, 'lockgw_heartbeat_age_seconds'), 20, 'on the gateway\'s clock');
  t.equal(sampleValue(after, 'lockgw_heartbeat_stale'), 0);
  t.equal(sampleValue(after, 'lockgw_clock_trusted'), 1);
  t.ok(sampleValue(after, 'lockgw_revocation_staleness_seconds')! >= 0);
});
