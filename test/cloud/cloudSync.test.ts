/**
 * The state sync end to end: a real gateway (SQLite store, decision index, doors on simulated
 * devices) and a fake cloud, through a real Mosquitto.
 */
import t, { type Test } from 'tap';
import { signEnvelope } from '../../src/wire/signedEnvelope.js';
import type { ApplyAck, SecurityEvent, SyncRequest } from '../../src/wire/messages.js';
import { cloudGateway, GW, ISSUER, testKey, until, type FakeCloud } from '../support/cloudHarness.js';
import { CloudState } from '../support/cloudState.js';
import type { GatewayFixture } from '../support/gatewayFixture.js';
import { smallSite, up } from '../support/storeFixture.js';
import { generateSigningKeyPair } from '../../src/wire/keys.js';
import { parseBatch } from '../../src/store/batchOp.js';

const connected = (t: Test, sync: Record<string, unknown> = {}) => cloudGateway(t, { upload: { pollMs: 100 }, sync });

const siteWithAnn = () => [
  ...smallSite(),
  up('person', { id: 'ann', name: 'Ann' }),
  up('holding', { personId: 'ann', keyId: 'k-lobby' }),
  up('credential', { id: 'ann-card', personId: 'ann', kind: 'card', card: '26:7:1001' }),
];

function opens(f: GatewayFixture, card: string): boolean {
  return f.gateway.engine.evaluate({ doorId: 'lobby', kind: 'card', value: card }).grant;
}

/** Resolves once the cloud has received at least `n` security events, with all of them. */
function securityEvents(cloud: FakeCloud, n: number): Promise<SecurityEvent[]> {
  return new Promise<SecurityEvent[]>((resolve) => {
    const check = () => {
      if (cloud.received.security_event.length >= n) {
        cloud.emitter.off('security_event', check);
        resolve(cloud.received.security_event);
      }
    };
    cloud.emitter.on('security_event', check);
    check();
  });
}

async function publishSnapshot(cloud: FakeCloud, state: CloudState, id: string, chunkOps: number): Promise<ApplyAck> {
  const acked = until<ApplyAck>(cloud.emitter, 'apply_ack', (a) => a.snapshotId === id);
  // every other chunk gzip-compressed, as a cloud may send them (docs/mqtt.md, Compression)
  for (const [i, chunk] of state.snapshot(id, chunkOps).reverse().entries()) await cloud.send('snapshot', chunk, { gzip: i % 2 === 1 });
  return acked;
}

for (const worker of [true, false]) t.test(`a cloud-managed gateway asks for a snapshot, applies it (${worker ? 'in the rules worker' : 'on the main thread'}), acknowledges {revision, hash} and decides with it`, async (t) => {
  const { f, cloud, startup } = await connected(t, { worker });
  t.match(await startup, { reason: 'startup', revision: 0, want: { kind: 'snapshot' } }, 'the demo seed is revision 0: never synced');
  t.ok(opens(f, '26:12:34567'), 'the demo site decides until the first snapshot');
  const state = new CloudState(t);
  state.change(siteWithAnn());
  const ack = await publishSnapshot(cloud, state, 'snap-1', 3);
  t.match(ack, { revision: 1, hash: state.hash(), duplicate: false });
  t.same(f.gateway.applied(), { revision: 1, hash: state.hash() });
  t.ok(opens(f, '26:7:1001'), "Ann's card opens the lobby");
  t.notOk(opens(f, '26:12:34567'), 'the demo records are gone');
  t.equal(f.gateway.store.site()?.name, 'Test Site');
  t.throws(() => f.gateway.applyBatch([up('person', { id: 'x', name: 'X' })], { source: 'local' }), { code: 'CLOUD_MANAGED' }, 'no local edits on a cloud-managed gateway');
});

t.test('a delta chain, then a gap answered by the cloud with the transaction echoed', async (t) => {
  const { f, cloud, startup } = await connected(t);
  await startup;
  const state = new CloudState(t);
  const d1 = state.change(siteWithAnn());
  await publishSnapshot(cloud, state, 'snap-1', 100);
  const d2 = state.change([up('person', { id: 'bob', name: 'Bob' }), up('holding', { personId: 'bob', keyId: 'k-lobby' })]);
  const d3 = state.change([up('credential', { id: 'bob-card', personId: 'bob', kind: 'card', card: '26:7:1002' })]);
  const d4 = state.change([up('person', { id: 'ann', name: 'Ann', status: 'suspended' })]);
  let acked = until<ApplyAck>(cloud.emitter, 'apply_ack', (a) => a.revision === 2);
  await cloud.send('delta', d2);
  await acked;
  // 3→4 arrives before 2→3: the gateway asks for 2→3
  const asked = until<SyncRequest>(cloud.emitter, 'sync_request', (r) => r.reason === 'gap');
  await cloud.send('delta', d4);
  const request = await asked;
  t.match(request, { revision: 2, want: { kind: 'delta', fromVersion: 2, toVersion: 3 } });
  t.equal(f.gateway.applied().revision, 2, 'nothing applied past the gap');
  acked = until<ApplyAck>(cloud.emitter, 'apply_ack', (a) => a.revision === 4);
  await cloud.send('delta', { ...d3, transaction: request.transaction });
  t.match(await acked, { revision: 4, hash: state.hash(), duplicate: false });
  t.ok(opens(f, '26:7:1002'), "Bob's card opens");
  t.notOk(opens(f, '26:7:1001'), 'suspended Ann does not');
  // a redelivered old delta is acknowledged as a duplicate
  const dup = until<ApplyAck>(cloud.emitter, 'apply_ack', (a) => a.duplicate);
  await cloud.send('delta', d1);
  t.match(await dup, { revision: 4, hash: state.hash(), duplicate: true });
});

t.test('snapshot chunks are verified in the rules worker: forged, unsigned and expired ones change nothing and are reported like any other', async (t) => {
  const { f, cloud, link, startup } = await connected(t);
  await startup;
  const state = new CloudState(t);
  state.change(siteWithAnn());
  const before = f.gateway.applied();
  const [chunk] = state.snapshot('evil', 100);
  const attacker = generateSigningKeyPair(testKey().kid); // the cloud's kid, another key
  const topic = `lockgw/${GW}/down/snapshot`;
  await cloud.publishRaw(topic, signEnvelope(chunk, { kid: attacker.kid, privateKey: attacker.privateKey, issuer: ISSUER, audience: GW, type: 'snapshot', now: f.clock.now() }));
  await cloud.publishRaw(topic, JSON.stringify({ msg: chunk }));
  await cloud.send('snapshot', chunk!, { now: f.clock.now() - 3_600_000, ttlMs: 60_000 });
  const events = await securityEvents(cloud, 3);
  t.same(events.map((e) => e.reason).sort(), ['bad_signature', 'expired', 'malformed']);
  t.ok(events.every((e) => e.topic === topic));
  t.same(f.gateway.applied(), before, 'nothing applied');
  t.equal(link.status().security.total, 3);
  const ack = await publishSnapshot(cloud, state, 'snap-ok', 2);
  t.match(ack, { revision: 1, hash: state.hash() }, 'the genuine snapshot, decoded in the same worker, applies');
  t.ok(opens(f, '26:7:1001'));
});

t.test('chunks the sync ignores (redelivered, of a snapshot already applied) are let go by the rules worker', async (t) => {
  const { f, cloud, startup } = await connected(t);
  await startup;
  const state = new CloudState(t);
  state.change(siteWithAnn());
  const chunks = state.snapshot('snap-a', 3);
  const acked = until<ApplyAck>(cloud.emitter, 'apply_ack', (a) => a.snapshotId === 'snap-a');
  await cloud.send('snapshot', chunks[0]!);
  await cloud.send('snapshot', chunks[0]!); // redelivered while the snapshot is assembled
  for (const c of chunks.slice(1)) await cloud.send('snapshot', c);
  await acked;
  await cloud.send('snapshot', chunks[1]!); // redelivered after it was applied
  state.change([up('person', { id: 'bob', name: 'Bob' })]);
  t.match(await publishSnapshot(cloud, state, 'snap-b', 3), { revision: 2, hash: state.hash() }, 'handled after everything before it');
  t.equal(f.gateway.rulesWorker?.heldChunks, 0, 'no decoded chunk is left held in the worker');
});

t.test('forged, unsigned, wrong-key, expired and rollback messages change nothing and are reported', async (t) => {
  const { f, cloud, link, startup } = await connected(t);
  await startup;
  const state = new CloudState(t);
  state.change(siteWithAnn());
  await publishSnapshot(cloud, state, 'snap-1', 100);
  const before = f.gateway.applied();
  const evil = state.change([up('person', { id: 'mallory', name: 'Mallory' }), up('holding', { personId: 'mallory', keyId: 'k-lobby' }),
    up('credential', { id: 'mallory-card', personId: 'mallory', kind: 'card', card: '26:6:666' })]);
  const topic = `lockgw/${GW}/down/delta`;
  const key = testKey();
  const attacker = generateSigningKeyPair(key.kid); // same kid, different key: a forged signature
  const stranger = generateSigningKeyPair('stranger');
  const security = (n: number) => securityEvents(cloud, n);
  const sign = (k: typeof key, extra: { now?: number; ttlMs?: number } = {}) => signEnvelope(evil, { kid: k.kid, privateKey: k.privateKey, issuer: ISSUER, audience: GW, type: 'delta', now: extra.now ?? f.clock.now(), ttlMs: extra.ttlMs ?? 60_000 });

  await cloud.publishRaw(topic, sign(attacker));
  await cloud.publishRaw(topic, JSON.stringify({ msg: evil }));
  await cloud.publishRaw(topic, sign(stranger));
  await cloud.send('delta', evil, { now: f.clock.now() - 3_600_000, ttlMs: 60_000 }); // expired an hour ago
  const events = await security(4);
  t.same(events.map((e) => e.reason).sort(), ['bad_signature', 'expired', 'malformed', 'unknown_key'].sort());
  t.same(f.gateway.applied(), before, 'the state is unchanged');
  t.notOk(opens(f, '26:6:666'), "Mallory's card does not open");
  t.equal(link.status().security.total, 4);

  // a snapshot at a lower version than the applied one: a rollback
  const older = new CloudState(t);
  older.change(smallSite());
  const [first] = older.snapshot('rollback', 100);
  await cloud.send('snapshot', { ...first!, version: 1 }); // equal version, different hash: applied as repair...
  await until(cloud.emitter, 'apply_ack', (a: ApplyAck) => a.snapshotId === 'rollback');
  t.equal(f.gateway.applied().hash, older.hash(), 'an equal version with a different hash is the cloud repairing the gateway');
  const repaired = f.gateway.applied();
  const forward = new CloudState(t);
  forward.change(smallSite());
  forward.change([up('door', { id: 'roof', name: 'Roof' })]);
  const [v2] = forward.snapshot('v2', 100);
  await cloud.send('snapshot', v2!);
  await until(cloud.emitter, 'apply_ack', (a: ApplyAck) => a.revision === 2);
  const [v1] = older.snapshot('back-to-1', 100);
  await cloud.send('snapshot', v1!);
  const all = await security(5);
  t.match(all.at(-1), { reason: 'rollback', topic: `lockgw/${GW}/down/snapshot` });
  t.equal(f.gateway.applied().revision, 2, 'the rollback was refused');
  t.not(f.gateway.applied().hash, repaired.hash);

  // every rejection is in the journal, on its way to the cloud with the other events
  const journaled = cloud.received.events.flatMap((b) => b.events).filter((e) => e.type === 'security').map((e) => e.reason);
  const pending = f.gateway.journal.read(0, 1000).filter((e) => e.type === 'security').map((e) => e.reason);
  t.same([...journaled, ...pending].sort(), ['bad_signature', 'expired', 'malformed', 'rollback', 'unknown_key']);
});

t.test('a delta up to the applied revision: the same content is a duplicate; other content is a conflict, answered and reported', async (t) => {
  const { f, cloud, link, startup } = await connected(t);
  await startup;
  const state = new CloudState(t);
  state.change(siteWithAnn());
  await publishSnapshot(cloud, state, 'snap-1', 100);
  const d2 = state.change([up('person', { id: 'bob', name: 'Bob' }), up('holding', { personId: 'bob', keyId: 'k-lobby' })]);
  const d3 = state.change([up('credential', { id: 'bob-pin', personId: 'bob', kind: 'pin', pin: '4711' })]);
  for (const d of [d2, d3]) {
    const acked = until<ApplyAck>(cloud.emitter, 'apply_ack', (a) => a.revision === d.toVersion);
    await cloud.send('delta', d);
    await acked;
  }
  const running = f.gateway.applied();
  const answer = async (delta: typeof d2, jti: string) => {
    const acked = until<ApplyAck>(cloud.emitter, 'apply_ack', (a) => a.inReplyTo === jti);
    await cloud.send('delta', delta, { jti });
    return acked;
  };

  // true duplicates: the same delta again, also as the answer to a request (another transaction)
  t.same(await answer(d2, 'again-2'), { ...running, duplicate: true, inReplyTo: 'again-2' });
  t.same(await answer({ ...d3, transaction: 'tx-9' }, 'again-3'), { ...running, duplicate: true, inReplyTo: 'again-3' });
  t.equal(link.status().security.total, 0, 'no security event for a duplicate');

  // other content under revisions the gateway already has
  const mallory = parseBatch([up('person', { id: 'mallory', name: 'Mallory' }), up('holding', { personId: 'mallory', keyId: 'k-lobby' }),
    up('credential', { id: 'mallory-card', personId: 'mallory', kind: 'card', card: '26:6:666' })]);
  const conflicts = [
    { jti: 'old-other-hash', delta: { ...d2, operations: mallory, hash: 'a'.repeat(64) } },
    { jti: 'running-other-hash', delta: { ...d3, hash: 'b'.repeat(64) } },
    // a PIN is not in the hash: same hash, other operations
    { jti: 'running-same-hash', delta: { ...d3, operations: parseBatch([up('credential', { id: 'bob-pin', personId: 'bob', kind: 'pin', pin: '9999' })]) } },
  ];
  const reported = securityEvents(cloud, 1); // the others of the 10 s window are folded into one later event
  for (const { jti, delta } of conflicts) {
    t.same(await answer(delta, jti), { ...running, duplicate: false, conflict: true, inReplyTo: jti }, `${jti}: answered as a conflict`);
  }
  t.same(f.gateway.applied(), running, 'nothing changed');
  t.notOk(opens(f, '26:6:666'), "Mallory's card does not open");
  const pinOpens = (pin: string) => f.gateway.engine.evaluate({ doorId: 'lobby', kind: 'pin', value: f.gateway.hashPin(pin) }).grant;
  t.notOk(pinOpens('9999'), 'the other PIN does not open');
  t.ok(pinOpens('4711'), 'the applied PIN still does');
  const events = await reported;
  t.match(events, [{ reason: 'conflicting_delta', topic: `lockgw/${GW}/down/delta`, jti: 'old-other-hash' }], 'a conflicting_delta security event on the delta topic');
  t.equal(link.status().security.byReason.conflicting_delta, 3, 'all three counted');
  const journaled = [...cloud.received.events.flatMap((b) => b.events), ...f.gateway.journal.read(0, 10_000)]
    .filter((e) => e.type === 'security' && e.reason === 'conflicting_delta');
  t.ok(journaled.length >= 1, 'journaled, on its way to the cloud with the other events');
});
