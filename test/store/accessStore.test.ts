import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { KIND_CODE } from '../../src/access/credentialTable.js';
import { isGatewayError, type GatewayError } from '../../src/kernel/gatewayError.js';
import { parseBatch } from '../../src/store/batchOp.js';
import { del, hashPin, smallSite, storeFixture, up } from '../support/storeFixture.js';

function rejects(t: Test, fn: () => unknown, code: string, details: Partial<GatewayError['details']>, message?: RegExp): void {
  try {
    fn();
    t.fail(`expected ${code}`);
  } catch (err) {
    t.ok(isGatewayError(err), 'a GatewayError');
    const e = err as GatewayError;
    t.equal(e.code, code);
    t.match(e.details, details);
    if (message) t.match(e.message, message);
  }
}

t.test('a batch applies in one transaction and moves the revision', async (t) => {
  const f = storeFixture(t);
  const r = f.store.applyBatch(smallSite(), { source: 'cloud' });
  t.equal(r.revision, 1);
  t.equal(r.applied, 8);
  t.same(f.store.counts(), { doors: 3, holidays: 1, schedules: 1, keys: 2, people: 0, holdings: 0, credentials: 0 });
  t.equal(f.store.applyBatch([up('person', { id: 'p1', name: 'P' })], { source: 'cloud', revision: 7 }).revision, 7);
  t.equal(f.store.revision(), 7);
});

t.test('bad data is rejected naming the record and the field, and changes nothing', async (t) => {
  const f = storeFixture(t);
  f.apply([...smallSite(), up('person', { id: 'p1', name: 'P' }), up('credential', { id: 'c1', personId: 'p1', kind: 'pin', pin: '1234' })]);
  const before = f.index().hash;
  const revision = f.store.revision();

  t.test('a credential for an unknown person', async (t) => {
    rejects(t, () => f.store.applyBatch([up('door', { id: 'new-door', name: 'New' }), up('credential', { id: 'c2', personId: 'ghost', kind: 'card', card: '26:1:2' })], { source: 'cloud' }),
      'REFERENCE_MISSING', { index: 1, entity: 'credential', id: 'c2', field: 'personId' }, /ghost/);
  });
  t.test('a duplicate PIN (unique per site)', async (t) => {
    f.apply([up('person', { id: 'p2', name: 'Q' })]);
    rejects(t, () => f.store.applyBatch([up('credential', { id: 'c3', personId: 'p2', kind: 'pin', pin: '1234' })], { source: 'cloud' }),
      'DUPLICATE_CREDENTIAL', { entity: 'credential', id: 'c3', field: 'pin' }, /already credential c1/);
    f.apply([del('person', { id: 'p2' })]);
  });
  t.test('a holding that ends before it starts', async (t) => {
    rejects(t, () => f.store.applyBatch([up('holding', { personId: 'p1', keyId: 'k-lobby', validFrom: '2026-05-01T00:00:00Z', validUntil: '2026-04-01T00:00:00Z' })], { source: 'cloud' }),
      'RECORD_INVALID', { entity: 'holding', id: 'p1/k-lobby', field: 'validUntil' }, /ends before it starts/);
  });
  t.test('a schedule interval of zero length', async (t) => {
    rejects(t, () => f.store.applyBatch([up('schedule', { id: 'bad', name: 'Bad', intervals: [{ days: ['mon'], start: '09:00', end: '09:00' }] })], { source: 'cloud' }),
      'RECORD_INVALID', { entity: 'schedule', id: 'bad', field: 'intervals[0].end' });
  });
  t.test('a key naming a door that does not exist', async (t) => {
    rejects(t, () => f.store.applyBatch([up('key', { id: 'k9', name: 'K', doors: [{ doorId: 'lobby' }, { doorId: 'nowhere' }] })], { source: 'cloud' }),
      'REFERENCE_MISSING', { entity: 'key', id: 'k9', field: 'doors[1].doorId' });
  });
  t.test('an unknown field', async (t) => {
    rejects(t, () => f.store.applyBatch([up('door', { id: 'd', name: 'D', colour: 'red' })], { source: 'cloud' }), 'RECORD_INVALID', { entity: 'door', id: 'd' });
  });
  t.test('a schedule still used by a key', async (t) => {
    rejects(t, () => f.store.applyBatch([del('schedule', { id: 'office' })], { source: 'cloud' }), 'RECORD_IN_USE', { id: 'office' }, /key k-office/);
  });
  t.test('not a batch at all', async (t) => {
    rejects(t, () => f.store.applyBatch({ ops: [] }, { source: 'cloud' }), 'BATCH_INVALID', {});
    rejects(t, () => f.store.applyBatch([{ op: 'replace', entity: 'door' }], { source: 'cloud' }), 'RECORD_INVALID', { index: 0, field: 'op' });
  });

  t.equal(f.index().hash, before, 'content unchanged');
  t.equal(f.store.revision(), revision, 'revision unchanged');
  t.equal(f.store.counts().doors, 3, 'the valid door before the bad credential was rolled back');
});

t.test('system keys are read-only for local edits, writable by the cloud', async (t) => {
  const f = storeFixture(t);
  f.apply([...smallSite(), up('key', { id: 'deliveries', name: 'Deliveries', system: true, doors: [{ doorId: 'lobby' }] }), up('person', { id: 'p1', name: 'P' })]);
  const local = { source: 'local' } as const;
  rejects(t, () => f.store.applyBatch([up('key', { id: 'deliveries', name: 'Renamed', system: true })], local), 'SYSTEM_KEY_READONLY', { id: 'deliveries' });
  rejects(t, () => f.store.applyBatch([del('key', { id: 'deliveries' })], local), 'SYSTEM_KEY_READONLY', { id: 'deliveries' });
  rejects(t, () => f.store.applyBatch([up('holding', { personId: 'p1', keyId: 'deliveries' })], local), 'SYSTEM_KEY_READONLY', { field: 'keyId' });
  rejects(t, () => f.store.applyBatch([up('key', { id: 'mine', name: 'Mine', system: true })], local), 'SYSTEM_KEY_READONLY', { field: 'system' });
  f.store.applyBatch([up('key', { id: 'k-lobby', name: 'Lobby renamed', doors: [{ doorId: 'lobby' }] })], local);
  f.store.applyBatch([up('key', { id: 'deliveries', name: 'Deliveries (cloud)', system: true, doors: [] })], { source: 'cloud' });
  t.equal([...f.store.keys()].find((k) => k.id === 'deliveries')?.name, 'Deliveries (cloud)');
});

t.test('PINs are stored only as an HMAC digest keyed by the device secret', async (t) => {
  const f = storeFixture(t);
  f.apply([up('person', { id: 'p1', name: 'P' }), up('credential', { id: 'c1', personId: 'p1', kind: 'pin', pin: '73916' })]);
  const [c] = [...f.store.credentials()];
  t.equal(c!.value, hashPin('73916'));
  t.match(c!.value, /^[0-9a-f]{64}$/);
  f.close();
  for (const file of [f.path, `${f.path}-wal`]) {
    let bytes = '';
    try { bytes = readFileSync(file).toString('latin1'); } catch { continue; }
    t.notOk(bytes.includes('73916'), `${file} does not contain the PIN`);
  }
});

t.test('deleting a person removes their credentials and holdings; deleting a key its holdings', async (t) => {
  const f = storeFixture(t);
  f.apply([...smallSite(), up('person', { id: 'p1', name: 'P' }), up('holding', { personId: 'p1', keyId: 'k-lobby' }), up('holding', { personId: 'p1', keyId: 'k-office' }),
    up('credential', { id: 'c1', personId: 'p1', kind: 'card', card: '26:1:1' })]);
  f.apply([del('key', { id: 'k-office' })]);
  t.same([...f.store.holdings('p1')].map((h) => h.keyId), ['k-lobby']);
  f.apply([del('person', { id: 'p1' })]);
  t.equal(f.store.counts().credentials, 0);
  t.equal(f.store.counts().holdings, 0);
});

t.test('use counts and lockdown persist', async (t) => {
  const f = storeFixture(t);
  f.apply([...smallSite(), up('person', { id: 'p1', name: 'P' }), up('credential', { id: 'c1', personId: 'p1', kind: 'pin', pin: '5555', useLimit: 2 })]);
  t.equal(f.store.recordUse('c1'), 1);
  t.equal(f.store.recordUse('c1'), 2);
  t.same([...f.store.uses()], [['c1', 2]]);
  f.store.setLockdown('gym', true);
  f.store.setLockdown(null, true);
  t.same(f.store.lockdown(), { site: true, doors: ['gym'] });
  f.store.setLockdown(null, false);
  t.same(f.store.lockdown(), { site: false, doors: ['gym'] });
  t.throws(() => f.store.setLockdown('nowhere', true), { code: 'NOT_FOUND' });
});

t.test('a snapshot loads without the secondary indexes and builds them again', async (t) => {
  const f = storeFixture(t);
  const indexes = () => f.db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name").raw().all();
  const before = indexes();
  t.ok(before.length >= 5, 'the schema has its secondary indexes');
  f.apply([...smallSite(), up('person', { id: 'p1', name: 'P' }), up('credential', { id: 'c1', personId: 'p1', kind: 'pin', pin: '1234' })]);
  const site = [...smallSite(), up('person', { id: 'p2', name: 'Q' }), up('person', { id: 'p3', name: 'R' }),
    up('credential', { id: 'c2', personId: 'p2', kind: 'pin', pin: '1234' }), up('credential', { id: 'c3', personId: 'p3', kind: 'card', card: '26:1:2' })];

  t.test('applied', async (t) => {
    f.store.applyOperations(parseBatch(site), { source: 'cloud', replace: true, revision: 5 });
    t.same(indexes(), before, 'every index is back, as the migrations define it');
    t.same([...f.store.credentials()].map((c) => c.id), ['c2', 'c3']);
    t.equal(f.index().credentials.find(KIND_CODE.pin, hashPin('1234')) >= 0, true, 'the PIN decides');
    rejects(t, () => f.apply([up('credential', { id: 'c9', personId: 'p2', kind: 'card', card: '26:1:2' })]), 'DUPLICATE_CREDENTIAL', { id: 'c9' }, /already credential c3/);
  });

  t.test('two credentials with one value: refused naming the first operation that collides, and nothing changes', async (t) => {
    const hash = f.index().hash;
    const clash = [...site, up('person', { id: 'p4', name: 'S' }), up('credential', { id: 'a0', personId: 'p4', kind: 'card', card: '26:9:9' }),
      up('credential', { id: 'c4', personId: 'p4', kind: 'pin', pin: '1234' }), up('credential', { id: 'a1', personId: 'p4', kind: 'card', card: '26:9:9' })];
    rejects(t, () => f.store.applyOperations(parseBatch(clash), { source: 'cloud', replace: true, revision: 6 }),
      'DUPLICATE_CREDENTIAL', { index: clash.length - 2, entity: 'credential', id: 'c4', field: 'pin' }, /operation \d+: credential c4: this pin is already credential c2/);
    t.equal(f.index().hash, hash, 'the state is unchanged');
    t.equal(f.store.revision(), 5);
    t.same(indexes(), before, 'the indexes are back after the rollback');
  });
});
