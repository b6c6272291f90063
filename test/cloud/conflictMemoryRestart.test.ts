/**
 * The memory of what was applied per revision survives a restart: an old delta replayed with
 * other content after the gateway restarted on the same data dir is still a conflict (and a
 * security event), the same delta again is still a duplicate. A real gateway, a real Mosquitto,
 * a real SQLite file.
 */
import t from 'tap';
import type { ApplyAck, SecurityEvent } from '../../src/wire/messages.js';
import { Gateway } from '../../src/app/gateway.js';
import { parseConfig } from '../../src/app/config/loadConfig.js';
import { parseBatch } from '../../src/store/batchOp.js';
import { cloudGateway, GW, ISSUER, silentLogger, until } from '../support/cloudHarness.js';
import { CloudState } from '../support/cloudState.js';
import { smallSite, up } from '../support/storeFixture.js';

for (const worker of [true, false]) t.test(`an old delta with other content replayed after a restart is a conflict; the same delta is a duplicate (${worker ? 'rules worker' : 'main thread'})`, { timeout: 90_000 }, async (t) => {
  const { f, cloud, key, b, startup } = await cloudGateway(t, { sync: { worker } });
  await startup;
  const state = new CloudState(t);
  state.change([...smallSite(), up('person', { id: 'ann', name: 'Ann' }), up('holding', { personId: 'ann', keyId: 'k-lobby' })]);
  const snapped = until<ApplyAck>(cloud.emitter, 'apply_ack', (a) => a.snapshotId === 'snap-1');
  for (const chunk of state.snapshot('snap-1', 100)) await cloud.send('snapshot', chunk);
  await snapped;
  const d2 = state.change([up('person', { id: 'bob', name: 'Bob' }), up('holding', { personId: 'bob', keyId: 'k-lobby' })]);
  const d3 = state.change([up('credential', { id: 'bob-pin', personId: 'bob', kind: 'pin', pin: '4711' })]);
  const d4 = state.change([up('person', { id: 'cid', name: 'Cid' })]);
  for (const d of [d2, d3, d4]) {
    const acked = until<ApplyAck>(cloud.emitter, 'apply_ack', (a) => a.revision === d.toVersion);
    await cloud.send('delta', d);
    await acked;
  }
  const running = f.gateway.applied();
  t.equal(running.revision, 4);
  await f.gateway.stop();

  const config = parseConfig({
    gateway: { id: GW, dataDir: f.dataDir },
    cloud: { enabled: true, url: b.url, keys: [{ kid: key.kid, pem: key.publicPem }], issuer: ISSUER, sync: { worker } },
  });
  const restarted = new Gateway(config, { clock: f.clock, logger: silentLogger() });
  const reconnected = until(cloud.emitter, 'sync_request');
  await restarted.start();
  t.teardown(() => restarted.stop());
  await reconnected;
  t.same(restarted.applied(), running, 'the same revision after the restart');

  const answer = async (delta: typeof d2, jti: string) => {
    const acked = until<ApplyAck>(cloud.emitter, 'apply_ack', (a) => a.inReplyTo === jti);
    await cloud.send('delta', delta, { jti });
    return acked;
  };
  const before = cloud.received.security_event.length;
  t.same(await answer(d2, 'again-2'), { ...running, duplicate: true, inReplyTo: 'again-2' }, 'the same old delta: a duplicate');
  t.same(await answer({ ...d3, transaction: 'tx-7' }, 'again-3'), { ...running, duplicate: true, inReplyTo: 'again-3' }, 'the same old delta answering a request: a duplicate');
  t.equal(cloud.received.security_event.length, before, 'no security event for a duplicate');

  const reported = until<SecurityEvent>(cloud.emitter, 'security_event', (e) => e.reason === 'conflicting_delta');
  const mallory = parseBatch([up('person', { id: 'mallory', name: 'Mallory' }), up('holding', { personId: 'mallory', keyId: 'k-lobby' })]);
  t.same(await answer({ ...d2, operations: mallory, hash: 'a'.repeat(64) }, 'old-other-hash'), { ...running, duplicate: false, conflict: true, inReplyTo: 'old-other-hash' }, 'an old revision with another hash');
  // a PIN is not in the hash: same range, same hash, other operations
  const otherPin = parseBatch([up('credential', { id: 'bob-pin', personId: 'bob', kind: 'pin', pin: '9999' })]);
  t.same(await answer({ ...d3, operations: otherPin }, 'old-same-hash'), { ...running, duplicate: false, conflict: true, inReplyTo: 'old-same-hash' }, 'an old revision with the same hash and other operations');
  t.match(await reported, { reason: 'conflicting_delta', topic: `lockgw/${GW}/down/delta`, jti: 'old-other-hash' });
  t.equal(restarted.cloud!.status().security.byReason.conflicting_delta, 2, 'both counted');
  t.same(restarted.applied(), running, 'nothing changed');
});
