import t from 'tap';
import { ENTITIES } from '../../../src/access/batchOpSchema.js';
import { ManualClock } from '../../../src/kernel/clock.js';
import { generateSigningKeyPair } from '../../../src/wire/keys.js';
import { CloudSimulator } from '../../../tools/cloud-sim/cloudSimulator.js';
import { SimState } from '../../../tools/cloud-sim/simState.js';
import type { ApplyAck, CommandResponse, EventBatch } from '../../../src/wire/messages.js';
import type { SnapshotProgress, SyncAnswered } from '../../../tools/cloud-sim/cloudSimulator.js';
import { checkSite } from '../../../src/app/site/siteCheck.js';
import { testBrokerSupport } from '../../support/mosquitto.js';
import { silentLogger, until } from '../../support/cloudHarness.js';
import type { Verified } from './standInGateway.js';
import { demoRecords, GW, simFixture, T0 } from './simFixture.js';

const support = testBrokerSupport();
const skip = support.available ? false : support.reason;
const SMALL = { maxOps: 8, maxBytes: 1024 * 1024 };
const rank = (entity: string) => ENTITIES.indexOf(entity as never);

t.test('a first publish is a snapshot whose chunks verify and carry the hash of the state', { skip }, async (t) => {
  const f = await simFixture(t);
  const site = demoRecords();
  const progress: SnapshotProgress[] = [];
  const acked = until<ApplyAck>(f.sim, 'apply_ack');
  const result = await f.sim.publishSite(site, { chunkLimits: SMALL, onProgress: (p) => progress.push(p) });
  t.equal(result.kind, 'snapshot');
  if (result.kind !== 'snapshot') return;
  t.equal(result.version, 1);
  t.equal(result.hash, checkSite(site, () => undefined).hash, 'the hash of the site');
  t.equal(result.hash, f.state.hash());
  const ack = await acked;
  t.match(ack, { revision: 1, hash: result.hash, duplicate: false, snapshotId: result.snapshotId });
  t.equal(f.gateway.hash, result.hash, "the gateway's own compileIndex hash agrees");

  const chunks = f.gateway.of('snapshot');
  t.equal(chunks.length, result.chunkCount);
  t.ok(result.chunkCount > 3, `${result.chunkCount} chunks of at most ${SMALL.maxOps}`);
  t.same(chunks.map((c) => c.message.chunkIndex), [...Array(result.chunkCount).keys()]);
  for (const c of chunks) {
    t.match(c.message, { version: 1, snapshotId: result.snapshotId, chunkCount: result.chunkCount, hash: result.hash });
    t.ok(c.message.operations.length <= SMALL.maxOps);
    t.equal(c.claims.aud, GW);
    t.ok(c.claims.exp - c.claims.iat >= 29 * 86_400, 'a long lifetime for sync messages');
  }
  const ops = chunks.flatMap((c) => c.message.operations);
  t.equal(ops.length, result.operations);
  t.ok(ops.every((op, i) => i === 0 || rank(ops[i - 1]!.entity) <= rank(op.entity)), 'dependency order across chunks');
  t.same(progress.map((p) => p.chunkIndex), [...Array(result.chunkCount).keys()], 'progress after every chunk');
  t.match(progress.at(-1), { operationsSent: result.operations, operations: result.operations, chunkCount: result.chunkCount });
  t.equal(progress.at(-1)!.bytesSent, progress.at(-1)!.bytes);
  t.equal(ack.inReplyTo, result.lastJti);
  t.same(f.gateway.rejected, [], 'nothing rejected');
});

t.test("a delta's hash is the hash an AccessStore has after applying it", { skip }, async (t) => {
  const f = await simFixture(t);
  await f.sim.publishSite(demoRecords());
  await until<ApplyAck>(f.sim, 'apply_ack', (a) => a.revision === 1);

  const acked = until<ApplyAck>(f.sim, 'apply_ack', (a) => a.revision === 2);
  const delta = await f.sim.publishDelta([
    { op: 'upsert', entity: 'person', record: { id: 'ivy', name: 'Ivy Guest', kind: 'guest', hostId: 'alice' } },
    { op: 'upsert', entity: 'credential', record: { id: 'ivy-pin', personId: 'ivy', kind: 'pin', pin: '8642', useLimit: 1 } },
    { op: 'delete', entity: 'credential', id: 'bob-card' },
  ]);
  t.match(delta, { kind: 'delta', fromVersion: 1, toVersion: 2, operations: 3 });
  t.equal((await acked).hash, delta.hash);
  t.equal(f.gateway.hash, delta.hash, 'the stand-in computed it with compileIndex from its own store');
  const sent = f.gateway.of('delta')[0]!;
  t.match(sent.message, { fromVersion: 1, toVersion: 2, hash: delta.hash });
  t.equal(sent.claims.jti, delta.jti);

  t.test('a delta the state refuses is neither applied nor sent', async (t) => {
    await t.rejects(f.sim.publishDelta([{ op: 'upsert', entity: 'holding', record: { personId: 'nobody', keyId: 'resident' } }]), { code: 'REFERENCE_MISSING', details: { field: 'personId' } });
    t.equal(f.state.version(), 2);
    t.equal(f.gateway.of('delta').length, 1);
  });

  t.test('a changed site is published as the delta of what changed', async (t) => {
    const site = demoRecords();
    site.people.find((p) => p.id === 'henry')!.status = 'active';
    site.credentials = site.credentials.filter((c) => c.id !== 'grace-card');
    const next = until<ApplyAck>(f.sim, 'apply_ack', (a) => a.revision === 3);
    const result = await f.sim.publishSite(site);
    t.match(result, { kind: 'delta', fromVersion: 2, toVersion: 3 });
    t.equal((await next).hash, checkSite(site, () => undefined).hash, 'the gateway now holds exactly the site');
    const ops = f.gateway.of('delta').at(-1)!.message.operations;
    t.same(ops.map((o) => `${o.op} ${o.entity} ${'record' in o ? (o.record as { id: string }).id : 'id' in o ? o.id : ''}`), [
      'delete credential grace-card', 'delete credential ivy-pin', 'upsert person henry', 'upsert credential bob-card', 'delete person ivy',
    ], 'only the difference, in an order that applies: ivy and her PIN go, henry changes, bob-card comes back');
    t.same(await f.sim.publishSite(site), { kind: 'unchanged', version: 3, hash: f.state.hash() });
  });
});

t.test('snapshot chunks and deltas go gzip-compressed, everything else as plain tokens; compress: false sends all plain', { skip }, async (t) => {
  const snapshotBytes = new Map<boolean, number>();
  for (const compress of [true, false]) {
    const f = await simFixture(t, { compress });
    const published: Array<{ type: string; bytes: number }> = [];
    f.sim.on('published', (p) => published.push(p));
    await f.sim.publishSite(demoRecords(), { chunkLimits: SMALL });
    await until<ApplyAck>(f.sim, 'apply_ack', (a) => a.revision === 1);
    await f.sim.publishDelta([{ op: 'delete', entity: 'credential', id: 'bob-card' }]);
    await until<ApplyAck>(f.sim, 'apply_ack', (a) => a.revision === 2);
    await f.sim.sendHeartbeat();
    await f.gateway.received('heartbeat', 1);
    const byType = (type: string) => f.gateway.verified.filter((v) => v.type === type).map((v) => v.gzip);
    t.ok(byType('snapshot').length > 3 && byType('snapshot').every((g) => g === compress), `compress ${compress}: every chunk ${compress ? 'gzipped' : 'plain'}`);
    t.same(byType('delta'), [compress], `compress ${compress}: the delta`);
    t.same(byType('heartbeat'), [false], 'a heartbeat is always plain');
    t.same(f.gateway.rejected, [], 'and every one verified');
    t.equal(f.gateway.hash, f.state.hash(), 'the stand-in holds the state either way');
    snapshotBytes.set(compress, published.filter((p) => p.type === 'snapshot').reduce((n, p) => n + p.bytes, 0));
  }
  t.ok(snapshotBytes.get(true)! < snapshotBytes.get(false)!, `'published' counts the bytes on the wire: ${snapshotBytes.get(true)} gzipped, ${snapshotBytes.get(false)} plain`);
});

t.test('a sync_request for deltas from version v is answered with exactly the deltas v → newest, with its transaction', { skip }, async (t) => {
  const f = await simFixture(t);
  await f.sim.publishSite(demoRecords());
  await until<ApplyAck>(f.sim, 'apply_ack');
  f.gateway.applying = false;
  const deltas = [];
  for (const [i, name] of ['Lobby A', 'Lobby B', 'Lobby C'].entries()) {
    deltas.push(await f.sim.publishDelta([{ op: 'upsert', entity: 'door', record: { id: 'lobby', name, place: `v${i + 2}` } }]));
  }
  // published is not yet received: count the deltas once all three have arrived, or a late one is taken for a resent one
  const before = (await f.gateway.received('delta', deltas.length)).length;

  const answered = until<SyncAnswered>(f.sim, 'sync_answered');
  const transaction = await f.gateway.syncRequest({ kind: 'delta', fromVersion: 2 }, 'gap', { revision: 2, hash: f.state.hashAt(2)! });
  t.match(await answered, { answer: 'deltas', detail: '2 deltas 2 → 4' });
  const resent = (await f.gateway.received('delta', before + 2)).slice(before);
  t.same(resent.map((d) => [d.message.fromVersion, d.message.toVersion]), [[2, 3], [3, 4]]);
  t.ok(resent.every((d) => d.message.transaction === transaction), 'the transaction echoed');
  t.same(resent.map((d) => d.message.hash), [deltas[1]!.hash, deltas[2]!.hash]);
  t.same(resent[0]!.message.operations, f.gateway.of('delta')[1]!.message.operations, 'the same operations as published');
  t.not(resent[0]!.claims.jti, deltas[1]!.jti, 'a fresh jti');

  t.test('from the gateway at version 1: all three', async (t) => {
    const mark = f.gateway.of('delta').length;
    const done = until<SyncAnswered>(f.sim, 'sync_answered');
    f.gateway.applying = true;
    const ack = until<ApplyAck>(f.sim, 'apply_ack', (a) => a.revision === 4);
    await f.gateway.syncRequest({ kind: 'delta', fromVersion: 1, toVersion: 3 });
    await done;
    t.equal((await ack).hash, f.state.hash(), 'the gateway converges');
    t.same(f.gateway.of('delta').slice(mark).map((d) => d.message.toVersion), [2, 3, 4]);
  });

  t.test('up to date: nothing is sent', async (t) => {
    const done = until<SyncAnswered>(f.sim, 'sync_answered');
    await f.gateway.syncRequest({ kind: 'delta', fromVersion: 4 }, 'startup');
    t.match(await done, { answer: 'none', detail: /up to date/ });
  });

  t.test('a hash that is not the one issued for that revision gets a snapshot', async (t) => {
    const done = until<SyncAnswered>(f.sim, 'sync_answered');
    await f.gateway.syncRequest({ kind: 'delta', fromVersion: 2 }, 'gap', { revision: 2, hash: 'ab'.repeat(32) });
    t.match(await done, { answer: 'snapshot', detail: /hash at revision 2/ });
  });
});

t.test('a version reached by a snapshot has no delta history: a request from before it gets a snapshot', { skip }, async (t) => {
  const f = await simFixture(t);
  await f.sim.publishSite(demoRecords());
  await until<ApplyAck>(f.sim, 'apply_ack');
  f.gateway.applying = false;
  const site = demoRecords();
  site.doors[0]!.name = 'Main lobby';
  const second = await f.sim.publishSite(site, { forceSnapshot: true });
  t.match(second, { kind: 'snapshot', version: 2 });
  t.equal(f.state.deltasFrom(1), null);
  const done = until<SyncAnswered>(f.sim, 'sync_answered');
  const transaction = await f.gateway.syncRequest({ kind: 'delta', fromVersion: 1 });
  t.match(await done, { answer: 'snapshot', detail: /no delta history from version 1/ });
  t.equal((await f.gateway.received('snapshot', 3)).at(-1)!.message.transaction, transaction);
});

t.test('missing chunks are sent again with the same snapshotId and content', { skip }, async (t) => {
  const f = await simFixture(t, { chunkLimits: SMALL, gatewayApplies: false });
  const result = await f.sim.publishSite(demoRecords());
  if (result.kind !== 'snapshot') return void t.fail('a snapshot');
  const first = [...(await f.gateway.received('snapshot', result.chunkCount))];
  const done = until<SyncAnswered>(f.sim, 'sync_answered');
  const transaction = await f.gateway.syncRequest({ kind: 'chunks', snapshotId: result.snapshotId, version: 1, chunks: [3, 1] }, 'incomplete_snapshot');
  t.match(await done, { answer: 'chunks' });
  const again = (await f.gateway.received('snapshot', first.length + 2)).slice(first.length);
  t.same(again.map((c) => c.message.chunkIndex), [1, 3]);
  for (const c of again) {
    t.match(c.message, { snapshotId: result.snapshotId, version: 1, chunkCount: result.chunkCount, hash: result.hash, transaction });
    t.same(c.message.operations, first[c.message.chunkIndex]!.message.operations);
  }

  t.test('chunks of a snapshot that is no longer the newest: a whole new snapshot', async (t) => {
    await f.sim.publishDelta([{ op: 'upsert', entity: 'door', record: { id: 'roof', name: 'Roof' } }]);
    const done = until<SyncAnswered>(f.sim, 'sync_answered');
    await f.gateway.syncRequest({ kind: 'chunks', snapshotId: result.snapshotId, version: 1, chunks: [0] }, 'incomplete_snapshot');
    t.match(await done, { answer: 'snapshot', detail: /not the newest version/ });
    const latest = (await f.gateway.received('snapshot', first.length + 2 + 1)).at(-1)!.message;
    t.equal(latest.version, 2);
    t.not(latest.snapshotId, result.snapshotId);
  });
});

t.test('a gateway ahead of the simulator gets the content again as a higher version', { skip }, async (t) => {
  const f = await simFixture(t, { gatewayApplies: false });
  await f.sim.publishSite(demoRecords());
  const done = until<SyncAnswered>(f.sim, 'sync_answered');
  await f.gateway.syncRequest({ kind: 'delta', fromVersion: 9 }, 'startup', { revision: 9 });
  t.match(await done, { answer: 'snapshot' });
  t.equal(f.state.version(), 10);
  t.equal((await f.gateway.received('snapshot', 2)).at(-1)!.message.version, 10);
});

t.test('a change the gateway cannot apply gets one snapshot, then is left to a human', { skip }, async (t) => {
  const f = await simFixture(t, { gatewayApplies: false });
  await f.sim.publishSite(demoRecords());
  const first = until<SyncAnswered>(f.sim, 'sync_answered');
  await f.gateway.syncRequest({ kind: 'delta', fromVersion: 0 }, 'apply_failed', { detail: 'duplicate PIN' });
  t.match(await first, { answer: 'snapshot' });
  const second = until<SyncAnswered>(f.sim, 'sync_answered');
  await f.gateway.syncRequest({ kind: 'snapshot' }, 'apply_failed', { detail: 'duplicate PIN' });
  t.match(await second, { answer: 'none', detail: /cannot apply version 1: duplicate PIN/ });
});

t.test('before anything is published there is nothing to answer or snapshot', { skip }, async (t) => {
  const f = await simFixture(t);
  const done = until<SyncAnswered>(f.sim, 'sync_answered');
  await f.gateway.syncRequest({ kind: 'snapshot' }, 'startup');
  t.match(await done, { answer: 'none', detail: /nothing has been published/ });
  await t.rejects(f.sim.publishSnapshot(), { code: 'INPUT_INVALID', message: /nothing to publish yet/ });
});

t.test('commands get the response with their correlationId, whatever the order', { skip }, async (t) => {
  const f = await simFixture(t);
  const commands: Array<Extract<Verified, { type: 'command' }>> = [];
  const both = new Promise<void>((resolve) => {
    f.gateway.on('verified', (v) => {
      if (v.type !== 'command') return;
      commands.push(v);
      if (commands.length === 2) resolve();
    });
  });
  const unlock = f.sim.sendCommand({ name: 'unlock', doorId: 'lobby', seconds: 5 });
  const status = f.sim.sendCommand({ name: 'status', correlationId: 'cmd-status-1' });
  await both;
  for (const c of [...commands].reverse()) {
    await f.gateway.publish('command_response', { correlationId: c.message.correlationId, result: 'ok', message: `did ${c.message.name}` });
  }
  t.match(await unlock, { result: 'ok', message: 'did unlock' });
  t.match(await status, { correlationId: 'cmd-status-1', message: 'did status' });
  const sentUnlock = commands.find((c) => c.message.name === 'unlock')!;
  t.match(sentUnlock.message, { name: 'unlock', doorId: 'lobby', seconds: 5, correlationId: /^cmd-/ });
  t.ok(sentUnlock.claims.exp - sentUnlock.claims.iat <= 300, 'a short lifetime for commands');

  t.test('a response for an unknown correlationId is only emitted', async (t) => {
    const emitted = until<CommandResponse>(f.sim, 'command_response');
    await f.gateway.publish('command_response', { correlationId: null, result: 'unauthorized', message: 'bad signature' });
    t.match(await emitted, { correlationId: null, result: 'unauthorized' });
  });
});

t.test('a command nobody answers times out on the clock', { skip }, async (t) => {
  const f = await simFixture(t, { manualClock: true });
  const received = until<Verified>(f.gateway, 'verified', (v) => v.type === 'command');
  const answer = f.sim.sendCommand({ name: 'resync' }, { timeoutMs: 5000 });
  await received;
  (f.clock as ManualClock).advance(5000);
  await t.rejects(answer, { code: 'DEVICE_TIMEOUT', message: /no command_response for resync/ });
});

t.test('event batches are acknowledged up to their last seq and emitted', { skip }, async (t) => {
  const f = await simFixture(t);
  const batch: EventBatch = {
    journalId: 'j-1',
    skipped: { fromSeq: 1, toSeq: 4 },
    events: [5, 6, 7].map((seq) => ({ seq, type: 'access' as const, at: T0 + seq, doorId: 'lobby', grant: true, reason: 'granted' })),
  };
  const emitted = until<EventBatch>(f.sim, 'events');
  const acked = until<Verified>(f.gateway, 'verified', (v) => v.type === 'events_ack');
  await f.gateway.publish('events', batch);
  t.same((await emitted).events.map((e) => e.seq), [5, 6, 7]);
  t.same((await acked).message, { journalId: 'j-1', uptoSeq: 7 });
});

t.test('heartbeats carry the newest version every interval on the injected clock', { skip }, async (t) => {
  const f = await simFixture(t, { manualClock: true, heartbeatIntervalMs: 60_000 });
  const clock = f.clock as ManualClock;
  const beats = f.gateway.of('heartbeat');
  if (beats.length === 0) await until<Verified>(f.gateway, 'verified', (v) => v.type === 'heartbeat');
  t.match(f.gateway.of('heartbeat')[0]!.message, { revision: 0, time: T0 }, 'one on connecting');
  t.same(clock.pending(), [60_000], 'the next one is a timer on the clock');

  await f.sim.publishSite(demoRecords());
  await until<ApplyAck>(f.sim, 'apply_ack');
  const next = until<Verified>(f.gateway, 'verified', (v) => v.type === 'heartbeat');
  clock.advance(60_000);
  const beat = await next;
  t.match(beat.message, { revision: 1, hash: f.state.hash(), time: T0 + 60_000 });
  t.equal(beat.claims.exp - beat.claims.iat, 120, 'valid for two intervals');

  const two = f.gateway.received('heartbeat', f.gateway.of('heartbeat').length + 2);
  await f.sim.sendHeartbeat();
  await f.sim.sendHeartbeat();
  t.same((await two).slice(-2).map((b) => b.message.time), [T0 + 60_001, T0 + 60_002], 'each newer than the last: a gateway takes an equal time for a replay');
});

t.test('every gateway message is emitted as its typed event; invalid ones are reported', { skip }, async (t) => {
  const f = await simFixture(t);
  const state = until(f.sim, 'state');
  await f.gateway.publish('state', { status: 'online', reason: 'connected', at: T0, revision: 0, hash: f.state.hash(), software: '0.1.0' });
  t.match(await state, { status: 'online' });
  const door = until(f.sim, 'door_status');
  const health = { state: 'online' as const, reason: 'ok', since: T0 };
  await f.gateway.publish('door_status', { doorId: 'lobby', at: T0, mode: 'normal', actuator: 'locked', alarms: [], health, devices: {} });
  t.match(await door, { doorId: 'lobby', actuator: 'locked' });
  const removed = until(f.sim, 'door_removed');
  await f.gateway.publishRaw(`lockgw/${GW}/up/door_status/gym`, '');
  t.same(await removed, { doorId: 'gym' });
  const cleared = until(f.sim, 'door_removed');
  await f.sim.clearDoorStatus('lobby');
  t.same(await cleared, { doorId: 'lobby' }, 'the cloud clears the retained status of a removed door');
  const security = until(f.sim, 'security_event');
  await f.gateway.publish('security_event', { at: T0, reason: 'unknown_key', topic: `lockgw/${GW}/down/delta`, detail: 'kid "x" is not configured', kid: 'x' });
  t.match(await security, { reason: 'unknown_key', kid: 'x' });
  const invalid = until<{ topic: string; reason: string }>(f.sim, 'invalid');
  await f.gateway.publishRaw(`lockgw/${GW}/up/apply_ack`, '{"revision":-1}');
  t.match(await invalid, { topic: `lockgw/${GW}/up/apply_ack`, reason: 'schema' });

  t.test('a listener that throws does not stop the others', async (t) => {
    f.sim.once('state', () => {
      throw new Error('listener bug');
    });
    const next = until(f.sim, 'door_status');
    await f.gateway.publish('state', { status: 'offline', reason: 'shutdown', at: T0 });
    await f.gateway.publish('door_status', { doorId: 'pool', at: T0, mode: 'normal', actuator: 'locked', alarms: [], health, devices: {} });
    t.match(await next, { doorId: 'pool' });
  });
});

t.test('a simulator without a broker says so', async (t) => {
  const clock = new ManualClock(T0);
  const state = new SimState({ dir: t.testdir(), clock, logger: silentLogger() });
  await state.start();
  t.teardown(() => state.stop());
  const sim = new CloudSimulator({ url: 'mqtt://127.0.0.1:1', gatewayId: GW, issuer: 'x', key: generateSigningKeyPair('k'), state, clock, logger: silentLogger(), connectTimeoutMs: 3000 });
  const started = sim.start();
  // the connection is refused at once and retried; the timeout is on the clock
  setImmediate(() => clock.advance(3000));
  await t.rejects(started, { code: 'DEVICE_OFFLINE', message: /cannot connect to the broker at mqtt:\/\/127.0.0.1:1 within 3 s/ });
  await t.rejects(sim.sendCommand({ name: 'status' }), { code: 'NOT_STARTED' });
  await t.rejects(sim.publishSnapshot(), { code: 'NOT_STARTED' });
});
