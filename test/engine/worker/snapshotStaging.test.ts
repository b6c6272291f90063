/**
 * A snapshot staged in a scratch file as its chunks arrive, then copied into the live tables:
 * the same result, the same refusals (named by their position in the whole snapshot) as applying
 * it directly, and the live database free for the doors' writes until the copy.
 */
import t, { type Test } from 'tap';
import { existsSync, writeFileSync } from 'node:fs';
import { isGatewayError, type GatewayError } from '../../../src/kernel/gatewayError.js';
import { compileIndex } from '../../../src/access/compileIndex.js';
import { parseBatch } from '../../../src/store/batchOp.js';
import { AccessStore } from '../../../src/store/accessStore.js';
import { openDatabase } from '../../../src/store/database.js';
import { applyStagedSnapshot } from '../../../src/engine/rulesChange.js';
import { SnapshotStaging } from '../../../src/engine/worker/snapshotStaging.js';
import { StagedChunks } from '../../../src/engine/worker/stagedChunks.js';
import { CloudState } from '../../support/cloudState.js';
import { cardHolders, hashPin, smallSite, storeFixture, up } from '../../support/storeFixture.js';

function setup(t: Test) {
  const live = storeFixture(t);
  const staging = new SnapshotStaging(`${live.path}-staging`, hashPin);
  t.teardown(() => staging.discard());
  return { live, staging, chunks: new StagedChunks() };
}

/** A live store holding the small site, and a cloud whose next snapshot adds `holders` card holders. */
function cardSite(t: Test, holders: number) {
  const parts = setup(t);
  parts.live.apply(smallSite());
  const cloud = new CloudState(t);
  cloud.change([...smallSite(), ...cardHolders(0, holders)]);
  return { ...parts, cloud, before: parts.live.index().hash };
}

function caught(fn: () => unknown): GatewayError {
  try {
    fn();
  } catch (err) {
    if (isGatewayError(err)) return err;
    throw err;
  }
  throw new Error('expected a GatewayError');
}

t.test('chunks staged out of order are loaded in order; the live database stays writable until the copy', async (t) => {
  const { live, staging, chunks } = setup(t);
  live.apply([...smallSite(), up('person', { id: 'old', name: 'Old' }), up('credential', { id: 'old-pin', personId: 'old', kind: 'pin', pin: '9999', useLimit: 1 })]);
  live.store.recordUse('old-pin');
  live.store.setLockdown('lobby', true);
  const cloud = new CloudState(t);
  // a guest whose id sorts before the host's: the copy goes in id order, foreign keys are checked at the commit
  cloud.change([...smallSite(), ...cardHolders(0, 60), up('person', { id: 'z-host', name: 'Host' }), up('holding', { personId: 'z-host', keyId: 'k-lobby' }),
    up('person', { id: 'a-guest', name: 'Guest', kind: 'guest', hostId: 'z-host' }), up('person', { id: 'old', name: 'Old' }),
    up('credential', { id: 'old-pin', personId: 'old', kind: 'pin', pin: '9999', useLimit: 1 })]);
  const snapshot = cloud.snapshot('s1', 25);
  t.ok(snapshot.length >= 4);

  staging.begin('s1');
  t.ok(existsSync(staging.path), 'a scratch file beside the live one');
  for (const i of [2, 1]) chunks.put('s1', i, snapshot[i]!.operations);
  staging.advance(chunks);
  const other = openDatabase(live.path);
  t.teardown(() => other.close());
  other.pragma('busy_timeout = 0');
  other.prepare("INSERT INTO journal(seq, at, type) VALUES (1000, 1, 'test')").run();
  t.pass('the live database takes a write while chunks are staged (no lock held)');
  t.throws(() => staging.complete(chunks, snapshot.length), { code: 'BATCH_INVALID', message: /not all \d+ chunks of snapshot s1 are held \(2\)/ });
  for (const [i, c] of snapshot.entries()) chunks.put('s1', i, c.operations);

  const path = staging.complete(chunks, snapshot.length);
  t.throws(() => chunks.take('s1', snapshot.length), { code: 'BATCH_INVALID', message: /chunk 0 of snapshot s1 was released/ }, 'staged chunks keep no operations');
  const index = applyStagedSnapshot(live.store, path, { replace: true, revision: cloud.version, hash: cloud.hash() });
  t.equal(index.hash, cloud.hash(), 'the result has the cloud\'s hash');
  t.equal(live.store.revision(), cloud.version);
  t.equal(live.index().hash, cloud.hash(), 'and so has the committed store');
  t.same(live.store.counts().people, 63);
  t.same([...live.store.uses()], [['old-pin', 1]], 'a used one-time PIN stays used');
  t.same(live.store.lockdown().doors, ['lobby'], 'a lockdown survives');
  t.equal(live.db.prepare('SELECT count(*) FROM journal WHERE seq = 1000').pluck().get(), 1, 'the write made meanwhile is there');
  t.ok((live.db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").pluck().get() as number) >= 5, 'the indexes are built again');
  t.equal((live.db.pragma('database_list') as { name: string }[]).map((d) => d.name).includes('staged'), false, 'the scratch file is detached');
  staging.discard();
  t.notOk(existsSync(staging.path), 'and deleted');
});

t.test('a bad operation is found while staging, named by its position in the whole snapshot; nothing changes', async (t) => {
  const { live, staging, chunks, cloud, before } = cardSite(t, 30);
  const snapshot = cloud.snapshot('s1', 20);
  const bad = up('key', { id: 'k-ghost', name: 'Ghost', doors: [{ doorId: 'ghost-door' }] });
  const withBad = [...snapshot[2]!.operations.slice(0, 5), ...parseBatch([bad]), ...snapshot[2]!.operations.slice(5)];
  staging.begin('s1');
  for (const [i, c] of snapshot.entries()) chunks.put('s1', i, i === 2 ? withBad : c.operations);
  staging.advance(chunks);
  const err = caught(() => staging.complete(chunks, snapshot.length));
  t.equal(err.code, 'REFERENCE_MISSING');
  t.match(err.details, { index: 45, entity: 'key', id: 'k-ghost', field: 'doors[0].doorId' }, 'operation 45 = 2 chunks of 20 + 5');
  t.equal(live.index().hash, before);
});

t.test('a holding or credential whose person or key is missing is found when the live tables commit, named by its record; nothing changes', async (t) => {
  const cases = [
    { op: up('credential', { id: 'ghost-card', personId: 'ghost', kind: 'card', card: '26:1:1' }), details: { entity: 'credential', id: 'ghost-card', field: 'personId' }, message: 'credential ghost-card: personId refers to person ghost, which does not exist' },
    { op: up('holding', { personId: 'ghost', keyId: 'k-lobby' }), details: { entity: 'holding', id: 'ghost/k-lobby', field: 'personId' }, message: 'holding ghost/k-lobby: personId refers to person ghost, which does not exist' },
    { op: up('holding', { personId: 'p003', keyId: 'k-ghost' }), details: { entity: 'holding', id: 'p003/k-ghost', field: 'keyId' }, message: 'holding p003/k-ghost: keyId refers to key k-ghost, which does not exist' },
  ];
  for (const { op, details, message } of cases) {
    const { live, staging, chunks, cloud, before } = cardSite(t, 30);
    const operations = [...cloud.snapshot('s1', 1000)[0]!.operations, ...parseBatch([op])];
    staging.begin('s1');
    chunks.put('s1', 0, operations);
    const path = staging.complete(chunks, 1);
    // the cloud's hash may or may not count the bad record (then the hash check passes and the
    // commit fails): either way the missing reference is the error
    const scratch = openDatabase(path, { readonly: true });
    const withTheBadRecord = new AccessStore(scratch, hashPin).snapshot(compileIndex).hash;
    scratch.close();
    for (const hash of [cloud.hash(), withTheBadRecord]) {
      const err = caught(() => applyStagedSnapshot(live.store, path, { replace: true, revision: 2, hash }));
      t.equal(err.code, 'REFERENCE_MISSING');
      t.equal(err.message, message);
      t.match(err.details, details);
      t.notOk('index' in err.details, 'no position');
    }
    t.equal(live.index().hash, before);
    t.equal(live.store.revision(), 1);
    staging.discard();
  }
});

t.test('two credentials with one value are refused when the live index is built again; nothing changes', async (t) => {
  const { live, staging, chunks, cloud, before } = cardSite(t, 30);
  const snapshot = cloud.snapshot('s1', 1000);
  const clash = [...snapshot[0]!.operations, ...parseBatch([up('credential', { id: 'c-dup', personId: 'p001', kind: 'card', card: '26:9:5' })])];
  staging.begin('s1');
  chunks.put('s1', 0, clash);
  const path = staging.complete(chunks, 1);
  t.equal(chunks.get('s1', 0)?.length, 0, 'the chunk\'s operations were released once in the scratch file');
  const err = caught(() => applyStagedSnapshot(live.store, path, { replace: true, revision: 2, hash: cloud.hash() }));
  t.equal(err.code, 'DUPLICATE_CREDENTIAL');
  t.match(err.message, /^credential c004: this card is already credential c-dup \(a card is unique per site\)$/, 'both credentials named; no position is kept');
  t.match(err.details, { entity: 'credential', id: 'c004', field: 'card' });
  t.notOk('index' in err.details);
  t.equal(live.index().hash, before);
  t.equal(live.store.revision(), 1);
  t.equal((live.db.pragma('database_list') as { name: string }[]).map((d) => d.name).includes('staged'), false, 'detached after the failure too');
});

t.test('a hash that differs rolls the copy back', async (t) => {
  const { live, staging, chunks, cloud, before } = cardSite(t, 5);
  const [chunk] = cloud.snapshot('s1');
  staging.begin('s1');
  chunks.put('s1', 0, chunk!.operations);
  const err = caught(() => applyStagedSnapshot(live.store, staging.complete(chunks, 1), { replace: true, revision: 2, hash: 'f'.repeat(64) }));
  t.equal(err.code, 'HASH_MISMATCH');
  t.equal(live.store.snapshot(compileIndex).hash, before);
});

t.test('begin replaces a scratch file left by a crash', async (t) => {
  const { staging, chunks } = setup(t);
  writeFileSync(staging.path, 'not a database');
  staging.begin('s1');
  chunks.put('s1', 0, parseBatch([up('door', { id: 'd1', name: 'D' })]));
  t.equal(staging.complete(chunks, 1), staging.path);
});

