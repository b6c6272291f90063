import t, { type Test } from 'tap';
import type { AccessDocument } from '../../src/access/accessDocument.js';
import { decideMobile } from '../../src/access/documentDecision.js';
import type { Presentation } from '../../src/access/verdict.js';
import { hashPin, smallSite, storeFixture, up } from '../support/storeFixture.js';

const MON_10 = Date.parse('2026-11-23T09:00:00Z'); // Monday 10:00 in Berlin
const MON_20 = Date.parse('2026-11-23T19:00:00Z');
const XMAS_10 = Date.parse('2026-12-25T09:00:00Z');
const TOKEN = 'a.b.c'; // the engine verifies tokens; decideMobile sees only whether one was carried

function site(t: Test) {
  const f = storeFixture(t);
  f.apply([
    ...smallSite(),
    up('person', { id: 'ann', name: 'Ann', kind: 'resident' }),
    up('holding', { personId: 'ann', keyId: 'k-office' }),
    up('credential', { id: 'ann-phone', personId: 'ann', kind: 'mobile', mobileKeyId: 'ann-phone' }),
    up('credential', { id: 'ann-pin', personId: 'ann', kind: 'pin', pin: '1234' }),
    up('credential', { id: 'bo-phone', personId: 'ann', kind: 'mobile', mobileKeyId: 'bo-phone', status: 'pending' }),
  ]);
  return f;
}
const phone = (doorId: string, value: string, extra: Partial<Presentation> = {}): Presentation => ({ doorId, kind: 'mobile', value, documentToken: TOKEN, ...extra });

t.test('precedence: the rules decide a key they know; a newer document decides one they do not', async (t) => {
  const f = site(t);
  const rev = f.index().revision;
  const guest = (over: Partial<AccessDocument> = {}): AccessDocument => ({
    credentialId: 'gus-phone', personId: 'gus', publicKey: 'A'.repeat(40), doors: [{ doorId: 'lobby' }],
    validUntil: MON_10 + 86_400_000, revision: rev + 1, ...over,
  });
  const known = decideMobile(f.index(), phone('lobby', 'ann-phone'), guest({ credentialId: 'ann-phone', doors: [{ doorId: 'gym' }] }), MON_20);
  t.match(known, { grant: false, reason: 'outside_schedule', via: undefined }, 'a known key: the rules, not the document');

  const v = decideMobile(f.index(), phone('lobby', 'gus-phone'), guest(), MON_20);
  t.match(v, { grant: true, reason: 'granted', via: 'document', personId: 'gus', credentialId: 'gus-phone', keyId: null, revision: rev });
  t.match(decideMobile(f.index(), phone('lobby', 'gus-phone'), guest({ revision: rev }), MON_10), { grant: false, reason: 'document_superseded' },
    'issued at a revision the gateway has applied, and the key is not in it: revoked');
  t.match(decideMobile(f.index(), phone('lobby', 'gus-phone'), null, MON_10), { grant: false, reason: 'document_invalid' }, 'a document that did not verify');
  t.match(decideMobile(f.index(), phone('lobby', 'gus-phone', { documentToken: undefined }), guest(), MON_10), { grant: false, reason: 'unknown_credential' }, 'no document carried');
  t.match(decideMobile(f.index(), phone('lobby', 'ann-phone'), null, MON_10), { grant: true, reason: 'granted' }, 'a bad document does not stop a key the rules admit');
});

t.test('pending: the rules refuse it until a newer document (activated after the last sync) says otherwise', async (t) => {
  const f = site(t);
  const rev = f.index().revision;
  const doc = (revision: number): AccessDocument => ({ credentialId: 'bo-phone', personId: 'ann', publicKey: 'A'.repeat(40), doors: [{ doorId: 'lobby' }], validUntil: MON_10 + 60_000, revision });
  t.match(decideMobile(f.index(), phone('lobby', 'bo-phone', { documentToken: undefined }), null, MON_10), { reason: 'credential_pending' });
  t.match(decideMobile(f.index(), phone('lobby', 'bo-phone'), doc(rev), MON_10), { grant: false, reason: 'credential_pending' });
  t.match(decideMobile(f.index(), phone('lobby', 'bo-phone'), doc(rev + 1), MON_10), { grant: true, via: 'document' });
});

t.test('the document path checks the door, lockdown, validity, schedules and card+PIN', async (t) => {
  const f = site(t);
  const rev = f.index().revision;
  const doc = (over: Partial<AccessDocument>): AccessDocument => ({
    credentialId: 'gus-phone', personId: 'ann', publicKey: 'A'.repeat(40), doors: [{ doorId: 'lobby', scheduleIds: ['office'] }, { doorId: 'vault' }],
    validFrom: MON_10 - 3_600_000, validUntil: MON_10 + 3_600_000, revision: rev + 5, ...over,
  });
  const check = (p: Presentation, d: AccessDocument, now: number, reason: string) => t.equal(decideMobile(f.index(), p, d, now).reason, reason, reason);
  check(phone('lobby', 'gus-phone'), doc({}), MON_10, 'granted');
  check(phone('lobby', 'gus-phone'), doc({}), MON_10 - 7_200_000, 'not_yet_valid');
  check(phone('lobby', 'gus-phone'), doc({ validUntil: MON_10 }), MON_10, 'expired');
  check(phone('gym', 'gus-phone'), doc({}), MON_10, 'door_not_in_key');
  check(phone('attic', 'gus-phone'), doc({}), MON_10, 'unknown_door');
  check(phone('lobby', 'gus-phone'), doc({ validUntil: MON_20 + 1 }), MON_20, 'outside_schedule');
  check(phone('lobby', 'gus-phone'), doc({ validFrom: undefined, validUntil: XMAS_10 + 1 }), XMAS_10, 'holiday');
  check(phone('lobby', 'gus-phone'), doc({ doors: [{ doorId: 'lobby', scheduleIds: ['night-shift'] }] }), MON_10, 'schedule_unknown');
  check(phone('lobby', 'nope'), doc({}), MON_10, 'document_invalid');
  check(phone('vault', 'gus-phone'), doc({}), MON_10, 'second_factor_required');
  check(phone('vault', 'gus-phone', { pinDigest: hashPin('9999') }), doc({}), MON_10, 'second_factor_mismatch');
  check(phone('vault', 'gus-phone', { pinDigest: hashPin('1234') }), doc({}), MON_10, 'granted');
  check(phone('vault', 'gus-phone', { pinDigest: hashPin('1234') }), doc({ personId: 'zed' }), MON_10, 'second_factor_mismatch');
  f.store.setLockdown('lobby', true);
  t.equal(decideMobile(f.index(), phone('lobby', 'gus-phone'), doc({}), MON_10).reason, 'locked_down', 'lockdown');
});

t.test('an untrusted clock: a document (always time-bounded) decides clock_untrusted; a lease does not touch it', async (t) => {
  const f = site(t);
  const rev = f.index().revision;
  const doc: AccessDocument = { credentialId: 'gus-phone', personId: 'gus', publicKey: 'A'.repeat(40), doors: [{ doorId: 'lobby' }], validUntil: MON_10 + 86_400_000, revision: rev + 1 };
  t.match(decideMobile(f.index(), phone('lobby', 'gus-phone'), doc, MON_10, { clockTrusted: false, expiredClasses: 0 }), { grant: false, reason: 'clock_untrusted', via: 'document' });
  t.match(decideMobile(f.index(), phone('lobby', 'gus-phone'), doc, MON_10, { clockTrusted: true, expiredClasses: 0b111111 }), { grant: true, reason: 'granted', via: 'document' },
    'the document carries its own signed freshness');
  t.match(decideMobile(f.index(), phone('lobby', 'ann-phone'), null, MON_10, { clockTrusted: false, expiredClasses: 0 }), { grant: false, reason: 'clock_untrusted' },
    'a key the rules know is decided by the rules: her office-hours key depends on the time');
});
