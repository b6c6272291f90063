import { generateKeyPairSync } from 'node:crypto';
import { statSync, writeFileSync } from 'node:fs';
import t, { type Test } from 'tap';
import { compileIndex } from '../../../src/access/compileIndex.js';
import { ManualClock } from '../../../src/kernel/clock.js';
import { siteUpserts } from '../../../src/access/site/dependencyOrder.js';
import { checkSite } from '../../../src/app/site/siteCheck.js';
import { SimState } from '../../../tools/cloud-sim/simState.js';
import { diffState } from '../../../src/app/site/stateDiff.js';
import { clearPins } from '../../../src/access/site/siteRecords.js';
import { EMPTY_STATE_HASH, hashAccessSource } from '../../../src/access/contentHash.js';
import { createSigningKey, loadSigningKey } from '../../../tools/cloud-sim/simSigningKey.js';
import { storeFixture } from '../../support/storeFixture.js';
import { silentLogger } from '../../support/cloudHarness.js';
import { demoRecords, T0 } from './simFixture.js';

async function openState(t: Test, dir = t.testdir()) {
  const state = new SimState({ dir, clock: new ManualClock(T0), logger: silentLogger(), maxHistory: 3 });
  await state.start();
  t.teardown(() => state.stop());
  return state;
}

t.test('the content hash without an index is the one compileIndex computes, PIN digests or not', async (t) => {
  const gateway = storeFixture(t);
  gateway.apply([...siteUpserts(demoRecords())]);
  t.equal(gateway.store.snapshot(hashAccessSource), gateway.store.snapshot(compileIndex).hash);
  const state = await openState(t);
  state.apply([...siteUpserts(demoRecords())], { history: false });
  t.equal(state.hash(), gateway.store.snapshot(compileIndex).hash, 'clear PINs in the simulator, digests on the gateway: the same hash');
});

t.test('versions go up by one per change; deltas are kept by version and pruned', async (t) => {
  const state = await openState(t);
  t.equal(state.version(), 0);
  t.equal(state.hash(), EMPTY_STATE_HASH);
  t.same(state.deltasFrom(0), []);
  const v1 = state.apply([...siteUpserts(demoRecords())], { history: false });
  t.match(v1, { fromVersion: 0, toVersion: 1 });
  const rename = (name: string) => [{ op: 'upsert', entity: 'door', record: { id: 'gym', name } }];
  for (const name of ['A', 'B', 'C', 'D']) state.apply(rename(name), { history: true });
  t.equal(state.version(), 5);
  t.same(state.deltasFrom(3)!.map((d) => [d.fromVersion, d.toVersion]), [[3, 4], [4, 5]]);
  t.same(state.deltasFrom(2)!.map((d) => d.operations[0]), [{ op: 'upsert', entity: 'door', record: { id: 'gym', name: 'B', place: '', cardAndPin: false } }, ...state.deltasFrom(3)!.map((d) => d.operations[0])], 'validated operations, defaults filled');
  t.equal(state.deltasFrom(1), null, 'older than the history of 3');
  t.equal(state.deltasFrom(0), null, 'version 1 came from a snapshot');
  t.equal(state.deltasFrom(9), null);
  t.same(state.deltasFrom(5), []);
  t.equal(state.hashAt(4), state.deltasFrom(3)![0]!.hash);
  t.equal(state.hashAt(42), undefined);

  t.test('a change that fails changes nothing', async (t) => {
    t.throws(() => state.apply([...rename('E'), { op: 'delete', entity: 'schedule', id: 'amenity-hours' }], { history: true }), { code: 'RECORD_IN_USE' });
    t.throws(() => state.apply([{ op: 'upsert', entity: 'door', record: { id: 'x', name: 'X' } }], { history: true, expectHash: 'ab'.repeat(32) }), { code: 'STORE_CORRUPT' });
    t.equal(state.version(), 5);
    t.equal([...state.store.doors()].find((d) => d.id === 'gym')?.name, 'D');
  });

  t.test('advancing keeps the content under a higher version', async (t) => {
    const hash = state.hash();
    state.advanceTo(9);
    state.advanceTo(7);
    t.equal(state.version(), 9);
    t.equal(state.hash(), hash);
    t.equal(state.deltasFrom(5), null);
  });

  t.test('a view is one version, read apart from the main connection, with PINs to send', async (t) => {
    const view = state.openView();
    state.apply(rename('F'), { history: true });
    const ops = [...view.operations()];
    t.equal(view.version, 9);
    t.match(ops.find((o) => o.entity === 'door' && o.record.id === 'gym'), { record: { name: 'D' } }, 'the version it was opened at');
    t.match(ops.find((o) => o.entity === 'credential' && o.record.id === 'alice-pin'), { record: { kind: 'pin', pin: '1234' } });
    t.match(ops.find((o) => o.entity === 'credential' && o.record.id === 'dave-finger'), { record: { kind: 'fingerprint', readerId: 'lobby-fp', slot: 3 } });
    t.same(ops.map((o) => o.entity).filter((e) => e === 'person').length, view.counts().people);
    t.same([...view.operations()], ops, 'iterable again');
    view.close();
    view.close();
  });

  t.test('snapshot plans are remembered by id', async (t) => {
    state.rememberSnapshot({ snapshotId: 'snap-1', version: 10, hash: state.hash(), plan: { counts: [2, 1], operations: 3, bytes: 99 } });
    t.match(state.snapshotRecord('snap-1'), { version: 10, plan: { counts: [2, 1] } });
    t.equal(state.snapshotRecord('nope'), undefined);
  });
});

t.test('the state file lives in a private directory; a stopped state refuses work', async (t) => {
  const dir = `${t.testdir()}/state`;
  await createSigningKey(dir, { kid: 'k1', now: T0 });
  t.equal(statSync(dir).mode & 0o777, 0o700);
  t.equal(statSync(`${dir}/signing-key.json`).mode & 0o777, 0o600);
  t.equal((await loadSigningKey(dir)).kid, 'k1');
  const state = new SimState({ dir, clock: new ManualClock(T0), logger: silentLogger() });
  t.throws(() => state.version(), { code: 'NOT_STARTED' });
  t.throws(() => state.store, { code: 'NOT_STARTED' });

  t.test('the key file: replaced only when forced, and refused when it is not an Ed25519 key', async (t) => {
    await t.rejects(createSigningKey(dir, { kid: 'k2', now: T0 }), { code: 'INPUT_INVALID', message: /already holds a signing key/ });
    t.equal((await createSigningKey(dir, { kid: 'k2', now: T0, force: true })).kid, 'k2');
    t.equal((await loadSigningKey(dir)).kid, 'k2');
    await t.rejects(createSigningKey(dir, { kid: 'bad kid', now: T0, force: true }), { code: 'INPUT_INVALID', message: /--kid "bad kid" may contain only/ });
    const file = `${dir}/signing-key.json`;
    writeFileSync(file, '{"kid": "k3"}');
    await t.rejects(loadSigningKey(dir), { code: 'CONFIG_INVALID', message: /signing-key\.json is not a signing key file/ });
    writeFileSync(file, JSON.stringify({ kid: 'k3', privateKeyPem: 'nonsense', createdAt: '' }));
    await t.rejects(loadSigningKey(dir), { code: 'CONFIG_INVALID', message: /privateKeyPem is not a PEM private key/ });
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    writeFileSync(file, JSON.stringify({ kid: 'k3', privateKeyPem: ec, createdAt: '' }));
    await t.rejects(loadSigningKey(dir), { code: 'CONFIG_INVALID', message: /the key is ec, not Ed25519/ });
    await t.rejects(loadSigningKey(t.testdir()), { code: 'NOT_FOUND', details: { hint: /lockgw cloud-sim keygen --state/ } });
  });
});

t.test('the diff from the state to a site, applied, gives exactly the site', async (t) => {
  const state = await openState(t);
  const base = demoRecords();
  state.apply([...siteUpserts(base)], { history: false });
  t.same(diffState(state.store, demoRecords(), clearPins), [], 'nothing for the same site');

  const site = demoRecords();
  // PINs swap between two credentials, a card moves to another credential id
  const pins = site.credentials.filter((c) => c.kind === 'pin');
  const [a, b] = [pins.find((c) => c.id === 'alice-pin')!, pins.find((c) => c.id === 'carol-pin')!];
  if (a.kind === 'pin' && b.kind === 'pin') [a.pin, b.pin] = [b.pin, a.pin];
  const bobCard = site.credentials.findIndex((c) => c.id === 'bob-card');
  site.credentials[bobCard] = { ...site.credentials[bobCard]!, id: 'bob-card-2' };
  // a new guest of a new host; a key stops using a schedule that is then deleted; a door goes
  site.people.push({ id: 'zed-guest', name: 'Z', status: 'active', kind: 'guest', hostId: 'amy-host', extendedUnlock: false });
  site.people.push({ id: 'amy-host', name: 'A', status: 'active', kind: 'resident', extendedUnlock: false });
  const cleaning = site.keys.find((k) => k.id === 'cleaning')!;
  cleaning.doors = cleaning.doors.map((d) => ({ ...d, scheduleIds: [] }));
  site.schedules = site.schedules.filter((s) => s.id !== 'cleaning-nights');
  site.doors = site.doors.filter((d) => d.id !== 'pool');
  for (const k of site.keys) k.doors = k.doors.filter((d) => d.doorId !== 'pool');
  site.people = site.people.filter((p) => p.id !== 'henry');
  site.holdings = site.holdings.filter((h) => h.personId !== 'henry');
  site.credentials = site.credentials.filter((c) => c.personId !== 'henry');
  site.holidays = site.holidays.slice(1);
  site.site = { ...site.site!, name: 'Renamed' };

  const diff = diffState(state.store, site, clearPins);
  const summary = diff.map((o) => `${o.op} ${o.entity}`);
  t.ok(summary.indexOf('delete credential') < summary.indexOf('upsert credential'), 'credentials are freed before they are taken');
  t.ok(summary.lastIndexOf('upsert key') < summary.indexOf('delete schedule'), 'the schedule goes after the key that used it');
  const change = state.apply(diff, { history: true, expectHash: checkSite(site, () => undefined).hash });
  t.equal(change.hash, checkSite(site, () => undefined).hash, 'the state now hashes like the site');
  t.same(diffState(state.store, site, clearPins), [], 'and nothing is left to change');

  t.test('an empty site deletes everything', async (t) => {
    const empty = { site: null, doors: [], holidays: [], schedules: [], keys: [], people: [], holdings: [], credentials: [] };
    state.apply(diffState(state.store, empty, clearPins), { history: true });
    t.equal(state.hash(), EMPTY_STATE_HASH);
  });
});
