import t, { type Test } from 'tap';
import { isGatewayError } from '../../../src/kernel/gatewayError.js';
import { adminRig, ROOT } from '../../support/adminRig.js';

/** the call throws, and the error passes the check */
function refuses(t: Test, fn: () => unknown, check: (e: unknown) => boolean, message = 'refused as expected'): void {
  try {
    fn();
    t.fail(`${message}: nothing was thrown`);
  } catch (e) {
    t.ok(check(e), `${message}${check(e) ? '' : `: ${String(e)}`}`);
  }
}

const lastSeq = (r: { f: { gateway: { journal: { stats(): { lastSeq: number } } } } }) => r.f.gateway.journal.stats().lastSeq;

t.test('give the new key first, then revoke the old: the PIN keeps working (move without losing codes)', async (t) => {
  const r = await adminRig(t);
  r.run({ verb: 'key.create', key: { id: 'key-a', name: 'Key A', doors: [{ doorId: 'lobby' }, { doorId: 'gym' }] } });
  r.run({ verb: 'key.create', key: { id: 'key-b', name: 'Key B', doors: [{ doorId: 'lobby' }, { doorId: 'gym' }] } });
  r.run({ verb: 'person.add', person: { id: 'tracy', name: 'Tracy' } });
  r.run({ verb: 'credential.add', credential: { id: 'tracy-pin', personId: 'tracy', kind: 'pin', pin: '5580' } });
  r.run({ verb: 'give', holding: { personId: 'tracy', keyId: 'key-a' } });
  t.equal(r.decidePin('gym', '5580').keyId, 'key-a', 'opens through key A');
  r.run({ verb: 'give', holding: { personId: 'tracy', keyId: 'key-b' } });
  const revoked = r.run({ verb: 'revoke', personId: 'tracy', keyId: 'key-a' });
  t.match(revoked.note, /tracy keeps 1 credential: they still open the doors of key-b/);
  const v = r.decidePin('gym', '5580');
  t.ok(v.grant, 'the same PIN still opens the gym');
  t.equal(v.keyId, 'key-b', 'now through key B');
  r.run({ verb: 'revoke', personId: 'tracy', keyId: 'key-b' });
  t.equal(r.decidePin('gym', '5580').reason, 'door_not_in_key', 'no key left: the PIN opens nothing');
  t.ok(r.f.gateway.store.credential('tracy-pin'), 'but the PIN is not deleted');
});

t.test('every change is journaled with its operator, without credential values', async (t) => {
  const r = await adminRig(t);
  const before = lastSeq(r);
  const result = r.run({ verb: 'credential.add', credential: { id: 'alice-pin-2', personId: 'alice', kind: 'pin', pin: '8642' } }, { uid: 0, user: 'root' });
  t.equal(result.applied, true);
  t.same(result.changes, ['upsert credential alice-pin-2 (pin)']);
  const events = r.journalSince(before).filter((e) => e.reason === 'local_change');
  t.equal(events.length, 1);
  t.match(events[0]!.data, { verb: 'credential.add', uid: 0, user: 'root', role: 'owner', revision: result.revision, operations: 1 });
  t.notMatch(JSON.stringify(events[0]), /8642/, 'the PIN is nowhere in the journal');
  t.notMatch(JSON.stringify(r.f.gateway.store.credential('alice-pin-2')), /8642/, 'nor in the store');
  t.ok(r.decidePin('lobby', '8642').grant, 'and the doors use it at once');
});

t.test('suspend denies every credential of the person and their guests; reinstate restores', async (t) => {
  const r = await adminRig(t);
  t.ok(r.decideCard('lobby', '26:12:34567').grant, 'alice opens the lobby');
  const s = r.run({ verb: 'person.suspend', id: 'alice' });
  t.match(s.note, /guests of alice \(erin\)/);
  t.equal(r.decideCard('lobby', '26:12:34567').reason, 'person_suspended');
  r.run({ verb: 'person.suspend', id: 'alice', suspended: false });
  t.ok(r.decideCard('lobby', '26:12:34567').grant, 'reinstated');
  r.run({ verb: 'person.edit', id: 'alice', name: 'Alice Smith', extendedUnlock: true });
  t.match(r.f.gateway.store.person('alice'), { name: 'Alice Smith', extendedUnlock: true, status: 'active', kind: 'resident' }, 'edit keeps what it was not given');
  r.run({ verb: 'person.edit', id: 'alice', unit: '4B', place: 'Building A' });
  t.match(r.f.gateway.store.person('alice'), { unit: '4B', place: 'Building A', name: 'Alice Smith' });
  r.run({ verb: 'person.edit', id: 'alice', unit: null });
  t.equal(r.f.gateway.store.person('alice')!.unit, undefined, 'null clears the unit');
  t.equal(r.f.gateway.store.person('alice')!.place, 'Building A', 'and keeps the place');
});

t.test('credential replace: the old card opens nothing, the new one does; revoke --lost keeps it as lost', async (t) => {
  const r = await adminRig(t);
  r.run({ verb: 'credential.replace', id: 'alice-card', value: '26:12:34999' });
  t.equal(r.decideCard('lobby', '26:12:34567').reason, 'unknown_credential', 'the old number is gone');
  t.ok(r.decideCard('lobby', '26:12:34999').grant, 'the new one opens');
  t.equal(r.f.gateway.store.credential('alice-card')!.label, 'Fob #17', 'its label stays');
  r.run({ verb: 'credential.revoke', id: 'alice-card', lost: true });
  t.equal(r.decideCard('lobby', '26:12:34999').reason, 'credential_lost');
  r.run({ verb: 'credential.revoke', id: 'alice-card' });
  t.equal(r.f.gateway.store.credential('alice-card'), undefined, 'deleted');
  refuses(t, () => r.run({ verb: 'credential.replace', id: 'alice-pin', value: '12' }), (e: unknown) => isGatewayError(e, 'INPUT_INVALID') && /a PIN is 4 to 8 digits/.test(e.message) && e.details.field === 'value');
  refuses(t, () => r.run({ verb: 'credential.revoke', id: 'alice-pin', lost: true }), (e: unknown) => isGatewayError(e, 'INPUT_INVALID') && e.details.field === 'lost');
});

t.test('key edit adds and removes doors; its holders get the change at once', async (t) => {
  const r = await adminRig(t);
  r.run({ verb: 'key.create', key: { id: 'k', name: 'K', doors: [{ doorId: 'lobby' }] } });
  r.run({ verb: 'person.add', person: { id: 'p', name: 'P' } });
  r.run({ verb: 'credential.add', credential: { id: 'p-card', personId: 'p', kind: 'card', card: '26:12:777' } });
  r.run({ verb: 'give', holding: { personId: 'p', keyId: 'k' } });
  t.equal(r.decideCard('pool', '26:12:777').reason, 'door_not_in_key');
  r.run({ verb: 'key.edit', id: 'k', addDoors: [{ doorId: 'pool', scheduleIds: [] }], removeDoors: ['lobby'] });
  t.ok(r.decideCard('pool', '26:12:777').grant);
  t.equal(r.decideCard('lobby', '26:12:777').reason, 'door_not_in_key');
  refuses(t, () => r.run({ verb: 'key.edit', id: 'k', removeDoors: ['garage'] }), (e: unknown) => isGatewayError(e, 'NOT_FOUND') && e.details.field === 'removeDoors');
  refuses(t, () => r.run({ verb: 'key.edit', id: 'deliveries', name: 'Mine' }), (e: unknown) => isGatewayError(e, 'SYSTEM_KEY_READONLY'), 'a cloud system key is never edited locally');
});

t.test('bad input names the field and changes nothing', async (t) => {
  const r = await adminRig(t);
  const revision = r.f.gateway.applied().revision;
  const cases: Array<[Record<string, unknown>, string, string]> = [
    [{ verb: 'person.edit', id: 'ghost', name: 'X' }, 'NOT_FOUND', 'id'],
    [{ verb: 'give', holding: { personId: 'alice', keyId: 'nope' } }, 'NOT_FOUND', 'keyId'],
    [{ verb: 'give', holding: { personId: 'nobody', keyId: 'resident' } }, 'NOT_FOUND', 'personId'],
    [{ verb: 'revoke', personId: 'alice', keyId: 'staff' }, 'NOT_FOUND', 'keyId'],
    [{ verb: 'credential.add', credential: { id: 'c9', personId: 'grace', kind: 'pin', pin: '1234' } }, 'DUPLICATE_CREDENTIAL', 'pin'],
    [{ verb: 'key.create', key: { id: 'resident', name: 'Again' } }, 'INPUT_INVALID', 'id'],
    [{ verb: 'key.create', key: { id: 'k2', name: 'K2', doors: [{ doorId: 'nowhere' }] } }, 'REFERENCE_MISSING', 'doors[0].doorId'],
  ];
  for (const [request, code, field] of cases) {
    refuses(t, () => r.run(request), (e: unknown) => isGatewayError(e) && e.code === code && e.details.field === field, `${request.verb as string}: ${code} naming ${field}`);
  }
  t.equal(r.f.gateway.applied().revision, revision, 'nothing was applied');
});

t.test('a dry run shows the change and applies nothing', async (t) => {
  const r = await adminRig(t);
  const revision = r.f.gateway.applied().revision;
  const result = r.run({ verb: 'person.remove', id: 'alice' }, ROOT, { dryRun: true });
  t.same(result.changes, ['delete person alice']);
  t.match(result.note, /also removes their holdings and 2 credentials/);
  t.equal(result.applied, false);
  t.ok(r.f.gateway.store.person('alice'));
  t.equal(r.f.gateway.applied().revision, revision);
});

t.test('a cloud-managed gateway refuses local changes unless forced; forced, the cloud revision stays', async (t) => {
  const { generateSigningKeyPair } = await import('../../../src/wire/keys.js');
  const keys = generateSigningKeyPair('k1');
  const r = await adminRig(t, { cloud: { enabled: true, keys: [{ kid: 'k1', pem: keys.publicPem }] } }, { rulesOnly: true });
  const before = r.f.gateway.applied();
  refuses(t, () => r.run({ verb: 'person.add', person: { id: 'zoe', name: 'Zoe' } }), (e: unknown) => isGatewayError(e, 'CLOUD_MANAGED'));
  const forced = r.run({ verb: 'person.add', person: { id: 'zoe', name: 'Zoe' } }, ROOT, { forceLocal: true });
  t.equal(forced.applied, true);
  t.match(forced.note, /the cloud's next snapshot replaces it/);
  t.equal(r.f.gateway.applied().revision, before.revision, 'the revision is the cloud\'s, unchanged');
  t.not(r.f.gateway.applied().hash, before.hash, 'the content is not: the next delta fails its hash check and a snapshot follows');
  const seq = r.journalSince(0).filter((e) => e.reason === 'local_change').at(-1)!;
  t.match(seq.data, { forced: true, verb: 'person.add' });
  t.same(r.run({ verb: 'operator.list' }).data, [], 'operators are local on any gateway');
});
