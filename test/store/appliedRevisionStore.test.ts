import t, { type Test } from 'tap';
import { openDatabase } from '../../src/store/database.js';
import { AppliedRevisionStore } from '../../src/store/appliedRevisionStore.js';

const open = (t: Test) => {
  const db = openDatabase(`${t.testdir()}/gateway.db`);
  t.teardown(() => db.close());
  return { db, store: new AppliedRevisionStore(db) };
};
const h = (c: string) => c.repeat(64);
const digest = 'd'.repeat(43);

t.test('remembers snapshots and deltas, returns the newest `limit` oldest first, keeps only the newest `keep`', async (t) => {
  const { store } = open(t);
  store.remember([{ revision: 1, hash: h('1') }], 10);
  store.remember([{ revision: 2, hash: h('a'), delta: { fromVersion: 1, digest } }, { revision: 3, hash: h('b'), delta: { fromVersion: 2, digest } }], 10);
  t.same(store.load(10), { revisions: [{ revision: 1, hash: h('1') }, { revision: 2, hash: h('a'), delta: { fromVersion: 1, digest } }, { revision: 3, hash: h('b'), delta: { fromVersion: 2, digest } }], skipped: 0 });
  t.same(store.load(2).revisions.map((r) => r.revision), [2, 3], 'bounded to the newest');
  store.remember([{ revision: 4, hash: h('c') }], 2);
  t.same(store.load(10).revisions.map((r) => r.revision), [3, 4], 'all but the newest 2 deleted');
});

t.test('a row it did not write is left out and counted', async (t) => {
  const { db, store } = open(t);
  store.remember([{ revision: 2, hash: h('a'), delta: { fromVersion: 1, digest } }], 10);
  db.prepare('INSERT INTO applied_revisions(revision, hash, from_version, digest) VALUES (3, ?, 2, ?)').run('not a hash', digest);
  db.prepare('INSERT INTO applied_revisions(revision, hash, from_version, digest) VALUES (4, ?, 4, ?)').run(h('c'), digest);
  t.same(store.load(10), { revisions: [{ revision: 2, hash: h('a'), delta: { fromVersion: 1, digest } }], skipped: 2 });
});
