import t, { type Test } from 'tap';
import { openDatabase } from '../../src/store/database.js';
import { OfflineCodeUseStore } from '../../src/store/offlineCodeUseStore.js';

const open = (t: Test, path = `${t.testdir()}/gateway.db`) => {
  const db = openDatabase(path);
  t.teardown(() => db.close());
  return { db, path, store: new OfflineCodeUseStore(db) };
};
const use = (codeId: string, usedAt: number, expiresAt: number) => ({ codeId, doorId: 'lobby', usedAt, expiresAt });

t.test('a use is kept across a reopen of the file; recording it twice keeps the first', async (t) => {
  const first = open(t);
  first.store.record(use('oc-1', 100, 1_000));
  first.store.record(use('oc-1', 200, 5_000));
  first.db.close();
  const again = open(t, first.path);
  t.same(again.store.usedIds(), ['oc-1']);
  t.same(again.db.prepare('SELECT used_at, expires_at FROM offline_code_uses').get(), { used_at: 100, expires_at: 1_000 });
});

t.test('recording a use drops the rows whose codes can no longer be valid', async (t) => {
  const { store } = open(t);
  store.record(use('oc-old', 100, 1_000));
  store.record(use('oc-live', 100, 9_000));
  t.same(store.usedIds().sort(), ['oc-live', 'oc-old'], 'reading drops nothing');
  store.record(use('oc-new', 1_000, 9_000));
  t.same(store.usedIds().sort(), ['oc-live', 'oc-new'], 'expired at 1000');
});

t.test('an unreadable table is STORE_CORRUPT, naming it', async (t) => {
  const { db, store } = open(t);
  db.exec('DROP TABLE offline_code_uses');
  t.throws(() => store.usedIds(), { code: 'STORE_CORRUPT', message: /offline_code_uses/ });
});
