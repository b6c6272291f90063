import t from 'tap';
import { hashAccessSource, StateHash, EMPTY_STATE_HASH } from '../../src/access/contentHash.js';
import { openDatabase } from '../../src/store/database.js';
import { AccessStore } from '../../src/store/accessStore.js';
import { hashPin, smallSite, storeFixture, up, del } from '../support/storeFixture.js';
import { randomBase, randomBatches } from '../support/randomBatches.js';

t.test('the sum is the same in any order, and taking a line out undoes adding it', async (t) => {
  const lines = [['door', 'a', 'A', '', false], ['door', 'b', 'B', '', true], ['person', 'p', 'P', 'active', 'resident', null, false]];
  const forward = new StateHash();
  for (const line of lines) forward.add(line);
  const backward = new StateHash();
  for (const line of [...lines].reverse()) backward.add(line);
  t.equal(forward.digest(), backward.digest());
  t.not(forward.digest(), EMPTY_STATE_HASH);
  const undone = StateHash.from(forward.digest());
  for (const line of lines) undone.remove(line);
  t.equal(undone.digest(), EMPTY_STATE_HASH, 'back to the empty state, borrows and all');
  t.throws(() => StateHash.from('xyz'), /not a content hash/);
});

t.test('every batch keeps the stored hash equal to hashing every record, rejected ones included', async (t) => {
  const f = storeFixture(t);
  f.apply(randomBase());
  let applied = 0;
  let rejected = 0;
  for (const [i, batch] of randomBatches(20261122, 400).entries()) {
    const before = f.store.contentHash();
    try {
      f.store.applyBatch(batch, { source: 'cloud' });
      applied++;
    } catch {
      rejected++;
      if (f.store.contentHash() !== before) t.fail(`batch ${i} was rejected but moved the hash`);
    }
    const full = f.store.snapshot(hashAccessSource);
    if (f.store.contentHash() !== full) {
      t.fail(`after batch ${i} (${JSON.stringify(batch)}) the stored hash differs from the full one`);
      break;
    }
  }
  t.ok(applied > 100 && rejected > 20, `both kinds happened: ${applied} applied, ${rejected} rejected`);
  t.equal(f.index().hash, f.store.snapshot(hashAccessSource), 'the compiled index carries it');
});

t.test('cascades are counted: a deleted person takes their holdings and credentials out, a deleted door edits keys', async (t) => {
  const f = storeFixture(t);
  f.apply([...smallSite(), up('person', { id: 'p1', name: 'P' }), up('holding', { personId: 'p1', keyId: 'k-lobby' }), up('credential', { id: 'c1', personId: 'p1', kind: 'card', card: '26:1:1' })]);
  for (const op of [del('person', { id: 'p1' }), del('door', { id: 'gym' }), del('key', { id: 'k-lobby' })]) {
    f.apply([op]);
    t.equal(f.store.contentHash(), f.store.snapshot(hashAccessSource), JSON.stringify(op));
  }
});

t.test('a snapshot forgets the hash until its compile computes it; a file without one computes it once', async (t) => {
  const f = storeFixture(t);
  f.store.applyBatch([...smallSite(), up('person', { id: 'p1', name: 'P' })], { source: 'cloud', replace: true });
  t.equal(f.db.prepare("SELECT value FROM meta WHERE key = 'content_hash'").pluck().get(), undefined, 'not kept after the snapshot');
  const full = f.store.snapshot(hashAccessSource);
  t.equal(f.store.contentHash(), full, 'computed on demand');
  t.equal(f.store.compile().hash, full);
  t.equal(f.db.prepare("SELECT value FROM meta WHERE key = 'content_hash'").pluck().get(), full, 'kept by compile()');
  f.close();
  const reopened = new AccessStore(openDatabase(f.path), hashPin);
  t.equal(reopened.snapshot((source) => source.hash), full, 'the compile of the next start reads it instead of hashing every record');
});
