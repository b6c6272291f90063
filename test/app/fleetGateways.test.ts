/**
 * A small fleet: five real gateways in one process on one real Mosquitto, each with its own id,
 * SQLite file and device secret, and one cloud (bench/fleet/fleetCloud.ts) for all of them. They
 * must stay separate: a delta for one is applied by that one only (also when it is replayed onto
 * another's topic), and events reach the cloud under the gateway that recorded them.
 */
import { join } from 'node:path';
import mqtt from 'mqtt';
import t, { type Test } from 'tap';
import { ManualClock } from '../../src/kernel/clock.js';
import { parseConfig } from '../../src/app/config/loadConfig.js';
import { Gateway } from '../../src/app/gateway.js';
import { signCloudMessage } from '../../src/wire/cloudMessageCodec.js';
import { cloudPayload } from '../../src/wire/compressedPayload.js';
import { generateSigningKeyPair } from '../../src/wire/keys.js';
import type { EventBatch, SyncRequest } from '../../src/wire/messages.js';
import { FleetCloud } from '../../bench/fleet/fleetCloud.js';
import { fleetGatewayConfig } from '../../bench/fleet/fleetGatewayConfig.js';
import { FLEET_SITE_AT, REVOKED_CARD, revocation, seedGatewayDir } from '../../bench/fleet/fleetSite.js';
import { broker, silentLogger, until } from '../support/cloudHarness.js';
import { testBrokerSupport } from '../support/mosquitto.js';

const support = testBrokerSupport();
const skip = support.available ? false : support.reason;
const ISSUER = 'fleet.test';
const IDS = ['gw-fleet-1', 'gw-fleet-2', 'gw-fleet-3', 'gw-fleet-4', 'gw-fleet-5'];

async function smallFleet(t: Test) {
  const b = await broker(t);
  const key = generateSigningKeyPair('fleet-cloud');
  const clock = new ManualClock(FLEET_SITE_AT + 3_600_000);
  const logger = silentLogger();
  const cloud = new FleetCloud({ url: b.url, issuer: ISSUER, key, gatewayIds: IDS, stateDir: join(t.testdir(), 'cloud'), clock, logger });
  await cloud.start();
  t.teardown(() => cloud.stop());
  const startups = new Map<string, SyncRequest>();
  cloud.on('sync_request', ({ gatewayId, request }) => startups.set(gatewayId, request));
  const gateways = new Map<string, Gateway>();
  for (const id of IDS) {
    const dataDir = join(t.testdir(), id);
    seedGatewayDir(dataDir);
    const config = parseConfig(fleetGatewayConfig(id, dataDir, { url: b.url, issuer: ISSUER, kid: key.kid, publicPem: key.publicPem }));
    const gateway = new Gateway(config, { clock, logger });
    await gateway.start();
    t.teardown(() => gateway.stop());
    gateways.set(id, gateway);
  }
  await Promise.all([...gateways.values()].map((g) => (g.cloud!.status().connection?.state === 'connected' ? null : until(g.cloud!, 'connected'))));
  // every gateway says at start what it runs: wait until the cloud heard all of them
  while (startups.size < IDS.length) await until(cloud, 'sync_request');
  return { b, key, clock, cloud, gateways, startups };
}

const cardAt = (g: Gateway) => g.decide({ doorId: REVOKED_CARD.doorId, kind: 'card', value: REVOKED_CARD.value }).reason;

t.test('five gateways in one process: a delta for one is applied by that one only, even replayed onto another\'s topic', { skip, timeout: 60_000 }, async (t) => {
  const { b, key, clock, cloud, gateways, startups } = await smallFleet(t);
  const seeded = cloud.current();
  for (const [id, request] of startups) t.match(request, { reason: 'startup', revision: seeded.version, hash: seeded.hash }, `${id} starts on the seeded site, with the cloud's hash`);
  const journalIds = new Set([...gateways.values()].map((g) => g.journal.id));
  t.equal(journalIds.size, IDS.length, 'each gateway has its own journal');

  const change = cloud.change(revocation());
  const acked = until<{ gatewayId: string }>(cloud, 'apply_ack', (a) => a.gatewayId === 'gw-fleet-3');
  await cloud.publishDelta(change, ['gw-fleet-3']);
  t.match(await acked, { gatewayId: 'gw-fleet-3', ack: { revision: change.toVersion, hash: change.hash } });

  // the same signed delta (aud gw-fleet-3) replayed onto gw-fleet-4's topic is refused there
  const token = signCloudMessage('delta', { fromVersion: change.fromVersion, toVersion: change.toVersion, hash: change.hash, operations: change.operations as never }, {
    kid: key.kid, privateKey: key.privateKey, issuer: ISSUER, audience: 'gw-fleet-3', now: clock.now(), ttlMs: 3_600_000,
  });
  const refused = until<{ reason: string }>(gateways.get('gw-fleet-4')!.cloud!, 'security');
  const intruder = await mqtt.connectAsync(b.url, { protocolVersion: 5, clientId: 'replayer' });
  t.teardown(() => intruder.endAsync(true));
  await intruder.publishAsync('lockgw/gw-fleet-4/down/delta', cloudPayload('delta', token), { qos: 1 });
  t.match(await refused, { reason: 'audience' });

  for (const [id, g] of gateways) {
    if (id === 'gw-fleet-3') {
      t.equal(g.applied().revision, change.toVersion, `${id} runs the new revision`);
      t.equal(cardAt(g), 'credential_lost', `${id} denies the lost card`);
    } else {
      t.same(g.applied(), { revision: seeded.version, hash: seeded.hash }, `${id} still runs the seeded site`);
      t.not(cardAt(g), 'credential_lost', `${id} does not know the card was lost`);
    }
  }
});

t.test('five gateways upload at once: every event reaches the cloud under the gateway that recorded it', { skip, timeout: 60_000 }, async (t) => {
  const { clock, cloud, gateways } = await smallFleet(t);
  const received = new Map<string, EventBatch[]>();
  cloud.on('events', ({ gatewayId, batch }) => received.set(gatewayId, [...(received.get(gatewayId) ?? []), batch]));
  IDS.forEach((id, i) => {
    const journal = gateways.get(id)!.journal;
    for (let n = 0; n <= i; n++) journal.append({ type: 'access', at: clock.now(), doorId: 'lobby', grant: false, reason: 'unknown_credential', personId: `of-${id}` });
    journal.flush();
  });
  const lastSeqs = new Map(IDS.map((id) => [id, gateways.get(id)!.journal.stats().lastSeq]));
  const allStored = () => IDS.every((id) => cloud.storedUpto(id) >= lastSeqs.get(id)!);
  const stored = new Promise<void>((resolve) => {
    const check = () => {
      if (!allStored()) return;
      cloud.off('events_acked', check);
      resolve();
    };
    cloud.on('events_acked', check);
  });
  clock.advance(250); // the uploaders look at their journals every pollMs
  await stored;
  const journalOf = new Map([...gateways].map(([id, g]) => [id, g.journal.id]));
  IDS.forEach((id, i) => {
    const batches = received.get(id) ?? [];
    const events = batches.flatMap((batch) => batch.events);
    t.ok(batches.every((batch) => batch.journalId === journalOf.get(id)), `${id}'s batches carry its own journal id`);
    t.equal(events.filter((e) => e.personId === `of-${id}`).length, i + 1, `${id}'s ${i + 1} events arrived under its id`);
    t.same(events.filter((e) => e.personId !== undefined && e.personId !== `of-${id}`), [], `no other gateway's events under ${id}`);
  });
});
