import t, { type Test } from 'tap';
import { decide } from '../../src/access/decide.js';
import { classBit, STANDALONE_TRUST, type DecisionTrust } from '../../src/access/decisionTrust.js';
import { OFFLINE_CLASSES, offlineClassOf } from '../../src/access/offlineClass.js';
import type { AccessIndex } from '../../src/access/accessIndex.js';
import { indexBuilder } from '../../src/engine/rulesChange.js';
import type { Presentation } from '../../src/access/verdict.js';
import { hashPin, smallSite, storeFixture, up } from '../support/storeFixture.js';

// Europe/Berlin; 2026-11-23 is a Monday. Office hours 08:00–18:00 local.
const MON_10 = Date.parse('2026-11-23T09:00:00Z');
const UNTRUSTED: DecisionTrust = { clockTrusted: false, expiredClasses: 0 };
const expired = (...classes: (typeof OFFLINE_CLASSES)[number][]): DecisionTrust => ({ clockTrusted: true, expiredClasses: classes.reduce((m, c) => m | classBit(c), 0) });
const card = (doorId: string, value: string, pin?: string): Presentation => ({ doorId, kind: 'card', value, ...(pin ? { pinDigest: hashPin(pin) } : {}) });

function site(t: Test) {
  const f = storeFixture(t);
  f.apply([
    ...smallSite(),
    // a resident on the 24/7 lobby key with no window, and on the office-hours key
    up('person', { id: 'ann', name: 'Ann' }),
    up('holding', { personId: 'ann', keyId: 'k-lobby' }),
    up('holding', { personId: 'ann', keyId: 'k-office' }),
    up('credential', { id: 'ann-card', personId: 'ann', kind: 'card', card: '26:12:1' }),
    up('credential', { id: 'ann-pin', personId: 'ann', kind: 'pin', pin: '1234' }),
    up('credential', { id: 'ann-phone', personId: 'ann', kind: 'mobile', mobileKeyId: 'ann-phone' }),
    // a tenant whose lease ends: a 24/7 key, but a holding with a window
    up('person', { id: 'ten', name: 'Tenant' }),
    up('holding', { personId: 'ten', keyId: 'k-lobby', validUntil: '2026-12-01T00:00:00Z' }),
    up('credential', { id: 'ten-card', personId: 'ten', kind: 'card', card: '26:12:2' }),
    // a card with its own validity on a 24/7 key
    up('person', { id: 'vis', name: 'Visitor', kind: 'guest' }),
    up('holding', { personId: 'vis', keyId: 'k-lobby' }),
    up('credential', { id: 'vis-card', personId: 'vis', kind: 'card', card: '26:12:3', validFrom: '2026-11-01T00:00:00Z' }),
    up('credential', { id: 'vis-phone', personId: 'vis', kind: 'mobile', mobileKeyId: 'vis-phone' }),
    up('person', { id: 'stf', name: 'Staff', kind: 'staff' }),
    up('holding', { personId: 'stf', keyId: 'k-lobby' }),
    up('credential', { id: 'stf-card', personId: 'stf', kind: 'card', card: '26:12:4' }),
    up('person', { id: 'drop', name: 'Courier', kind: 'delivery' }),
    up('holding', { personId: 'drop', keyId: 'k-lobby' }),
    up('credential', { id: 'drop-pin', personId: 'drop', kind: 'pin', pin: '246810', useLimit: 1 }),
  ]);
  return f;
}

t.test('the class of a credential: its holder\'s kind, a resident\'s or staff member\'s phone key is phone_key', async (t) => {
  t.equal(offlineClassOf('resident', 'card'), 'resident');
  t.equal(offlineClassOf('resident', 'mobile'), 'phone_key');
  t.equal(offlineClassOf('staff', 'mobile'), 'phone_key');
  t.equal(offlineClassOf('guest', 'mobile'), 'guest', 'a guest\'s phone key keeps the guest\'s lease');
  t.equal(offlineClassOf('delivery', 'pin'), 'delivery');
  t.equal(offlineClassOf('vendor', 'fingerprint'), 'vendor');
});

t.test('no trust given is the standalone answer: nothing changes', async (t) => {
  const f = site(t);
  const index = f.index();
  for (const p of [card('lobby', '26:12:1'), card('lobby', '26:12:2'), card('gym', '26:12:1'), card('lobby', '26:12:3')]) {
    t.same(decide(index, p, MON_10), decide(index, p, MON_10, STANDALONE_TRUST));
    t.equal(decide(index, p, MON_10).reason, 'granted');
  }
});

t.test('a class past its lease is denied offline_lease_expired; other classes still open', async (t) => {
  const f = site(t);
  const index = f.index();
  const reason = (p: Presentation, trust: DecisionTrust) => decide(index, p, MON_10, trust).reason;
  t.equal(reason(card('lobby', '26:12:1'), expired('resident')), 'offline_lease_expired');
  t.equal(reason({ doorId: 'lobby', kind: 'pin', value: hashPin('1234') }, expired('resident')), 'offline_lease_expired');
  t.equal(reason({ doorId: 'lobby', kind: 'mobile', value: 'ann-phone' }, expired('resident')), 'granted', 'her phone key is phone_key, not resident');
  t.equal(reason({ doorId: 'lobby', kind: 'mobile', value: 'ann-phone' }, expired('phone_key')), 'offline_lease_expired');
  t.equal(reason(card('lobby', '26:12:4'), expired('resident')), 'granted', 'staff is its own class');
  t.equal(reason(card('lobby', '26:12:4'), expired('staff')), 'offline_lease_expired');
  t.equal(reason(card('lobby', '26:12:3'), expired('guest')), 'offline_lease_expired');
  t.equal(reason({ doorId: 'lobby', kind: 'mobile', value: 'vis-phone' }, expired('guest')), 'offline_lease_expired');
  t.equal(reason({ doorId: 'lobby', kind: 'pin', value: hashPin('246810') }, expired('delivery')), 'offline_lease_expired');
  t.equal(reason({ doorId: 'lobby', kind: 'pin', value: hashPin('246810') }, expired(...OFFLINE_CLASSES.filter((c) => c !== 'delivery'))), 'granted');
  const v = decide(index, card('lobby', '26:12:1'), MON_10, expired('resident'));
  t.match(v, { grant: false, personId: 'ann', credentialId: 'ann-card', doorId: 'lobby' }, 'the verdict says whose credential it was');
  t.equal(reason(card('lobby', '26:12:99'), expired(...OFFLINE_CLASSES)), 'unknown_credential', 'an unknown card is still unknown');
});

t.test('a credential denied for its own state keeps that reason past the lease', async (t) => {
  const f = site(t);
  f.apply([up('credential', { id: 'ann-card', personId: 'ann', kind: 'card', card: '26:12:1', status: 'suspended' })]);
  t.equal(decide(f.index(), card('lobby', '26:12:1'), MON_10, expired('resident')).reason, 'credential_suspended');
});

t.test('untrusted clock: only a windowless holding of a 24/7 key opens; everything timed is clock_untrusted', async (t) => {
  const f = site(t);
  const index = f.index();
  const reason = (p: Presentation) => decide(index, p, MON_10, UNTRUSTED).reason;
  t.equal(reason(card('lobby', '26:12:1')), 'granted', 'Ann\'s 24/7 lobby key keeps working');
  t.equal(reason(card('gym', '26:12:1')), 'clock_untrusted', 'her office-hours key depends on the time');
  t.equal(reason(card('lobby', '26:12:2')), 'clock_untrusted', 'a holding with a lease end depends on the time');
  t.equal(reason(card('lobby', '26:12:3')), 'clock_untrusted', 'a credential with its own validity depends on the time');
  t.equal(reason(card('vault', '26:12:1', '1234')), 'clock_untrusted', 'the vault is on the office-hours key only');
  // after the tenant's lease ended, a clock that reads an earlier date re-admits nobody
  const after = Date.parse('2026-12-02T09:00:00Z');
  t.equal(decide(index, card('lobby', '26:12:2'), after).reason, 'expired');
  t.equal(decide(index, card('lobby', '26:12:2'), MON_10, UNTRUSTED).reason, 'clock_untrusted', 'set back to before the lease end: still denied');
});

t.test('untrusted clock and a lease expired together: the lease is reported (it is checked first)', async (t) => {
  const f = site(t);
  t.equal(decide(f.index(), card('lobby', '26:12:1'), MON_10, { clockTrusted: false, expiredClasses: classBit('resident') }).reason, 'offline_lease_expired');
});

t.test('a change of a person\'s kind moves their credentials to the new class (patched index)', async (t) => {
  const f = site(t);
  const before = f.index();
  t.equal(decide(before, card('lobby', '26:12:1'), MON_10, expired('staff')).reason, 'granted');
  let how = '';
  const build = indexBuilder(f.store, before, (built) => (how = built));
  let patched: AccessIndex | null = null;
  f.store.applyBatch([up('person', { id: 'ann', name: 'Ann', kind: 'staff' })], { source: 'cloud', beforeCommit: (changes) => void (patched = build(changes)) });
  t.equal(how, 'patched');
  t.equal(decide(patched!, card('lobby', '26:12:1'), MON_10, expired('staff')).reason, 'offline_lease_expired', 'patched');
  t.equal(decide(f.index(), card('lobby', '26:12:1'), MON_10, expired('staff')).reason, 'offline_lease_expired', 'compiled');
});

t.test('the cloud contract (docs/mqtt.md) and the model page name every verdict reason', async (t) => {
  const { readFileSync } = await import('node:fs');
  const { REASONS } = await import('../../src/access/verdict.js');
  for (const page of ['docs/mqtt.md', 'docs/access-model.md']) {
    const text = readFileSync(new URL(`../../${page}`, import.meta.url), 'utf8');
    const missing = REASONS.filter((r) => !text.includes(`\`${r}\``));
    t.same(missing, [], `${page} names every reason`);
  }
});
