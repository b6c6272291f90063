/**
 * Cloud changes applied in the rules worker thread: the same result as on the main thread, the
 * same refusals, and nothing the doors did meanwhile is lost.
 */
import t, { type Test } from 'tap';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { decide } from '../../../src/access/decide.js';
import { createPinHasher } from '../../../src/access/pinDigest.js';
import { AccessStore } from '../../../src/store/accessStore.js';
import { openDatabase } from '../../../src/store/database.js';
import { RulesWorker } from '../../../src/engine/worker/rulesWorker.js';
import type { ChunkDecodeContext } from '../../../src/wire/chunkDecoder.js';
import { signCloudMessage } from '../../../src/wire/cloudMessageCodec.js';
import { generateSigningKeyPair } from '../../../src/wire/keys.js';
import { CloudState } from '../../support/cloudState.js';
import { gatewayFixture } from '../../support/gatewayFixture.js';
import { del, oneTimePin, smallSite, TEST_SECRET, up } from '../../support/storeFixture.js';

const people = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => {
  const n = from + i;
  return [
    up('person', { id: `p${n}`, name: `Person ${n}` }),
    up('holding', { personId: `p${n}`, keyId: 'k-lobby' }),
    up('credential', { id: `p${n}-card`, personId: `p${n}`, kind: 'card', card: `26:9:${n + 1}` }),
  ];
}).flat();

/** A rules worker on its own database file in the test's directory, stopped at teardown (a no-op if the test stopped it). */
function standaloneWorker(t: Test): RulesWorker {
  const worker = new RulesWorker({ dbPath: join(t.testdir(), 'rules.db'), secret: TEST_SECRET, logger: pino({ level: 'silent' }) });
  t.teardown(() => worker.stop());
  return worker;
}

/**
 * A cloud-managed gateway whose changes are applied by its rules worker. Its broker is never
 * reached (a closed loopback port): the doors work offline, and the tests hand it the changes.
 */
async function setup(t: Test) {
  const key = generateSigningKeyPair('test-cloud');
  const f = await gatewayFixture(t, { demo: { seed: false }, cloud: { enabled: true, url: 'mqtt://127.0.0.1:9', keys: [{ kid: key.kid, pem: key.publicPem }] } });
  t.ok(f.gateway.rulesWorker, 'the gateway applies cloud changes in its rules worker');
  const cloud = new CloudState(t);
  return { f, cloud };
}

t.test('a snapshot and a delta applied in the worker decide like the main thread would', async (t) => {
  const { f, cloud } = await setup(t);
  cloud.change([...smallSite(), ...people(0, 300), ...oneTimePin()]);
  const [chunk] = cloud.snapshot('s1', 100_000);
  const applied = await f.gateway.applyCloudChange({ operations: chunk!.operations, replace: true, revision: cloud.version, hash: cloud.hash() });
  t.same(applied, { revision: 1, hash: cloud.hash() });
  t.ok(f.gateway.engine.evaluate({ doorId: 'lobby', kind: 'card', value: '26:9:17' }).grant, 'a card from the snapshot opens');
  const delta = cloud.change([del('person', { id: 'p16' }), ...people(300, 310)]);
  t.same(await f.gateway.applyCloudChange({ ...delta, replace: false, revision: delta.toVersion }), { revision: 2, hash: cloud.hash() });
  t.notOk(f.gateway.engine.evaluate({ doorId: 'lobby', kind: 'card', value: '26:9:17' }).grant, 'deleted in the delta');
  t.ok(f.gateway.engine.evaluate({ doorId: 'lobby', kind: 'card', value: '26:9:305' }).grant, 'added in the delta');
  t.equal(f.gateway.store.revision(), 2);
});

t.test('a wrong hash or a bad reference is refused in the worker and changes nothing', async (t) => {
  const { f, cloud } = await setup(t);
  cloud.change(smallSite());
  const [chunk] = cloud.snapshot('s1');
  await f.gateway.applyCloudChange({ operations: chunk!.operations, replace: true, revision: 1, hash: cloud.hash() });
  const before = f.gateway.applied();
  const delta = cloud.change(people(0, 5));
  await t.rejects(async () => f.gateway.applyCloudChange({ ...delta, replace: false, revision: 2, hash: 'c'.repeat(64) }), { code: 'HASH_MISMATCH' });
  await t.rejects(async () => f.gateway.applyCloudChange({ operations: [{ op: 'upsert', entity: 'holding', record: { personId: 'ghost', keyId: 'k-lobby' } }] as never, replace: false, revision: 2, hash: delta.hash }), { code: 'REFERENCE_MISSING', details: { entity: 'holding' } });
  t.same(f.gateway.applied(), before);
  t.equal(f.gateway.store.revision(), 1);
  t.equal(f.gateway.store.counts().people, 0);
});

t.test('what the doors do while the worker holds the database waits in memory and is carried into the new index', async (t) => {
  const { f, cloud } = await setup(t);
  cloud.change([...smallSite(), ...oneTimePin()]);
  const [chunk] = cloud.snapshot('s1');
  await f.gateway.applyCloudChange({ operations: chunk!.operations, replace: true, revision: 1, hash: cloud.hash() });
  const seqBefore = f.gateway.journal.stats().lastSeq;

  const delta = cloud.change(people(0, 2000));
  const applying = f.gateway.applyCloudChange({ ...delta, replace: false, revision: delta.toVersion });
  // meanwhile: the one-time PIN is used, a door is locked down, events are journaled
  const pin = { doorId: 'lobby', kind: 'pin' as const, value: f.gateway.hashPin('246810') };
  t.ok(f.gateway.decide(pin).grant, 'the one-time PIN opens during the apply');
  f.gateway.setLockdown('gym', true);
  t.equal(f.gateway.engine.evaluate({ doorId: 'gym', kind: 'pin', value: f.gateway.hashPin('246810') }).reason, 'locked_down', 'the lockdown acts at once');
  t.same(await applying, { revision: 2, hash: cloud.hash() });

  t.notOk(f.gateway.engine.evaluate(pin).grant, 'the used one-time PIN stays used in the new index');
  t.same(f.gateway.store.lockdown().doors, ['gym'], 'the lockdown reached the store');
  t.ok(f.gateway.index.doorLocked[f.gateway.index.doorIndex.get('gym')!] === 1, 'and the new index');
  t.same([...f.gateway.store.uses()], [['once-pin', 1]], 'the use reached the store');
  f.gateway.journal.flush();
  const events = f.gateway.journal.recent(seqBefore, 100);
  t.ok(events.some((e) => e.type === 'access' && e.credentialId === 'once-pin'), 'the access event was journaled');
  t.ok(events.some((e) => e.type === 'mode' && e.reason === 'lockdown_on'), 'and the lockdown');
});

t.test('snapshot chunks handed to the worker as they arrive, by snapshot; an incomplete one is refused', async (t) => {
  const worker = standaloneWorker(t);
  const cloud = new CloudState(t);
  cloud.change([...smallSite(), ...people(0, 50)]);
  const a = cloud.snapshot('a', 40);
  const b = cloud.snapshot('b', 25);
  worker.stageChunk('a', 0, a[0]!.operations);
  for (const [i, c] of b.entries()) worker.stageChunk('b', i, c.operations);
  await t.rejects(worker.apply({ operations: [], staged: { snapshotId: 'a', chunkCount: a.length }, replace: true, revision: 1, hash: cloud.hash() }), { code: 'BATCH_INVALID', message: /not all \d+ chunks of snapshot a are held \(1\)/ }, 'a lacks chunks');
  const index = await worker.apply({ operations: [], staged: { snapshotId: 'b', chunkCount: b.length }, replace: true, revision: 1, hash: cloud.hash() });
  t.equal(index.hash, cloud.hash());
  t.equal(index.counts.people, 50);
});

t.test('a deferred write that fails (its credential was deleted meanwhile) does not take the lockdown with it', async (t) => {
  const { f, cloud } = await setup(t);
  cloud.change([...smallSite(), ...oneTimePin()]);
  const [chunk] = cloud.snapshot('s1');
  await f.gateway.applyCloudChange({ operations: chunk!.operations, replace: true, revision: 1, hash: cloud.hash() });
  const delta = cloud.change([del('person', { id: 'once' }), ...people(0, 500)]);
  const applying = f.gateway.applyCloudChange({ ...delta, replace: false, revision: delta.toVersion });
  t.ok(f.gateway.decide({ doorId: 'lobby', kind: 'pin', value: f.gateway.hashPin('246810') }).grant, 'used while the delta that deletes it is applied');
  f.gateway.setLockdown('gym', true);
  await applying;
  t.same(f.gateway.store.lockdown().doors, ['gym'], 'the lockdown was written although the use could not be');
  t.equal(f.gateway.index.doorLocked[f.gateway.index.doorIndex.get('gym')!], 1);
});

t.test('a snapshot that hands a used one-time PIN to someone else gives it a fresh count; the same holder keeps it', async (t) => {
  const { f, cloud } = await setup(t);
  cloud.change([...smallSite(), up('person', { id: 'ann', name: 'Ann' }), up('person', { id: 'bob', name: 'Bob' }),
    up('holding', { personId: 'ann', keyId: 'k-lobby' }), up('holding', { personId: 'bob', keyId: 'k-lobby' }),
    up('credential', { id: 'visitor-pin', personId: 'ann', kind: 'pin', pin: '135790', useLimit: 1 }),
    up('credential', { id: 'ann-once', personId: 'ann', kind: 'pin', pin: '975310', useLimit: 1 })]);
  const [v1] = cloud.snapshot('s1');
  await f.gateway.applyCloudChange({ operations: v1!.operations, replace: true, revision: 1, hash: cloud.hash() });
  const pin = (digits: string) => ({ doorId: 'lobby', kind: 'pin' as const, value: f.gateway.hashPin(digits) });
  t.ok(f.gateway.decide(pin('135790')).grant);
  t.ok(f.gateway.decide(pin('975310')).grant);
  cloud.change([up('credential', { id: 'visitor-pin', personId: 'bob', kind: 'pin', pin: '135790', useLimit: 1 })]);
  const [v2] = cloud.snapshot('s2');
  await f.gateway.applyCloudChange({ operations: v2!.operations, replace: true, revision: 2, hash: cloud.hash() });
  t.ok(f.gateway.engine.evaluate(pin('135790')).grant, "bob's PIN is new to him");
  t.notOk(f.gateway.engine.evaluate(pin('975310')).grant, "ann's used PIN stays used");
});

t.test('a delta of people is patched into the index the worker kept; one after a change it did not make is compiled', async (t) => {
  const dir = t.testdir();
  const lines: Array<{ compile?: string }> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as { compile?: string }) });
  const worker = new RulesWorker({ dbPath: join(dir, 'rules.db'), secret: TEST_SECRET, logger });
  t.teardown(() => worker.stop());
  const cloud = new CloudState(t);
  cloud.change([...smallSite(), ...people(0, 50)]);
  const [chunk] = cloud.snapshot('s1');
  await worker.apply({ operations: chunk!.operations, replace: true, revision: 1, hash: cloud.hash() });
  const built = () => lines.filter((l) => l.compile !== undefined).at(-1)!.compile;

  const delta = cloud.change([del('person', { id: 'p7' }), ...people(50, 60), up('person', { id: 'p3', name: 'Renamed' })]);
  const patched = await worker.apply({ ...delta, replace: false, revision: delta.toVersion });
  t.equal(built(), 'here, patched');
  t.equal(patched.hash, cloud.hash());
  const at = Date.UTC(2026, 5, 1, 12);
  t.equal(decide(patched, { doorId: 'lobby', kind: 'card', value: '26:9:8' }, at).reason, 'unknown_credential', 'p7 is gone');
  t.equal(decide(patched, { doorId: 'lobby', kind: 'card', value: '26:9:55' }, at).reason, 'granted', 'p54 arrived');
  t.equal(patched.counts.people, 59);

  // a change made on another connection (the doors' thread): the kept index is of an older revision
  const db = openDatabase(join(dir, 'rules.db'));
  t.teardown(() => db.close());
  const store = new AccessStore(db, createPinHasher(TEST_SECRET));
  const local = up('person', { id: 'local', name: 'Local' });
  store.applyBatch([local], { source: 'cloud' });
  const next = cloud.change([local, up('person', { id: 'p4', name: 'Renamed too' })]);
  const compiled = await worker.apply({ ...next, replace: false, revision: store.revision() + 1 });
  t.equal(built(), 'here, compiled', 'not patched into the index from before that change');
  t.equal(compiled.counts.people, 60);
  t.equal(compiled.hash, cloud.hash());
});

t.test('snapshot chunks verified in the worker: a refused one comes back with its reason, a released one is not staged, the rest apply', async (t) => {
  const worker = standaloneWorker(t);
  const cloud = new CloudState(t);
  cloud.change([...smallSite(), ...people(0, 60)]);
  const chunks = cloud.snapshot('w', 50);
  const now = Date.parse('2026-11-23T09:00:00Z');
  const key = generateSigningKeyPair('worker-cloud');
  const context: ChunkDecodeContext = { topicPrefix: 'lockgw', gatewayId: 'gw-w', keys: [{ kid: key.kid, publicKey: key.publicKey }], issuer: 'cloud.w' };
  const topic = 'lockgw/gw-w/down/snapshot';
  const sign = (body: unknown, signer = key) => Buffer.from(signCloudMessage('snapshot', body as never, { kid: signer.kid, privateKey: signer.privateKey, issuer: 'cloud.w', audience: 'gw-w', now }));

  const forged = await worker.decodeSnapshotChunk(topic, sign(chunks[0], generateSigningKeyPair(key.kid)), now, context);
  t.match(forged, { ok: false, reason: 'bad_signature', type: 'snapshot' });
  const decoded = await Promise.all(chunks.map((c) => worker.decodeSnapshotChunk(topic, sign(c), now, context)));
  const held = decoded.map((d) => {
    if (!d.ok) throw new Error(`not decoded: ${d.detail}`);
    return d.message;
  });
  t.same(held.map((c) => [c.chunkIndex, c.operations.count]), chunks.map((c) => [c.chunkIndex, c.operations.length]), 'index and count of each chunk come back; the operations stay in the worker');
  // the first chunk is released (as the link does with one it ignored), then staged: too late
  held[0]!.operations.release();
  for (const c of held) c.operations.stage('w', c.chunkIndex);
  await t.rejects(worker.apply({ operations: [], staged: { snapshotId: 'w', chunkCount: chunks.length }, replace: true, revision: 1, hash: cloud.hash() }), { code: 'BATCH_INVALID', message: /not all \d+ chunks of snapshot w are held/ });
  const again = await worker.decodeSnapshotChunk(topic, sign(chunks[0]), now, context);
  if (!again.ok) throw new Error(again.detail);
  again.message.operations.stage('w2', 0);
  for (const [i, c] of chunks.entries()) {
    if (i === 0) continue;
    const d = await worker.decodeSnapshotChunk(topic, sign(c), now, context);
    if (d.ok) d.message.operations.stage('w2', i);
  }
  const index = await worker.apply({ operations: [], staged: { snapshotId: 'w2', chunkCount: chunks.length }, replace: true, revision: 1, hash: cloud.hash() });
  t.equal(index.hash, cloud.hash(), 'the chunks decoded in the worker are the snapshot');
  t.equal(index.counts.people, 60);
});

t.test('a chunk handed over as the worker stops is refused to the caller (the link then decodes it itself)', async (t) => {
  const worker = standaloneWorker(t);
  const key = generateSigningKeyPair('worker-cloud');
  const cloud = new CloudState(t);
  cloud.change([...smallSite(), ...people(0, 10)]);
  const [chunk] = cloud.snapshot('s');
  const now = Date.parse('2026-11-23T09:00:00Z');
  const token = Buffer.from(signCloudMessage('snapshot', chunk!, { kid: key.kid, privateKey: key.privateKey, issuer: 'c', audience: 'gw-w', now }));
  await worker.start();
  const decoding = worker.decodeSnapshotChunk('lockgw/gw-w/down/snapshot', token, now, { topicPrefix: 'lockgw', gatewayId: 'gw-w', keys: [{ kid: key.kid, publicKey: key.publicKey }] });
  const stopping = worker.stop();
  await t.rejects(decoding, { code: 'WORKER_FAILED' });
  await stopping;
});

t.test('a bug of ours in the worker (a TypeError while applying) is INTERNAL, logged with its stack, never BATCH_INVALID', async (t) => {
  const lines: Array<{ level: number; msg: string; err?: { stack?: string } }> = [];
  const logger = pino({ level: 'error' }, new Writable({ write: (chunk: Buffer, _e, done) => { lines.push(JSON.parse(chunk.toString())); done(); } }));
  const module = { besideUrl: new URL('../../support/rulesThreadWithABug.ts', import.meta.url).href, name: 'rulesThreadWithABug' };
  const worker = new RulesWorker({ dbPath: join(t.testdir(), 'rules.db'), secret: TEST_SECRET, logger, module });
  t.teardown(() => worker.stop());
  const cloud = new CloudState(t);
  const delta = cloud.change(smallSite());
  const refused = worker.apply({ ...delta, replace: false, revision: delta.toVersion });
  await t.rejects(refused, { name: 'GatewayError', code: 'INTERNAL', message: /TypeError: Cannot read properties of undefined/ });
  t.match(lines, [{ level: 50, msg: /a bug in the rules worker, not a fault of the change: TypeError/, err: { stack: /rulesThreadWithABug\.ts/ } }]);
  const next = cloud.change([up('person', { id: 'p1', name: 'One' })]);
  await t.rejects(worker.apply({ ...next, replace: false, revision: next.toVersion }), { code: 'INTERNAL' }, 'the worker still answers');
});
