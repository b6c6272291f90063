import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isGatewayError } from '../../src/kernel/gatewayError.js';
import { integrityCheck, migrate, openDatabase, schemaVersion } from '../../src/store/database.js';
import { MIGRATIONS } from '../../src/store/migrations.js';

function dbPath(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'lockgw-db-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'lockgw.db');
}

const indexNames = (db: ReturnType<typeof openDatabase>, table: string) =>
  db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? ORDER BY name").pluck().all(table);

t.test('a new database gets every migration', async (t) => {
  const db = openDatabase(dbPath(t));
  t.teardown(() => db.close());
  t.equal(schemaVersion(db), Math.max(...MIGRATIONS.map((m) => m.version)));
  t.same(indexNames(db, 'credentials'), ['credentials_by_person', 'credentials_by_value'], 'credential values are unique through a named, droppable index');
  t.equal(db.pragma('foreign_keys', { simple: true }), 1);
});

t.test('migration 3 rebuilds the credentials of a version-2 database and keeps every row and use count', async (t) => {
  const path = dbPath(t);
  const old = openDatabase(path, { migrations: MIGRATIONS.filter((m) => m.version <= 2) });
  t.equal(schemaVersion(old), 2);
  old.exec(`
    INSERT INTO people(id, name, status, kind) VALUES ('p1', 'P', 'active', 'resident');
    INSERT INTO credentials(id, person_id, kind, value, status, use_limit) VALUES ('c1', 'p1', 'pin', 'digest-1', 'active', 1), ('c2', 'p1', 'card', '26:1:2', 'active', NULL);
    INSERT INTO credential_uses(credential_id, uses) VALUES ('c1', 1);
  `);
  old.close();

  const db = openDatabase(path);
  t.teardown(() => db.close());
  t.equal(schemaVersion(db), Math.max(...MIGRATIONS.map((m) => m.version)), 'migrated through 3 to the latest');
  t.same(db.prepare('SELECT id, person_id, kind, value, use_limit FROM credentials ORDER BY id').raw().all(), [['c1', 'p1', 'pin', 'digest-1', 1], ['c2', 'p1', 'card', '26:1:2', null]]);
  t.same(db.prepare('SELECT credential_id, uses FROM credential_uses').raw().all(), [['c1', 1]], 'dropping the old table did not cascade into the use counts');
  t.equal(db.pragma('foreign_keys', { simple: true }), 1, 'foreign keys are on again');
  t.same(integrityCheck(db), ['ok']);
  t.same(db.pragma('foreign_key_check'), []);
  t.throws(() => db.prepare("INSERT INTO credentials(id, person_id, kind, value, status) VALUES ('c3', 'p1', 'card', '26:1:2', 'active')").run(), { code: 'SQLITE_CONSTRAINT_UNIQUE' }, 'values stay unique');
  db.prepare("DELETE FROM credentials WHERE id = 'c1'").run();
  t.same(db.prepare('SELECT count(*) FROM credential_uses').pluck().get(), 0, 'the use counts still follow their credential');
});

t.test('a table rebuild that would break a foreign key is rolled back', async (t) => {
  const path = dbPath(t);
  const db = openDatabase(path, { migrations: MIGRATIONS.filter((m) => m.version <= 3) });
  t.teardown(() => db.close());
  db.exec("INSERT INTO people(id, name, status, kind) VALUES ('p1', 'P', 'active', 'resident'); INSERT INTO credentials(id, person_id, kind, value, status) VALUES ('c1', 'p1', 'card', '26:1:2', 'active');");
  const bad = { version: 4, name: 'loses the people', rebuildsTables: true, sql: 'CREATE TABLE people_v4 (id TEXT PRIMARY KEY, name TEXT NOT NULL, status TEXT NOT NULL, kind TEXT NOT NULL, host_id TEXT, extended_unlock INTEGER NOT NULL DEFAULT 0); DROP TABLE people; ALTER TABLE people_v4 RENAME TO people;' };
  try {
    migrate(db, [...MIGRATIONS.filter((m) => m.version <= 3), bad]);
    t.fail('expected MIGRATION_FAILED');
  } catch (err) {
    t.ok(isGatewayError(err) && err.code === 'MIGRATION_FAILED');
    t.match((err as Error).message, /migration 4 \(loses the people\) failed: 1 rows would break a foreign key, the first in credentials \(referring to people\)/);
  }
  t.equal(schemaVersion(db), 3, 'still at version 3');
  t.equal(db.prepare('SELECT count(*) FROM people').pluck().get(), 1, 'the people are still there');
  t.equal(db.pragma('foreign_keys', { simple: true }), 1);
});

t.test('a database newer than this lockgw is refused', async (t) => {
  const path = dbPath(t);
  openDatabase(path).close();
  t.throws(() => openDatabase(path, { migrations: MIGRATIONS.filter((m) => m.version <= 2) }), { code: 'MIGRATION_FAILED', message: new RegExp(`schema version ${Math.max(...MIGRATIONS.map((m) => m.version))}, newer than this lockgw \\(2\\)`) });
});
