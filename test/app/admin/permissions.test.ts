import t from 'tap';
import { ROLES, type Role } from '../../../src/access/operator.js';
import { logScope, permits } from '../../../src/app/admin/permissions.js';
import { isGatewayError } from '../../../src/kernel/gatewayError.js';
import type { AdminVerb } from '../../../src/wire/adminProtocol.js';
import { adminRig } from '../../support/adminRig.js';

// The expected matrix, written out from the portals (hospitality roles, Latch key management):
// O owner, M manager, T team, I installer, H housekeeping — full key management where it applies.
const EXPECTED: Record<AdminVerb, string> = {
  'operator.add': 'O',
  'operator.remove': 'O',
  'operator.list': 'OM',
  'site.apply': 'OM',
  'site.check': 'OMTI',
  'site.export': 'OMTI',
  'person.add': 'OMT',
  'person.edit': 'OMT',
  'person.suspend': 'OMT',
  'person.remove': 'OM',
  'key.create': 'OMT',
  'key.edit': 'OMT',
  'key.remove': 'OMT',
  give: 'OMT',
  revoke: 'OMT',
  'credential.add': 'OMT',
  'credential.replace': 'OMT',
  'credential.revoke': 'OMTH',
  'people.import': 'OMT',
  'pin-policy.show': 'OMTI',
  'pin-policy.set': 'OM',
  'stock.add': 'OMI',
  'stock.list': 'OMTIH',
  'stock.lost': 'OMTH',
  'stock.retire': 'OM',
  'stock.return': 'OMT',
};
const LETTER: Record<Role, string> = { owner: 'O', manager: 'M', team: 'T', installer: 'I', housekeeping: 'H' };

t.test('every verb × every role, as the table says', async (t) => {
  for (const [verb, allowed] of Object.entries(EXPECTED) as Array<[AdminVerb, string]>) {
    for (const role of ROLES) {
      const p = permits({ role, keyManagement: 'full', keyIds: [] }, verb);
      t.equal(p.ok, allowed.includes(LETTER[role]), `${role} ${allowed.includes(LETTER[role]) ? 'may' : 'may not'} ${verb}`);
    }
  }
});

t.test('key management levels: full creates keys; limited only gives and revokes; specific only its own keys', async (t) => {
  const limited = { role: 'manager' as const, keyManagement: 'limited' as const, keyIds: [] };
  const specific = { role: 'team' as const, keyManagement: 'specific' as const, keyIds: ['resident'] };
  t.notOk(permits(limited, 'key.create', ['k']).ok, 'limited: no key create');
  t.notOk(permits(limited, 'site.apply').ok, 'limited: no site apply (it creates keys)');
  t.ok(permits(limited, 'give', ['staff']).ok, 'limited: gives any key');
  t.ok(permits(specific, 'give', ['resident']).ok, 'specific: gives its key');
  const other = permits(specific, 'revoke', ['staff']);
  t.notOk(other.ok, 'specific: not another key');
  t.match(!other.ok && other.reason, /only the keys resident, not staff/);
  t.notOk(permits(specific, 'people.import', ['resident', 'staff']).ok, 'an import that gives another key is refused whole');
});

t.test('access logs: the doors of the keys an operator manages', async (t) => {
  const keys = [
    { id: 'resident', name: 'R', mayShare: false, system: false, doors: [{ doorId: 'lobby', scheduleIds: [] }, { doorId: 'gym', scheduleIds: [] }] },
    { id: 'staff', name: 'S', mayShare: false, system: false, doors: [{ doorId: 'server-room', scheduleIds: [] }] },
  ];
  t.equal(logScope({ role: 'owner', keyManagement: 'full', keyIds: [] }, keys), 'all');
  t.equal(logScope({ role: 'manager', keyManagement: 'limited', keyIds: [] }, keys), 'all');
  t.same([...(logScope({ role: 'manager', keyManagement: 'specific', keyIds: ['resident'] }, keys) as Set<string>)].sort(), ['gym', 'lobby']);
  t.same([...(logScope({ role: 'housekeeping', keyManagement: 'full', keyIds: [] }, keys) as Set<string>)], []);
});

t.test('on the gateway: operators from the table, refusals journaled as security events, nothing changed', async (t) => {
  const r = await adminRig(t);
  r.run({ verb: 'operator.add', user: '1001', role: 'installer' });
  r.run({ verb: 'operator.add', user: '1002', role: 'housekeeping' });
  r.run({ verb: 'operator.add', user: 'u1003', role: 'team', keyManagement: 'specific', keyIds: ['resident'] });
  const as = (uid: number) => ({ uid, user: `u${uid}` });
  const revision = r.f.gateway.applied().revision;
  const refusals: Array<[number, Record<string, unknown>, RegExp]> = [
    [1001, { verb: 'key.create', key: { id: 'k', name: 'K' } }, /an installer may not key\.create/],
    [1002, { verb: 'give', holding: { personId: 'grace', keyId: 'resident' } }, /a housekeeping may not give/],
    [1003, { verb: 'give', holding: { personId: 'grace', keyId: 'staff' } }, /only the keys resident, not staff/],
    [1003, { verb: 'key.edit', id: 'resident', name: 'R' }, /needs full key management/],
    [1003, { verb: 'operator.add', user: '1004', role: 'owner' }, /a team may not operator\.add/],
    [4242, { verb: 'site.export', format: 'yaml' }, /uid 4242 \(u4242\) is not an operator/],
  ];
  for (const [uid, request, why] of refusals) {
    const before = r.f.gateway.journal.stats().lastSeq;
    try {
      r.run(request, as(uid));
      t.fail(`${uid} ${request.verb as string} was allowed`);
    } catch (e) {
      t.ok(isGatewayError(e, 'NOT_AUTHORISED'), `${uid} ${request.verb as string}: NOT_AUTHORISED`);
      t.match((e as Error).message, why);
      const [event] = r.journalSince(before);
      t.match(event, { type: 'security', reason: 'admin_refused', data: { verb: request.verb, uid } }, 'journaled as a security event');
    }
  }
  t.equal(r.f.gateway.applied().revision, revision, 'nothing was applied');
  t.ok(r.run({ verb: 'give', holding: { personId: 'grace', keyId: 'resident' } }, as(1003)).applied, 'a specific key manager gives its own key');
  t.ok(r.run({ verb: 'credential.revoke', id: 'grace-card', lost: true }, as(1002)).applied, 'housekeeping takes a lost card out of service');
  t.ok(r.run({ verb: 'site.export', format: 'json' }, as(1001)).data, 'an installer exports the site');
  t.ok(r.run({ verb: 'site.apply', site: { text: r.run({ verb: 'site.export', format: 'json' }).data as string, source: 's.json' } }, as(1001), { dryRun: true }), 'and checks a site file');
  const last = r.journalSince(0).filter((e) => e.reason === 'local_change').at(-1)!;
  t.match(last.data, { verb: 'credential.revoke', uid: 1002, user: 'u1002', role: 'housekeeping' }, 'the change names its operator');
  r.run({ verb: 'operator.remove', user: '1003' });
  try {
    r.run({ verb: 'give', holding: { personId: 'grace', keyId: 'resident' } }, as(1003));
    t.fail('a removed operator was allowed');
  } catch (e) {
    t.ok(isGatewayError(e, 'NOT_AUTHORISED'), 'a removed operator is refused at once');
  }
  try {
    r.run({ verb: 'operator.add', user: '1005', role: 'installer', keyManagement: 'limited' });
    t.fail('accepted');
  } catch (e) {
    t.ok(isGatewayError(e, 'INPUT_INVALID') && e.details.field === 'keyManagement', 'key management is for managers and team');
  }
});
