import t, { type Test } from 'tap';
import { openDatabase } from '../../src/store/database.js';
import { CommandReplayStore } from '../../src/store/commandReplayStore.js';

const open = (t: Test) => {
  const db = openDatabase(`${t.testdir()}/gateway.db`);
  t.teardown(() => db.close());
  return { db, store: new CommandReplayStore(db) };
};
const entry = (key: string, expiresAt = 10_000, value = 'ok') => ({ key, value, expiresAt });

t.test('load returns the live entries oldest first, the newest `limit` of them; a replaced key becomes the newest', async (t) => {
  const { store } = open(t);
  store.remember([entry('a'), entry('b')], []);
  store.remember([entry('c', 500)], []);
  store.remember([entry('a', 20_000, 'failed')], []);
  t.same(store.load(0, 10), { entries: [entry('b'), entry('c', 500), entry('a', 20_000, 'failed')], skipped: 0 });
  t.same(store.load(500, 10).entries.map((e) => e.key), ['b', 'a'], 'c expired at 500');
  t.same(store.load(0, 2).entries.map((e) => e.key), ['c', 'a'], 'bounded to the newest');
  store.remember([], ['b']);
  t.same(store.load(0, 10).entries.map((e) => e.key), ['c', 'a'], 'forgotten');
});

t.test('prune deletes the expired rows and all but the newest `keep`', async (t) => {
  const { db, store } = open(t);
  store.remember([entry('old', 100), entry('x'), entry('y'), entry('z')], []);
  t.equal(store.prune(100, 2), 2, 'one expired, one beyond the bound');
  t.same((db.prepare('SELECT key FROM command_replays ORDER BY rowid').all() as { key: string }[]).map((r) => r.key), ['y', 'z']);
  t.equal(store.prune(100, 2), 0);
});

t.test('a damaged row is left out and counted; the others load', async (t) => {
  const { db, store } = open(t);
  store.remember([entry('good')], []);
  // what a flipped byte or a foreign writer could leave: the CHECKs are bypassed to plant it
  db.pragma('ignore_check_constraints = ON');
  db.prepare('INSERT INTO command_replays(key, value, expires_at) VALUES (?, ?, ?)').run('', 'ok', 10_000);
  db.prepare('INSERT INTO command_replays(key, value, expires_at) VALUES (?, ?, ?)').run('bad-value', 'OK; DROP', 10_000);
  db.prepare('INSERT INTO command_replays(key, value, expires_at) VALUES (?, ?, ?)').run('x'.repeat(400), 'ok', 10_000);
  db.pragma('ignore_check_constraints = OFF');
  t.same(store.load(0, 10), { entries: [entry('good')], skipped: 3 });
});

t.test('a table that cannot be read is a STORE_CORRUPT error naming it', async (t) => {
  const { db, store } = open(t);
  db.exec('DROP TABLE command_replays');
  t.throws(() => store.load(0, 10), { code: 'STORE_CORRUPT', message: /command_replays/ });
});
