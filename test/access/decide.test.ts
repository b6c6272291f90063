import t, { type Test } from 'tap';
import { decide } from '../../src/access/decide.js';
import type { Presentation } from '../../src/access/verdict.js';
import { noteUse } from '../../src/access/accessIndex.js';
import { del, hashPin, smallSite, storeFixture, up } from '../support/storeFixture.js';

// Europe/Berlin. 2026-11-23 is a Monday (CET, UTC+1); 2026-12-25 (Friday) is a holiday.
const MON_10 = Date.parse('2026-11-23T09:00:00Z'); // Monday 10:00 local
const MON_20 = Date.parse('2026-11-23T19:00:00Z'); // Monday 20:00 local
const XMAS_10 = Date.parse('2026-12-25T09:00:00Z'); // Friday (holiday) 10:00 local
const card = (doorId: string, value: string, pin?: string): Presentation => ({ doorId, kind: 'card', value, ...(pin ? { pinDigest: hashPin(pin) } : {}) });
const pin = (doorId: string, digits: string): Presentation => ({ doorId, kind: 'pin', value: hashPin(digits) });

function site(t: Test) {
  const f = storeFixture(t);
  f.apply([
    ...smallSite(),
    up('person', { id: 'ann', name: 'Ann', kind: 'resident' }),
    up('holding', { personId: 'ann', keyId: 'k-office' }),
    up('credential', { id: 'ann-card', personId: 'ann', kind: 'card', card: '26:12:34567' }),
    up('credential', { id: 'ann-pin', personId: 'ann', kind: 'pin', pin: '1234' }),
  ]);
  return f;
}

t.test('each reason code, through the real store', async (t) => {
  const f = site(t);
  const check = (p: Presentation, now: number, reason: string, grant = false) => {
    const v = decide(f.index(), p, now);
    t.equal(v.reason, reason, `${p.kind} ${p.doorId} → ${reason}`);
    t.equal(v.grant, grant);
    return v;
  };
  const v = check(card('lobby', '26:12:34567'), MON_10, 'granted', true);
  t.match(v, { personId: 'ann', keyId: 'k-office', credentialId: 'ann-card', doorId: 'lobby', revision: 1, alarm: false });
  check(card('lobby', '26:12:34567'), MON_20, 'outside_schedule');
  check(card('lobby', '26:12:34567'), XMAS_10, 'holiday');
  check(card('lobby', '26:12:99999'), MON_10, 'unknown_credential');
  check(card('attic', '26:12:34567'), MON_10, 'unknown_door');
  check(card('vault', '26:12:34567'), MON_10, 'second_factor_required');
  check(card('vault', '26:12:34567', '1234'), MON_10, 'granted', true);
  check(card('vault', '26:12:34567', '9999'), MON_10, 'second_factor_mismatch');
  check(pin('vault', '1234'), MON_10, 'second_factor_required');
  check(pin('gym', '1234'), MON_10, 'granted', true);

  f.apply([up('door', { id: 'garage', name: 'Garage' })]);
  check(card('garage', '26:12:34567'), MON_10, 'door_not_in_key');

  f.apply([up('credential', { id: 'ann-card', personId: 'ann', kind: 'card', card: '26:12:34567', status: 'suspended' })]);
  check(card('lobby', '26:12:34567'), MON_10, 'credential_suspended');
  f.apply([up('credential', { id: 'ann-card', personId: 'ann', kind: 'card', card: '26:12:34567', status: 'lost' })]);
  check(card('lobby', '26:12:34567'), MON_10, 'credential_lost');
  f.apply([up('credential', { id: 'ann-card', personId: 'ann', kind: 'card', card: '26:12:34567', status: 'pending' })]);
  check(card('lobby', '26:12:34567'), MON_10, 'credential_pending');
  f.apply([up('credential', { id: 'ann-card', personId: 'ann', kind: 'card', card: '26:12:34567', validFrom: '2026-12-01T00:00:00Z' })]);
  check(card('lobby', '26:12:34567'), MON_10, 'not_yet_valid');
  f.apply([up('credential', { id: 'ann-card', personId: 'ann', kind: 'card', card: '26:12:34567', validUntil: '2026-11-01T00:00:00Z' })]);
  check(card('lobby', '26:12:34567'), MON_10, 'expired');
  f.apply([up('credential', { id: 'ann-card', personId: 'ann', kind: 'card', card: '26:12:34567' })]);

  f.apply([up('holding', { personId: 'ann', keyId: 'k-office', validFrom: '2027-01-01T00:00:00Z' })]);
  check(card('lobby', '26:12:34567'), MON_10, 'not_yet_valid');
  f.apply([up('holding', { personId: 'ann', keyId: 'k-office', validUntil: '2026-11-23T08:00:00Z' })]);
  check(card('lobby', '26:12:34567'), MON_10, 'expired');
  f.apply([up('holding', { personId: 'ann', keyId: 'k-office' })]);

  f.apply([up('person', { id: 'ann', name: 'Ann', status: 'suspended' })]);
  check(card('lobby', '26:12:34567'), MON_10, 'person_suspended');
  f.apply([up('person', { id: 'ann', name: 'Ann' })]);

  f.store.setLockdown('lobby', true);
  check(card('lobby', '26:12:34567'), MON_10, 'locked_down');
  check(card('gym', '26:12:34567'), MON_10, 'granted', true);
  f.store.setLockdown('lobby', false);
  f.store.setLockdown(null, true);
  check(card('gym', '26:12:34567'), MON_10, 'locked_down');
});

t.test('a one-time code opens once', async (t) => {
  const f = site(t);
  f.apply([up('credential', { id: 'once', personId: 'ann', kind: 'pin', pin: '5555', useLimit: 1 })]);
  const index = f.index();
  t.equal(decide(index, pin('lobby', '5555'), MON_10).reason, 'granted');
  t.equal(noteUse(index, 'once'), 1);
  t.equal(decide(index, pin('lobby', '5555'), MON_10).reason, 'use_limit_reached');
  t.equal(noteUse(index, 'ann-pin'), null, 'unlimited credentials are not counted');
  f.store.recordUse('once');
  t.equal(decide(f.index(), pin('lobby', '5555'), MON_10).reason, 'use_limit_reached', 'the count survives a recompile');
});

t.test('a duress PIN opens and raises a silent alarm, also as the second factor', async (t) => {
  const f = site(t);
  f.apply([up('credential', { id: 'ann-duress', personId: 'ann', kind: 'pin', pin: '9111', duress: true })]);
  const v = decide(f.index(), pin('lobby', '9111'), MON_10);
  t.match(v, { grant: true, reason: 'duress', alarm: true, credentialId: 'ann-duress' });
  t.match(decide(f.index(), card('vault', '26:12:34567', '9111'), MON_10), { grant: true, reason: 'duress', alarm: true });
});

t.test('fingerprint and phone keys', async (t) => {
  const f = site(t);
  f.apply([
    up('credential', { id: 'ann-fp', personId: 'ann', kind: 'fingerprint', readerId: 'lobby-fp', slot: 3 }),
    up('credential', { id: 'ann-phone', personId: 'ann', kind: 'mobile', mobileKeyId: 'phone-1' }),
  ]);
  t.equal(decide(f.index(), { doorId: 'lobby', kind: 'fingerprint', value: 'lobby-fp:3' }, MON_10).reason, 'granted');
  t.equal(decide(f.index(), { doorId: 'lobby', kind: 'mobile', value: 'phone-1' }, MON_10).reason, 'granted');
  t.equal(decide(f.index(), { doorId: 'vault', kind: 'mobile', value: 'phone-1' }, MON_10).reason, 'second_factor_required', 'a phone key alone does not open a card+PIN door');
  t.equal(decide(f.index(), { doorId: 'vault', kind: 'mobile', value: 'phone-1', pinDigest: hashPin('9999') }, MON_10).reason, 'second_factor_mismatch', 'a wrong PIN after the phone key');
  t.equal(decide(f.index(), { doorId: 'vault', kind: 'mobile', value: 'phone-1', pinDigest: hashPin('1234') }, MON_10).reason, 'granted', 'the phone key and its holder\'s PIN');
  t.equal(decide(f.index(), { doorId: 'vault', kind: 'fingerprint', value: 'lobby-fp:3' }, MON_10).reason, 'granted', 'a fingerprint opens a card+PIN door alone');
  t.equal(decide(f.index(), { doorId: 'lobby', kind: 'fingerprint', value: 'lobby-fp:4' }, MON_10).reason, 'unknown_credential');
});

t.test('several schedules on one door of one key are a union', async (t) => {
  const f = site(t);
  f.apply([
    up('schedule', { id: 'evening', name: 'Evening', intervals: [{ days: ['mon'], start: '19:00', end: '21:00' }] }),
    up('schedule', { id: 'xmas', name: 'Christmas', intervals: [{ holidayTypes: [1], start: '09:00', end: '12:00' }] }),
    up('key', { id: 'k-office', name: 'Office hours', doors: [{ doorId: 'lobby', scheduleIds: ['office', 'evening', 'xmas'] }] }),
  ]);
  const idx = f.index();
  t.equal(decide(idx, card('lobby', '26:12:34567'), MON_10).reason, 'granted');
  t.equal(decide(idx, card('lobby', '26:12:34567'), MON_20).reason, 'granted');
  t.equal(decide(idx, card('lobby', '26:12:34567'), XMAS_10).reason, 'granted');
  t.equal(decide(idx, card('lobby', '26:12:34567'), Date.parse('2026-11-23T21:00:00Z')).reason, 'outside_schedule');
});

t.test('removing a person from one key keeps the PIN working at the doors another key still gives', async (t) => {
  const f = site(t);
  // Ann holds the office-hours key and the 24/7 lobby key; both give the lobby, only office gives the gym
  f.apply([up('holding', { personId: 'ann', keyId: 'k-lobby' })]);
  t.equal(decide(f.index(), pin('gym', '1234'), MON_10).reason, 'granted');
  f.apply([del('holding', { personId: 'ann', keyId: 'k-office' })]);
  const idx = f.index();
  const lobby = decide(idx, pin('lobby', '1234'), MON_20);
  t.match(lobby, { grant: true, reason: 'granted', keyId: 'k-lobby', credentialId: 'ann-pin' }, 'the same PIN still opens the lobby, now through k-lobby');
  t.equal(decide(idx, pin('gym', '1234'), MON_10).reason, 'door_not_in_key', 'but no longer the gym');
  t.equal(f.store.counts().credentials, 2, 'no credential was deleted');
});

t.test('moving someone from Key A to Key B keeps their codes', async (t) => {
  const f = site(t);
  f.apply([del('holding', { personId: 'ann', keyId: 'k-office' }), up('holding', { personId: 'ann', keyId: 'k-lobby' })]);
  t.match(decide(f.index(), card('lobby', '26:12:34567'), MON_20), { grant: true, keyId: 'k-lobby' });
  t.match(decide(f.index(), pin('lobby', '1234'), MON_20), { grant: true, keyId: 'k-lobby' });
});

t.test("a host's suspension or removal ends their guests' access; a guest never outlives the host's holding", async (t) => {
  const f = site(t);
  f.apply([
    up('holding', { personId: 'ann', keyId: 'k-lobby', validUntil: '2026-12-31T00:00:00Z' }),
    up('person', { id: 'gus', name: 'Gus', kind: 'guest', hostId: 'ann' }),
    up('holding', { personId: 'gus', keyId: 'k-lobby', validFrom: '2026-11-20T00:00:00Z', validUntil: '2027-03-01T00:00:00Z' }),
    up('holding', { personId: 'gus', keyId: 'k-office' }), // k-office may not be shared
    up('credential', { id: 'gus-phone', personId: 'gus', kind: 'mobile', mobileKeyId: 'gus-phone' }),
    up('person', { id: 'gil', name: 'Gil', kind: 'guest', hostId: 'gus' }), // a guest of a guest
    up('holding', { personId: 'gil', keyId: 'k-lobby' }),
    up('credential', { id: 'gil-pin', personId: 'gil', kind: 'pin', pin: '24680' }),
  ]);
  const phone = { doorId: 'lobby', kind: 'mobile', value: 'gus-phone' } as const;
  t.match(decide(f.index(), phone, MON_20), { grant: true, keyId: 'k-lobby' });
  t.equal(decide(f.index(), { ...phone, doorId: 'gym' }, MON_10).reason, 'door_not_in_key', 'a key the host may not share gives nothing');
  t.equal(decide(f.index(), phone, Date.parse('2027-01-10T12:00:00Z')).reason, 'expired', "clipped to the host's holding");
  t.equal(decide(f.index(), pin('lobby', '24680'), MON_20).reason, 'granted');

  f.apply([up('person', { id: 'ann', name: 'Ann', status: 'suspended' })]);
  t.equal(decide(f.index(), phone, MON_20).reason, 'host_revoked');
  t.equal(decide(f.index(), pin('lobby', '24680'), MON_20).reason, 'host_revoked', "and the guest's own guest");
  f.apply([up('person', { id: 'ann', name: 'Ann' })]);
  t.equal(decide(f.index(), phone, MON_20).reason, 'granted', 'reinstating the host restores the guest');
  f.apply([del('person', { id: 'ann' })]);
  t.equal(decide(f.index(), phone, MON_20).reason, 'host_revoked', 'removing the host ends it');
});

t.test('the index carries the revision and a content hash independent of the order of changes', async (t) => {
  const a = storeFixture(t);
  const b = storeFixture(t);
  const ops = [...smallSite(), up('person', { id: 'p1', name: 'P' }), up('person', { id: 'p2', name: 'Q' }), up('holding', { personId: 'p2', keyId: 'k-lobby' })];
  a.store.applyBatch(ops, { source: 'cloud', revision: 5 });
  const reordered = [...smallSite(), up('person', { id: 'p2', name: 'Q' }), up('holding', { personId: 'p2', keyId: 'k-lobby' }), up('person', { id: 'p1', name: 'P' })];
  b.store.applyBatch(reordered, { source: 'cloud', revision: 5 });
  t.equal(a.index().hash, b.index().hash);
  t.equal(a.index().revision, 5);
  b.apply([up('person', { id: 'p1', name: 'P renamed' })]);
  t.not(a.index().hash, b.index().hash);
});
