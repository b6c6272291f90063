import t from 'tap';
import type { Test } from 'tap';
import { pino } from 'pino';
import { EMPTY_STATE_HASH } from '../../src/access/contentHash.js';
import { CloudConfigSchema } from '../../src/cloud/cloudConfig.js';
import type { ApplyAck, Delta, GatewayMessage, GatewayMessageType, SyncRequest } from '../../src/wire/messages.js';
import { StateSync } from '../../src/cloud/stateSync.js';
import type { SyncTarget } from '../../src/cloud/syncTarget.js';
import { GatewayError } from '../../src/kernel/gatewayError.js';
import { CloudState } from '../support/cloudState.js';
import { gatewayFixture, type GatewayFixture } from '../support/gatewayFixture.js';
import { del, smallSite, up } from '../support/storeFixture.js';
import { Prng } from '../../bench/prng.js';

const prng = (seed: number) => {
  const p = new Prng(seed);
  return () => p.next();
};
function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

const EMPTY_HASH = EMPTY_STATE_HASH;

/** `target`: what replaces the gateway's own apply (the default target) in a test. */
async function setup(t: Test, sync: Record<string, unknown> = {}, target: (f: GatewayFixture) => Partial<SyncTarget> = () => ({})) {
  const f = await gatewayFixture(t, { demo: { seed: false } });
  const sent: Array<{ type: GatewayMessageType; message: unknown }> = [];
  const engine = new StateSync({
    target: { applied: () => f.gateway.applied(), apply: (c) => f.gateway.applyCloudChange(c), ...target(f) },
    publisher: {
      async publish<T extends GatewayMessageType>(type: T, message: GatewayMessage<T>) {
        sent.push({ type, message });
      },
    },
    clock: f.clock,
    logger: pino({ level: 'silent' }),
    config: CloudConfigSchema.parse({ sync }).sync,
    // deltas that fit are applied on a later turn; here that turn is run at once, or held by `hold`
    defer: (run) => (deferred === null ? run() : deferred.push(run)),
  });
  let deferred: Array<() => void> | null = null;
  await engine.start();
  t.teardown(() => engine.stop());
  const cloud = new CloudState(t);
  const acks = () => sent.filter((s) => s.type === 'apply_ack').map((s) => s.message as ApplyAck);
  const requests = () => sent.filter((s) => s.type === 'sync_request').map((s) => s.message as SyncRequest);
  const hold = () => {
    deferred = [];
  };
  const release = () => {
    const runs = deferred ?? [];
    deferred = null;
    for (const run of runs) run();
  };
  return { f, engine, cloud, sent, acks, requests, hold, release };
}

/** A site plus a run of realistic changes: people, PINs, cards, holdings, revocations. */
function buildHistory(cloud: CloudState, changes: number, seed: number): Delta[] {
  const random = prng(seed);
  const deltas: Delta[] = [cloud.change(smallSite())];
  const people: string[] = [];
  for (let i = 0; i < changes; i++) {
    const roll = random();
    if (roll < 0.5 || people.length === 0) {
      const id = `p${i}`;
      people.push(id);
      deltas.push(cloud.change([
        up('person', { id, name: `Person ${i}` }),
        up('holding', { personId: id, keyId: random() < 0.5 ? 'k-lobby' : 'k-office' }),
        up('credential', { id: `${id}-pin`, personId: id, kind: 'pin', pin: String(100000 + i) }),
        up('credential', { id: `${id}-card`, personId: id, kind: 'card', card: `26:1:${i + 1}` }),
      ]));
    } else if (roll < 0.75) {
      const id = people[Math.floor(random() * people.length)]!;
      deltas.push(cloud.change([up('person', { id, name: `Renamed ${i}`, status: random() < 0.5 ? 'suspended' : 'active' })]));
    } else {
      const id = people.splice(Math.floor(random() * people.length), 1)[0]!;
      deltas.push(cloud.change([del('person', { id })]));
    }
  }
  return deltas;
}

t.test('on first connect a never-synced gateway asks for a snapshot', async (t) => {
  const { engine, requests } = await setup(t);
  engine.onConnected();
  engine.onConnected();
  t.equal(requests().length, 1, 'asked once');
  t.match(requests()[0], { reason: 'startup', revision: 0, hash: EMPTY_HASH, want: { kind: 'snapshot' } });
});

t.test('a snapshot is applied only once every chunk arrived, in any order, repeats ignored', async (t) => {
  const { f, engine, cloud, acks } = await setup(t);
  engine.onConnected();
  buildHistory(cloud, 20, 1);
  const chunks = cloud.snapshot('snap-a', 7);
  t.ok(chunks.length >= 4, `${chunks.length} chunks`);
  const order = shuffle([...chunks.keys()], prng(2));
  for (const [n, i] of order.entries()) {
    engine.onSnapshotChunk(chunks[i]!, `jti-${i}`);
    if (n < order.length - 1) {
      t.equal(f.gateway.applied().revision, 0, 'nothing applied before the last chunk');
      engine.onSnapshotChunk(chunks[i]!, `jti-${i}-again`);
    }
  }
  t.same(f.gateway.applied(), { revision: cloud.version, hash: cloud.hash() });
  t.match(acks(), [{ revision: cloud.version, hash: cloud.hash(), duplicate: false, snapshotId: 'snap-a', inReplyTo: `jti-${order.at(-1)}` }]);
  t.equal(f.gateway.store.counts().credentials > 0, true);

  // the same snapshot again: a duplicate, acknowledged once
  for (const c of chunks) engine.onSnapshotChunk(c, 'again');
  t.equal(acks().length, 2);
  t.match(acks()[1], { duplicate: true, revision: cloud.version });
});

t.test('a delta chain applies in order and duplicates are acknowledged and ignored', async (t) => {
  const { f, engine, cloud, acks } = await setup(t);
  engine.onConnected();
  const deltas = buildHistory(cloud, 10, 3);
  for (const [i, d] of deltas.entries()) engine.onDelta(d, `d${i}`);
  t.same(f.gateway.applied(), { revision: cloud.version, hash: cloud.hash() });
  t.equal(acks().length, deltas.length);
  t.ok(acks().every((a, i) => a.revision === i + 1 && !a.duplicate));
  engine.onDelta(deltas[3]!, 'd3-again');
  t.match(acks().at(-1), { duplicate: true, revision: cloud.version, inReplyTo: 'd3-again' });
  t.same(f.gateway.applied().revision, cloud.version, 'unchanged');
});

t.test('a gap: the later delta waits, the gateway asks for exactly what is missing, then catches up', async (t) => {
  const { f, engine, cloud, requests } = await setup(t);
  engine.onConnected();
  const deltas = buildHistory(cloud, 5, 4); // versions 1..6
  engine.onDelta(deltas[0]!, 'd0');
  engine.onDelta(deltas[1]!, 'd1');
  engine.onDelta(deltas[4]!, 'd4'); // 4→5 while at 2
  t.equal(f.gateway.applied().revision, 2);
  t.match(requests().at(-1), { reason: 'gap', revision: 2, want: { kind: 'delta', fromVersion: 2, toVersion: 4 } });
  t.match(engine.status(), { bufferedDeltas: 1 });
  engine.onDelta(deltas[2]!, 'd2');
  engine.onDelta(deltas[3]!, 'd3'); // fills the gap: 3→4, then the buffered 4→5
  t.equal(f.gateway.applied().revision, 5);
  engine.onDelta(deltas[5]!, 'd5');
  t.same(f.gateway.applied(), { revision: cloud.version, hash: cloud.hash() });
  t.match(engine.status(), { bufferedDeltas: 0 });
});

t.test('an unanswered gap request is repeated after requestRetryMs', async (t) => {
  const { f, engine, cloud, requests } = await setup(t, { requestRetryMs: 5000 });
  engine.onConnected();
  const deltas = buildHistory(cloud, 3, 5);
  engine.onDelta(deltas[0]!, 'd0');
  engine.onDelta(deltas[2]!, 'd2');
  const before = requests().length;
  engine.onDelta(deltas[3]!, 'd3'); // same gap: not asked again right away
  t.equal(requests().length, before);
  f.clock.advance(5000);
  t.equal(requests().length, before + 1);
  t.match(requests().at(-1), { reason: 'gap', want: { kind: 'delta', fromVersion: 1, toVersion: 2 } });
});

t.test('deltas delivered shuffled, duplicated and partly lost converge to the cloud hash', async (t) => {
  for (const seed of [11, 12, 13, 14, 15]) {
    await t.test(`seed ${seed}`, async (t) => {
      const { f, engine, cloud, sent } = await setup(t, { requestRetryMs: 1000 });
      const deltas = buildHistory(cloud, 40, seed);
      // the cloud answers sync requests with the deltas it has from the asked version
      let answered = 0;
      const answer = () => {
        while (answered < sent.length) {
          const s = sent[answered++]!;
          if (s.type !== 'sync_request') continue;
          const want = (s.message as SyncRequest).want;
          if (want.kind === 'delta') for (const d of deltas.slice(want.fromVersion)) engine.onDelta(d, `answer-${d.toVersion}`);
        }
      };
      engine.onConnected();
      const random = prng(seed);
      const delivery = shuffle(deltas.flatMap((d) => (random() < 0.3 ? [d, d] : random() < 0.1 ? [] : [d])), random);
      for (const d of delivery) {
        engine.onDelta(d, `d${d.toVersion}`);
        if (random() < 0.2) answer();
      }
      for (let i = 0; i < 5 && f.gateway.applied().revision < cloud.version; i++) {
        f.clock.advance(1000);
        answer();
      }
      t.same(f.gateway.applied(), { revision: cloud.version, hash: cloud.hash() }, 'converged');
    });
  }
});

t.test('a delta whose result has the wrong hash is rolled back, reported, and a snapshot asked for', async (t) => {
  const { f, engine, cloud, requests } = await setup(t);
  engine.onConnected();
  const [first, second] = buildHistory(cloud, 1, 6);
  engine.onDelta(first!, 'd0');
  const before = f.gateway.applied();
  const rejected: unknown[] = [];
  engine.on('rejected', (r) => rejected.push(r));
  engine.onDelta({ ...second!, hash: 'a'.repeat(64) }, 'forged-hash');
  t.same(f.gateway.applied(), before, 'nothing changed');
  t.equal(f.gateway.store.revision(), before.revision, 'the store was rolled back too');
  t.match(rejected, [{ reason: 'hash_mismatch', jti: 'forged-hash' }]);
  t.match(requests().at(-1), { reason: 'hash_mismatch', want: { kind: 'snapshot' } });
});

t.test('a delta that cannot be applied leaves the revision and says why', async (t) => {
  const { f, engine, cloud, requests } = await setup(t);
  engine.onConnected();
  engine.onDelta(cloud.change(smallSite()), 'd0');
  const failed: Array<{ code: string }> = [];
  engine.on('failed', (e) => failed.push(e));
  engine.onDelta({ fromVersion: 1, toVersion: 2, hash: cloud.hash(), operations: [{ op: 'upsert', entity: 'holding', record: { personId: 'nobody', keyId: 'k-lobby' } }] } as Delta, 'bad');
  t.equal(f.gateway.applied().revision, 1);
  t.match(failed, [{ code: 'REFERENCE_MISSING' }]);
  t.match(requests().at(-1), { reason: 'apply_failed', want: { kind: 'snapshot' }, detail: /nobody/ });
});

t.test('a snapshot older than the applied revision is a rollback and changes nothing', async (t) => {
  const { f, engine, cloud } = await setup(t);
  engine.onConnected();
  const deltas = buildHistory(cloud, 3, 7);
  engine.onDelta(deltas[0]!, 'd0');
  const old = cloud.snapshot('old', 100);
  for (const d of deltas.slice(1)) engine.onDelta(d, 'd');
  const before = f.gateway.applied();
  const rejected: Array<{ reason: string }> = [];
  engine.on('rejected', (r) => rejected.push(r));
  // `old` was cut at the latest version; make it claim an older one
  engine.onSnapshotChunk({ ...old[0]!, version: 1 }, 'rollback');
  t.same(f.gateway.applied(), before);
  t.match(rejected, [{ reason: 'rollback' }]);
});

t.test('a silent snapshot: missing chunks are asked for, then a whole snapshot', async (t) => {
  const { f, engine, cloud, requests } = await setup(t, { chunkTimeoutMs: 1000 });
  engine.onConnected();
  buildHistory(cloud, 10, 8);
  const chunks = cloud.snapshot('snap-b', 5);
  engine.onSnapshotChunk(chunks[0]!, 'c0');
  engine.onSnapshotChunk(chunks[2]!, 'c2');
  f.clock.advance(1000);
  const missing = chunks.map((_, i) => i).filter((i) => i !== 0 && i !== 2);
  t.match(requests().at(-1), { reason: 'incomplete_snapshot', want: { kind: 'chunks', snapshotId: 'snap-b', version: cloud.version, chunks: missing } });
  f.clock.advance(2000);
  t.match(requests().at(-1), { reason: 'incomplete_snapshot', want: { kind: 'chunks' } });
  f.clock.advance(1000);
  t.match(requests().at(-1), { reason: 'incomplete_snapshot', want: { kind: 'snapshot' } });
  t.equal(f.gateway.applied().revision, 0, 'half a site is never applied');
});

t.test('a chunk that disagrees with its snapshot drops it; a newer snapshot replaces an incomplete one', async (t) => {
  const { f, engine, cloud, requests } = await setup(t);
  engine.onConnected();
  buildHistory(cloud, 10, 9);
  const a = cloud.snapshot('snap-a', 5);
  engine.onSnapshotChunk(a[0]!, 'a0');
  engine.onSnapshotChunk({ ...a[1]!, hash: 'b'.repeat(64) }, 'a1-bad');
  t.match(requests().at(-1), { reason: 'incomplete_snapshot', want: { kind: 'snapshot' } });
  engine.onSnapshotChunk(a[0]!, 'a0');
  const newer = cloud.snapshot('snap-c', 500); // one chunk, same version, new id
  engine.onSnapshotChunk(newer[0]!, 'c0');
  t.same(f.gateway.applied(), { revision: cloud.version, hash: cloud.hash() });
  engine.onSnapshotChunk(a[1]!, 'a1-late'); // a chunk of the replaced snapshot: a duplicate of the version
  t.same(f.gateway.applied(), { revision: cloud.version, hash: cloud.hash() });
});

t.test('a snapshot over the size limit is refused without being applied', async (t) => {
  const { f, engine, cloud, requests } = await setup(t, { maxSnapshotOperations: 10 });
  engine.onConnected();
  buildHistory(cloud, 10, 10);
  for (const c of cloud.snapshot('big', 4)) engine.onSnapshotChunk(c, 'x');
  t.equal(f.gateway.applied().revision, 0);
  t.match(requests().find((r) => r.detail?.includes('maxSnapshotOperations')), { want: { kind: 'snapshot' } });
});

t.test('a snapshot replaces the state: records it does not name are gone, use counts and lockdowns of the rest survive', async (t) => {
  const { f, engine, cloud } = await setup(t);
  engine.onConnected();
  engine.onDelta(cloud.change([...smallSite(), up('person', { id: 'ann', name: 'Ann' }), up('person', { id: 'bob', name: 'Bob' }),
    up('holding', { personId: 'ann', keyId: 'k-lobby' }), up('holding', { personId: 'bob', keyId: 'k-lobby' }),
    up('credential', { id: 'ann-once', personId: 'ann', kind: 'pin', pin: '424242', useLimit: 1 }),
    up('credential', { id: 'bob-card', personId: 'bob', kind: 'card', card: '26:1:2' })]), 'd0');
  t.equal(f.gateway.decide({ doorId: 'lobby', kind: 'pin', value: f.gateway.hashPin('424242') }).grant, true, 'the one-time PIN opens once');
  f.gateway.setLockdown('gym', true);
  cloud.change([del('person', { id: 'bob' })]);
  engine.on('failed', (e) => t.fail(e.detail));
  engine.on('rejected', (e) => t.fail(e.detail));
  for (const c of cloud.snapshot('snap-r', 3)) engine.onSnapshotChunk(c, 'r');
  t.same(f.gateway.applied(), { revision: cloud.version, hash: cloud.hash() });
  t.equal(f.gateway.store.person('bob'), undefined, 'bob is gone');
  t.equal(f.gateway.decide({ doorId: 'lobby', kind: 'pin', value: f.gateway.hashPin('424242') }).grant, false, 'the used one-time PIN stays used');
  t.same(f.gateway.store.lockdown().doors, ['gym'], 'the lockdown survived');
});

t.test('deltas buffered behind a gap are bounded', async (t) => {
  const { engine, cloud } = await setup(t, { maxBufferedDeltas: 3 });
  engine.onConnected();
  const deltas = buildHistory(cloud, 10, 16);
  for (const d of deltas.slice(2).reverse()) engine.onDelta(d, 'x');
  t.equal(engine.status().bufferedDeltas, 3);
});

t.test('deltas that arrive together are applied as one change and acknowledged at their end', async (t) => {
  const { f, engine, cloud, acks, requests, hold, release } = await setup(t);
  engine.onConnected();
  const deltas = buildHistory(cloud, 6, 17);
  engine.onDelta(deltas[0]!, 'd0');
  hold();
  const asked = requests().length;
  for (const [i, d] of deltas.slice(1).entries()) engine.onDelta(d, `d${i + 1}`);
  engine.onDelta(deltas[2]!, 'd2-again');
  t.equal(requests().length, asked, 'deltas that continue the waiting ones are no gap');
  t.equal(f.gateway.applied().revision, 1, 'nothing applied before the next turn');
  release();
  t.same(f.gateway.applied(), { revision: cloud.version, hash: cloud.hash() });
  t.same(acks().map((a) => a.revision), [1, cloud.version], 'one acknowledgement for the run');
  t.equal(acks().at(-1)!.inReplyTo, `d${deltas.length - 1}`);
});

t.test('a run with one bad delta: the good ones before it are applied, the bad one is reported', async (t) => {
  const { f, engine, cloud, requests, hold, release } = await setup(t);
  engine.onConnected();
  const deltas = buildHistory(cloud, 4, 18);
  engine.onDelta(deltas[0]!, 'd0');
  hold();
  engine.onDelta(deltas[1]!, 'd1');
  engine.onDelta(deltas[2]!, 'd2');
  engine.onDelta({ ...deltas[3]!, operations: [{ op: 'upsert', entity: 'holding', record: { personId: 'nobody', keyId: 'k-lobby' } }] } as Delta, 'd3-bad');
  engine.onDelta(deltas[4]!, 'd4');
  release();
  t.equal(f.gateway.applied().revision, 3, 'applied up to the bad delta');
  t.match(requests().at(-1), { reason: 'apply_failed', revision: 3, detail: /delta 3→4.*nobody/ });
});

t.test('a gap behind waiting deltas asks from the end of the waiting chain to the far side of the gap', async (t) => {
  const { f, engine, cloud, requests, hold } = await setup(t);
  engine.onConnected();
  const deltas = buildHistory(cloud, 8, 19);
  for (const d of deltas.slice(0, 5)) engine.onDelta(d, 'x'); // at 5
  hold();
  engine.onDelta(deltas[5]!, 'd5'); // 5→6 waits
  engine.onDelta(deltas[6]!, 'd6'); // 6→7 waits
  engine.onDelta(deltas[8]!, 'd8'); // 8→9: a gap after 7
  t.equal(f.gateway.applied().revision, 5);
  t.match(requests().at(-1), { reason: 'gap', want: { kind: 'delta', fromVersion: 7, toVersion: 8 } });
});

t.test('after a delta fails, nothing behind it waits and no request repeats', async (t) => {
  const { f, engine, cloud, requests } = await setup(t, { requestRetryMs: 1000 });
  engine.onConnected();
  const deltas = buildHistory(cloud, 4, 20);
  engine.onDelta(deltas[0]!, 'd0');
  engine.onDelta(deltas[3]!, 'd3'); // waits behind a gap
  engine.onDelta({ ...deltas[1]!, operations: [{ op: 'upsert', entity: 'holding', record: { personId: 'nobody', keyId: 'k-lobby' } }] } as Delta, 'bad');
  t.match(requests().at(-1), { reason: 'apply_failed' });
  t.equal(engine.status().bufferedDeltas, 0);
  const asked = requests().length;
  f.clock.advance(5000);
  t.equal(requests().length, asked, 'no retry loop');
});

t.test('while a snapshot is being applied asynchronously: its redelivered chunk and a heartbeat ahead start nothing', async (t) => {
  const applies: number[] = [];
  let finish: (() => void) | null = null;
  const { f, engine, cloud, requests, acks } = await setup(t, { requestRetryMs: 1000 }, (f) => ({
    apply: (change) => {
      applies.push(change.revision);
      return new Promise((resolve) => {
        finish = () => resolve(f.gateway.applyCloudChange(change));
      });
    },
  }));
  engine.onConnected();
  buildHistory(cloud, 5, 22);
  const [only] = cloud.snapshot('one', 10_000);
  engine.onSnapshotChunk(only!, 'first');
  t.same(applies, [only!.version], 'applying');
  f.clock.advance(1000);
  const requestsBefore = requests().length;
  engine.onSnapshotChunk(only!, 'redelivered');
  engine.onCloudRevision(only!.version + 3);
  t.same(applies, [only!.version], 'the redelivered chunk was not applied again');
  t.equal(requests().length, requestsBefore, 'no request while catching up');
  finish!();
  await new Promise((resolve) => setImmediate(resolve));
  t.same(f.gateway.applied(), { revision: only!.version, hash: cloud.hash() });
  t.equal(acks().length, 1);
});

t.test('a snapshot given up after its chunk requests is dropped by the target that holds its chunks', async (t) => {
  const staged: string[] = [];
  const dropped: string[] = [];
  const { f, engine, cloud } = await setup(t, { chunkTimeoutMs: 1000 }, () => ({
    stageChunk: (snapshotId, chunkIndex) => staged.push(`${snapshotId}/${chunkIndex}`),
    dropChunks: (snapshotId) => dropped.push(snapshotId),
  }));
  buildHistory(cloud, 10, 8);
  const chunks = cloud.snapshot('snap-b', 5);
  engine.onSnapshotChunk(chunks[0]!, 'c0');
  t.same(staged, ['snap-b/0']);
  f.clock.advance(1000);
  f.clock.advance(2000);
  t.same(dropped, [], 'still asking for the missing chunks');
  f.clock.advance(1000);
  t.same(dropped, ['snap-b'], 'given up: its chunks (in memory, in a scratch file) are let go');
});

t.test('a change that fails on a bug of ours is INTERNAL: apply_failed, no snapshot asked for, the gateway keeps its revision and does not ask again on its own', async (t) => {
  let bug = true;
  const { f, engine, cloud, sent, requests } = await setup(t, {}, (f) => ({
    apply: (c) => {
      if (bug) throw new Error('undefined is not a function');
      return f.gateway.applyCloudChange(c);
    },
  }));
  engine.onConnected();
  const asked = requests().length;
  const failed: Array<{ code: string }> = [];
  engine.on('failed', (e) => failed.push(e));
  const delta = cloud.change(smallSite());
  engine.onDelta(delta, 'd-bug');
  t.equal(f.gateway.applied().revision, 0, 'nothing applied');
  t.match(failed, [{ code: 'INTERNAL' }]);
  t.match(sent.filter((s) => s.type === 'apply_failed').map((s) => s.message), [
    { revision: 0, hash: EMPTY_HASH, code: 'INTERNAL', inReplyTo: 'd-bug', detail: /delta 0→1 was not applied: undefined is not a function/ },
  ]);
  engine.onCloudRevision(1);
  engine.requestLatest('stale');
  t.equal(requests().length, asked, 'no sync_request: not for a snapshot, nor on the heartbeat or a stale one');
  bug = false;
  engine.requestSnapshot('resync_command');
  t.match(requests().at(-1), { reason: 'resync_command', want: { kind: 'snapshot' } }, 'an explicit resync still asks');
  engine.onDelta(delta, 'd-again');
  t.same(f.gateway.applied(), { revision: 1, hash: cloud.hash() }, 'the same change applies once the bug is gone');
});

t.test('a GatewayError BATCH_INVALID is still the cloud\'s data: a snapshot is asked for, no apply_failed message', async (t) => {
  const { f, engine, cloud, sent, requests } = await setup(t, {}, () => ({
    apply: () => {
      throw new GatewayError('BATCH_INVALID', 'the batch was not applied: operation 3 is not an operation');
    },
  }));
  engine.onConnected();
  const failed: Array<{ code: string }> = [];
  engine.on('failed', (e) => failed.push(e));
  engine.onDelta(cloud.change(smallSite()), 'd-bad');
  t.equal(f.gateway.applied().revision, 0);
  t.match(failed, [{ code: 'BATCH_INVALID' }]);
  t.match(requests().at(-1), { reason: 'apply_failed', want: { kind: 'snapshot' }, detail: /operation 3/ });
  t.equal(sent.filter((s) => s.type === 'apply_failed').length, 0);
});
