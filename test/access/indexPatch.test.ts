import t, { type Test } from 'tap';
import { RECORD, type AccessIndex } from '../../src/access/accessIndex.js';
import { decide } from '../../src/access/decide.js';
import { CredentialTable } from '../../src/access/credentialTable.js';
import { patchable } from '../../src/access/indexPatch.js';
import { indexBuilder } from '../../src/engine/rulesChange.js';
import type { Presentation } from '../../src/access/verdict.js';
import type { StoreFixture } from '../support/storeFixture.js';
import { storeFixture, up, del, smallSite } from '../support/storeFixture.js';
import { RANDOM_EPOCH, randomBase, randomBatches, randomPeopleBatches } from '../support/randomBatches.js';

const HOUR = 3_600_000;
/** instants around the random sequences' validity windows, at office hours, nights and weekends */
const INSTANTS = [-15, -3, 0, 1, 2, 5, 6, 12, 19].flatMap((day) => [3, 10, 17].map((hour) => RANDOM_EPOCH + day * 24 * HOUR + hour * HOUR));

/** Every stored credential (and a few values no one holds) at every door at every instant. */
function everyDecision(f: StoreFixture, index: AccessIndex): string[] {
  const credentials = f.db.prepare('SELECT kind, value, person_id FROM credentials ORDER BY id').all() as Array<{ kind: Presentation['kind']; value: string; person_id: string }>;
  const pins = new Map(credentials.filter((c) => c.kind === 'pin').map((c) => [c.person_id, c.value]));
  const doors = f.db.prepare('SELECT id FROM doors ORDER BY id').pluck().all() as string[];
  const presented: Presentation[] = [];
  for (const doorId of doors) {
    for (const c of credentials) {
      presented.push({ doorId, kind: c.kind, value: c.value });
      const pin = pins.get(c.person_id);
      if (c.kind === 'card' && pin !== undefined) presented.push({ doorId, kind: 'card', value: c.value, pinDigest: pin });
    }
    presented.push({ doorId, kind: 'card', value: '26:1:999' });
  }
  return presented.flatMap((p) => INSTANTS.map((now) => JSON.stringify([p, now, decide(index, p, now)])));
}

/** Applies `batch` and builds its index the way the rules worker does: patched when it can be. */
function applyPatched(f: StoreFixture, previous: AccessIndex, batch: unknown[]): { index: AccessIndex; patched: boolean } | null {
  let how = '';
  const build = indexBuilder(f.store, previous, (built) => (how = built));
  let index: AccessIndex | null = null;
  try {
    f.store.applyBatch(batch, { source: 'cloud', beforeCommit: (changes) => void (index = build(changes)) });
  } catch {
    return null; // a batch that breaks a rule changes nothing
  }
  return { index: index!, patched: how === 'patched' };
}

function runSequence(t: Test, batches: unknown[][], label: string, minimumPatched: number): void {
  const f = storeFixture(t);
  f.apply(randomBase());
  let index = f.index();
  let patches = 0;
  for (const [i, batch] of batches.entries()) {
    const result = applyPatched(f, index, batch);
    if (result === null) continue;
    if (result.patched) patches++;
    index = result.index;
    // one-time codes get used, so use limits are part of what is compared
    const limited = f.db.prepare('SELECT id FROM credentials WHERE use_limit IS NOT NULL ORDER BY id LIMIT 1').pluck().get() as string | undefined;
    if (limited !== undefined && i % 3 === 0) {
      f.store.recordUse(limited);
      index = f.store.patch(index, { people: new Set(), credentials: new Map() });
    }
    const compiled = f.index();
    const failures = [index.hash === compiled.hash ? null : 'hash', JSON.stringify(index.counts) === JSON.stringify(compiled.counts) ? null : `counts ${JSON.stringify(index.counts)} vs ${JSON.stringify(compiled.counts)}`].filter((x) => x !== null);
    const limitedOf = (x: AccessIndex) => JSON.stringify(Array.from({ length: x.limitedIds.length }, (_, j) => [x.limitedIds.at(j), x.credentials.idAt(x.credentialRecord[x.limitedCredential[j]! * RECORD + 4]!)]));
    if (limitedOf(index) !== limitedOf(compiled)) failures.push(`use-limited credentials ${limitedOf(index)} vs ${limitedOf(compiled)}`);
    const mine = everyDecision(f, index);
    const theirs = everyDecision(f, compiled);
    const differ = mine.findIndex((d, j) => d !== theirs[j]);
    if (differ >= 0) failures.push(`decision ${mine[differ]} where a compile says ${theirs[differ]}`);
    if (failures.length > 0) {
      t.fail(`${label}: after batch ${i} ${JSON.stringify(batch)}: ${failures.join('; ')}`);
      return;
    }
  }
  t.ok(patches >= minimumPatched, `${label}: ${patches} of ${batches.length} batches were patched in, every one deciding as a compile does`);
}

t.test('a patched index decides exactly as a compile of the same state: people, holdings and credentials', async (t) => {
  runSequence(t, randomPeopleBatches(7, 250), 'people only', 100);
});

t.test('mixed with changes that need a compile, the patches that follow build on the compiled index', async (t) => {
  runSequence(t, randomBatches(11, 250), 'mixed', 40);
});

t.test('a site change, or too much garbage, is not patchable', async (t) => {
  const f = storeFixture(t);
  f.apply([...smallSite(), up('person', { id: 'p1', name: 'P' })]);
  const index = f.index();
  t.ok(patchable(index, ['person', 'credential', 'holding']));
  for (const entity of ['site', 'door', 'holiday', 'schedule', 'key'] as const) t.notOk(patchable(index, ['person', entity]), entity);
  const swollen = { ...index, credentialRecord: new Int32Array(5 * 70_000) };
  t.notOk(patchable(swollen, ['person']), 'unreachable records past the allowance');
});

t.test('a revoked card is unknown at once, and the card a deleted person held can be given to another', async (t) => {
  const f = storeFixture(t);
  f.apply([...smallSite(), up('person', { id: 'p1', name: 'P' }), up('holding', { personId: 'p1', keyId: 'k-lobby' }), up('credential', { id: 'c1', personId: 'p1', kind: 'card', card: '26:1:1' })]);
  let index = f.index();
  const at = Date.UTC(2026, 5, 1, 12);
  t.equal(decide(index, { doorId: 'lobby', kind: 'card', value: '26:1:1' }, at).reason, 'granted');
  index = applyPatched(f, index, [del('person', { id: 'p1' })])!.index;
  t.equal(decide(index, { doorId: 'lobby', kind: 'card', value: '26:1:1' }, at).reason, 'unknown_credential');
  const moved = applyPatched(f, index, [up('person', { id: 'p2', name: 'Q' }), up('holding', { personId: 'p2', keyId: 'k-lobby' }), up('credential', { id: 'c2', personId: 'p2', kind: 'card', card: '26:1:1' })])!;
  t.ok(moved.patched);
  t.match(decide(moved.index, { doorId: 'lobby', kind: 'card', value: '26:1:1' }, at), { reason: 'granted', personId: 'p2', credentialId: 'c2' });
});

t.test('what happens to a host reaches their guests, who are not named in the change', async (t) => {
  const f = storeFixture(t);
  f.apply([
    ...smallSite(),
    up('person', { id: 'host', name: 'Host' }),
    up('holding', { personId: 'host', keyId: 'k-lobby' }),
    up('person', { id: 'guest', name: 'Guest', kind: 'guest', hostId: 'host' }),
    up('holding', { personId: 'guest', keyId: 'k-lobby' }),
    up('credential', { id: 'g-card', personId: 'guest', kind: 'card', card: '26:2:2' }),
  ]);
  const at = Date.UTC(2026, 5, 1, 12);
  const guestAtLobby = (index: AccessIndex) => decide(index, { doorId: 'lobby', kind: 'card', value: '26:2:2' }, at).reason;
  let index = f.index();
  t.equal(guestAtLobby(index), 'granted');
  const steps: Array<[unknown[], string]> = [
    [[up('person', { id: 'host', name: 'Host', status: 'suspended' })], 'host_revoked'],
    [[up('person', { id: 'host', name: 'Host' })], 'granted'],
    [[up('holding', { personId: 'host', keyId: 'k-lobby', validUntil: '2026-05-01T00:00:00Z' })], 'expired'],
    [[del('holding', { personId: 'host', keyId: 'k-lobby' })], 'door_not_in_key'],
    [[up('holding', { personId: 'host', keyId: 'k-lobby' })], 'granted'],
    [[del('person', { id: 'host' })], 'host_revoked'],
  ];
  for (const [batch, reason] of steps) {
    const result = applyPatched(f, index, batch)!;
    t.ok(result.patched, 'patched');
    index = result.index;
    t.equal(guestAtLobby(index), reason, JSON.stringify(batch));
    t.equal(guestAtLobby(f.index()), reason, 'as a compile says');
  }
});

t.test('an index that does not hold what the store did is not patched: the batch is compiled and says why', async (t) => {
  const f = storeFixture(t);
  f.apply([...smallSite(), up('person', { id: 'p1', name: 'P' }), up('holding', { personId: 'p1', keyId: 'k-lobby' }), up('credential', { id: 'c1', personId: 'p1', kind: 'card', card: '26:1:1' })]);
  // of the store's revision and hash, but without the credential the batch changes
  const broken = { ...f.index(), credentials: new CredentialTable(16) };
  let how = '';
  const build = indexBuilder(f.store, broken, (built) => (how = built));
  let index: AccessIndex | null = null;
  f.store.applyBatch([up('credential', { id: 'c1', personId: 'p1', kind: 'card', card: '26:1:2' })], { source: 'cloud', beforeCommit: (changes) => void (index = build(changes)) });
  t.match(how, /^compiled, the patch failed: credential c1 is not in the index/);
  t.equal(decide(index!, { doorId: 'lobby', kind: 'card', value: '26:1:2' }, Date.UTC(2026, 5, 1, 12)).reason, 'granted', 'the compiled index has the change');
});
