/**
 * Allocation at the edge (docs/standalone.md, "Allocation") on a real gateway and SQLite file:
 * the PIN policy and its code-space rule, doorcodes and keycards drawn / preferred / strict, the
 * keycard stock's states, and the cloud's credentials untouched by any of it.
 */
import t from 'tap';
import { weakness } from '../../../src/access/pinPolicy.js';
import type { StockEntry } from '../../../src/app/admin/cardStockView.js';
import type { PinPolicyView } from '../../../src/app/admin/pinPolicyVerbs.js';
import { adminRig, type AdminRig } from '../../support/adminRig.js';

const pin4 = (n: number) => String(n).padStart(4, '0');
/** PIN credentials for alice as the cloud would send them (source cloud: no policy applies) */
function cloudPins(r: AdminRig, pins: string[], prefix = 'cloud'): void {
  r.f.gateway.applyBatch(pins.map((pin, i) => ({ op: 'upsert', entity: 'credential', record: { id: `${prefix}-${i}`, personId: 'alice', kind: 'pin', pin } })), { source: 'cloud' });
}
const show = (r: AdminRig) => r.run({ verb: 'pin-policy.show' }).data as PinPolicyView;
const stock = (r: AdminRig, state?: string) => r.run({ verb: 'stock.list', ...(state ? { state } : {}) }).data as StockEntry[];

t.test('the code-space rule: exactly at the limit is fine, one past it is refused (nothing changes) or warned (journaled)', async (t) => {
  const r = await adminRig(t);
  t.match(show(r), { policy: { minLength: 4, maxLength: 8, codeSpace: 'warn' }, issued: 4, limit: 10, changedAt: null }, 'the default: 4 to 8 digits, the demo\'s 4 PINs of 10');
  const set = r.run({ verb: 'pin-policy.set', codeSpace: 'refuse' });
  t.same(set.changes, ['set PIN policy: PINs of 4 to 8 digits, at most 10 issued (code space 10,000, over the limit: refuse)']);
  for (let i = 0; i < 6; i++) r.run({ verb: 'credential.add', credential: { id: `p${i}`, personId: 'alice', kind: 'pin', pin: `${2468 + i * 1013}` } });
  t.equal(show(r).issued, 10, 'exactly at the limit');
  const revision = r.f.gateway.applied().revision;
  t.throws(() => r.run({ verb: 'credential.add', credential: { id: 'p6', personId: 'alice', kind: 'pin', pin: '8642' } }), { code: 'POLICY_REFUSED', message: /11 PINs would be issued at this site, over the code-space limit of 10/ });
  t.throws(() => r.run({ verb: 'credential.add', draw: { id: 'p6', personId: 'alice', kind: 'pin' } }), { code: 'POLICY_REFUSED' }, 'a drawn one too');
  t.equal(r.f.gateway.store.credential('p6'), undefined, 'nothing was added');
  t.equal(r.f.gateway.applied().revision, revision, 'nor applied');
  t.ok(r.run({ verb: 'credential.replace', id: 'p0', value: '3579' }).applied, 'a replace adds no PIN: never refused');
  t.ok(r.run({ verb: 'credential.add', credential: { id: 'c1', personId: 'alice', kind: 'card', card: '26:12:777' } }).applied, 'nor a card');

  r.run({ verb: 'pin-policy.set', codeSpace: 'warn' });
  const seq = r.f.gateway.journal.stats().lastSeq;
  const warned = r.run({ verb: 'credential.add', credential: { id: 'p6', personId: 'alice', kind: 'pin', pin: '8642' } });
  t.ok(warned.applied, 'warn: applied');
  t.match(warned.warning, /11 PINs would be issued at this site, over the code-space limit of 10/);
  const events = r.journalSince(seq);
  t.match(events.find((e) => e.reason === 'pin_code_space_exceeded')?.data, { verb: 'credential.add', uid: 0, pins: 11, limit: 10 }, 'the warning is journaled with its operator');
  t.match(show(r), { issued: 11, limit: 10 });
  t.match(r.run({ verb: 'pin-policy.set', minLength: 6 }).changes, [/PINs of 6 to 8 digits, at most 1,000 issued/], '6 digits: 1,000');
});

t.test('the lengths: a PIN outside them is refused by strict, replaced by preferred; bad input is exit-2 input', async (t) => {
  const r = await adminRig(t);
  r.run({ verb: 'pin-policy.set', minLength: 6, maxLength: 6 });
  t.throws(() => r.run({ verb: 'credential.add', credential: { id: 'x', personId: 'alice', kind: 'pin', pin: '2468' } }), { code: 'POLICY_REFUSED', message: /issues PINs of 6 digits, not 4 \(allocation strict\)/ });
  const preferred = r.run({ verb: 'credential.add', credential: { id: 'x', personId: 'alice', kind: 'pin', pin: '2468' }, allocation: 'preferred' });
  t.match(preferred.note, /the asked doorcode was not used \(the site's PIN policy issues PINs of 6 digits, not 4\): a code was drawn instead/);
  t.match(preferred.issued, { credentialId: 'x', pin: /^\d{6}$/ }, 'the drawn code is returned once');
  t.ok(r.decidePin('lobby', preferred.issued!.pin!).grant, 'and opens');
  t.throws(() => r.run({ verb: 'pin-policy.set', minLength: 7, maxLength: 5 }), { code: 'INPUT_INVALID', message: /maxLength is shorter than minLength/ });
  t.throws(() => r.run({ verb: 'pin-policy.set', minLength: 3 }), /./, 'below 4 is no policy (the schema)');
  t.match(show(r).policy, { minLength: 6, maxLength: 6 }, 'a refused set changes nothing');
});

t.test('preferred and strict: a taken code is DUPLICATE under strict and drawn again under preferred; a weak one is said or replaced', async (t) => {
  const r = await adminRig(t);
  t.throws(() => r.run({ verb: 'credential.add', credential: { id: 'x', personId: 'grace', kind: 'pin', pin: '1234' } }), { code: 'DUPLICATE_CREDENTIAL' }, 'alice has 1234');
  const taken = r.run({ verb: 'credential.add', credential: { id: 'x', personId: 'grace', kind: 'pin', pin: '9111' }, allocation: 'preferred' });
  t.match(taken.note, /it is issued at the site already/, "carol's duress code 9111");
  t.not(taken.issued!.pin, '9111');
  t.equal(weakness(taken.issued!.pin!), null, 'a drawn code is never weak');
  const weak = r.run({ verb: 'credential.add', credential: { id: 'y', personId: 'grace', kind: 'pin', pin: '7777' }, allocation: 'preferred' });
  t.match(weak.note, /trivially weak \(one digit repeated\)/);
  const strictWeak = r.run({ verb: 'credential.add', credential: { id: 'z', personId: 'grace', kind: 'pin', pin: '7777' } });
  t.ok(strictWeak.applied, 'strict issues the operator\'s own weak code');
  t.match(strictWeak.note, /warning: the doorcode of z is trivially weak/);
  t.equal(strictWeak.issued, undefined, 'a code the operator gave is not shown back');
  t.throws(() => r.run({ verb: 'credential.add', credential: { id: 'w', personId: 'grace', kind: 'pin', pin: '2580' }, allocation: 'random' }), { code: 'INPUT_INVALID' }, 'random takes no code');
  t.throws(() => r.run({ verb: 'credential.add', draw: { id: 'w', personId: 'grace', kind: 'pin' }, allocation: 'strict' }), { code: 'INPUT_INVALID', message: /needs a specific doorcode/ });
  r.run({ verb: 'person.edit', id: 'grace', unit: '305' });
  const unit = r.run({ verb: 'credential.add', credential: { id: 'u', personId: 'grace', kind: 'pin', pin: '3052' }, allocation: 'preferred' });
  t.match(unit.note, /unit number/, "a code with the holder's unit in it is weak");
  const seq = r.f.gateway.journal.stats().lastSeq;
  const drawn = r.run({ verb: 'credential.replace', id: 'u' });
  t.match(drawn.issued, { credentialId: 'u', pin: /^\d{4}$/ }, 'replace without a value draws');
  t.notMatch(JSON.stringify(r.journalSince(seq)), new RegExp(drawn.issued!.pin!), 'the drawn code is never journaled');
});

t.test('random allocation never repeats an issued code: a 4-digit space filled to the last free codes, then full', async (t) => {
  const r = await adminRig(t);
  r.run({ verb: 'pin-policy.set', minLength: 4, maxLength: 4 });
  const demo = new Set(['1234', '4321', '9111', '5555']);
  const free = new Set<string>();
  const fill: string[] = [];
  for (let n = 0; n < 10_000; n++) {
    const pin = pin4(n);
    if (demo.has(pin) || weakness(pin) !== null) continue;
    // every 997th usable code stays free
    if (fill.length % 997 === 0 && free.size < 8) free.add(pin);
    else fill.push(pin);
  }
  cloudPins(r, fill);
  t.equal(show(r).issued, fill.length + 4, 'the cloud\'s PINs count');
  const drawn = new Set<string>();
  for (let i = 0; i < free.size; i++) {
    const result = r.run({ verb: 'credential.add', draw: { id: `d${i}`, personId: 'alice', kind: 'pin' } });
    t.match(result.warning, /over the code-space limit of 10/, 'warned, not refused');
    drawn.add(result.issued!.pin!);
  }
  t.same([...drawn].sort(), [...free].sort(), 'the draws took exactly the free codes, none twice');
  t.throws(() => r.run({ verb: 'credential.add', draw: { id: 'd-full', personId: 'alice', kind: 'pin' } }), { code: 'POLICY_REFUSED', message: /no free doorcode of 4 digits is left/ });
});

t.test('a PIN the cloud pushes is granted under a stricter local policy, and counts', async (t) => {
  const r = await adminRig(t);
  r.run({ verb: 'pin-policy.set', minLength: 6, maxLength: 6, codeSpace: 'refuse' });
  cloudPins(r, ['2580', '3691']);
  t.ok(r.decidePin('lobby', '2580').grant, 'a 4-digit cloud PIN opens under a 6-digit policy');
  t.match(show(r), { issued: 6, limit: 1000 });
});

t.test('the keycard stock: add, draw only available cards, used cards excluded until returned, lost revokes, replace, retire', async (t) => {
  const r = await adminRig(t);
  t.throws(() => r.run({ verb: 'credential.add', draw: { id: 'k0', personId: 'alice', kind: 'card' } }), { code: 'POLICY_REFUSED', message: /no keycard stock/ });
  const added = r.run({ verb: 'stock.add', cards: ['26:12:900', '26:012:0901', '26:12:902', '26:12:900'] });
  t.same(added.changes, ['add 3 cards to the stock (26:12:*00 … 26:12:*02)'], 'normalised, a repeat once, numbers masked');
  t.match(r.run({ verb: 'stock.add', cards: ['26:12:901'] }).note, /1 of the cards given are in the stock already/);
  t.throws(() => r.run({ verb: 'stock.add', cards: ['26:12:903', 'nonsense'] }), { code: 'INPUT_INVALID', message: /^cards\[1\]: / });
  t.equal(stock(r).length, 3, 'a bad list adds nothing');

  t.throws(() => r.run({ verb: 'credential.add', credential: { id: 'k0', personId: 'alice', kind: 'card', card: '26:12:999' } }), { code: 'POLICY_REFUSED', message: /not in this site's stock \(allocation strict\)/ });
  const strict = r.run({ verb: 'credential.add', credential: { id: 'k0', personId: 'alice', kind: 'card', card: '26:12:900' } });
  t.same(strict.changes, ['upsert credential k0 (card)', 'assign stock card 26:12:*00 to k0']);
  t.ok(r.decideCard('lobby', '26:12:900').grant);
  t.throws(() => r.run({ verb: 'credential.add', credential: { id: 'k1', personId: 'grace', kind: 'card', card: '26:12:900' } }), { code: 'POLICY_REFUSED', message: /assigned to credential k0/ });
  const preferred = r.run({ verb: 'credential.add', credential: { id: 'k1', personId: 'grace', kind: 'card', card: '26:12:900' }, allocation: 'preferred' });
  t.match(preferred.note, /another available card was taken/);
  t.match(preferred.issued!.card, /^26:12:90[12]$/);
  const random = r.run({ verb: 'credential.add', draw: { id: 'k2', personId: 'carol', kind: 'card' } });
  t.ok(random.issued!.card !== preferred.issued!.card && /^26:12:90[12]$/.test(random.issued!.card!), 'the last available card');
  t.throws(() => r.run({ verb: 'credential.add', draw: { id: 'k3', personId: 'carol', kind: 'card' } }), { code: 'POLICY_REFUSED', message: /no keycard of the stock is available/ });

  r.run({ verb: 'credential.revoke', id: 'k2' });
  t.match(stock(r, 'used'), [{ card: random.issued!.card, state: 'used', credentialId: 'k2' }], 'revoked: used');
  t.throws(() => r.run({ verb: 'credential.add', draw: { id: 'k3', personId: 'carol', kind: 'card' } }), { code: 'POLICY_REFUSED' }, 'a used card is not drawn');
  t.throws(() => r.run({ verb: 'credential.add', credential: { id: 'k3', personId: 'carol', kind: 'card', card: random.issued!.card! } }), { code: 'POLICY_REFUSED', message: /was used .* return it to stock first/ });
  r.run({ verb: 'stock.return', card: random.issued!.card! });
  t.equal(r.run({ verb: 'credential.add', draw: { id: 'k3', personId: 'carol', kind: 'card' } }).issued!.card, random.issued!.card, 'returned: drawn again');

  const lost = r.run({ verb: 'stock.lost', card: '26:12:900' });
  t.same(lost.changes, ['upsert credential k0 (card)', 'mark stock card 26:12:*00 lost'], 'the credential and the card in one change');
  t.equal(r.decideCard('lobby', '26:12:900').reason, 'credential_lost');
  t.match(stock(r, 'lost'), [{ card: '26:12:900', credentialId: 'k0', personId: 'alice' }], 'who lost it');

  r.run({ verb: 'stock.add', cards: ['26:12:950'] });
  const replaced = r.run({ verb: 'credential.replace', id: 'k1' });
  t.equal(replaced.issued!.card, '26:12:950', 'replace draws the available card');
  t.match(stock(r).find((e) => e.card === preferred.issued!.card), { state: 'lost' }, 'the old card is lost (default)');
  t.notOk(r.decideCard('lobby', preferred.issued!.card!).grant, 'and opens nothing');
  r.run({ verb: 'stock.add', cards: ['26:12:951'] });
  r.run({ verb: 'credential.replace', id: 'k1', value: '26:12:951', old: 'returned' });
  t.match(stock(r).find((e) => e.card === '26:12:950'), { state: 'used' }, 'returned: used, back to stock by stock return');

  t.throws(() => r.run({ verb: 'stock.retire', card: '26:12:951' }), { code: 'INPUT_INVALID', message: /is assigned/ });
  r.run({ verb: 'stock.retire', card: '26:12:950' });
  t.throws(() => r.run({ verb: 'stock.return', card: '26:12:950' }), { code: 'INPUT_INVALID', message: /is retired/ });
  t.throws(() => r.run({ verb: 'stock.lost', card: '26:12:12345' }), { code: 'NOT_FOUND' });
});

t.test('roles: an installer adds stock but sets no policy; housekeeping reports a card lost; each change journaled with its operator', async (t) => {
  const r = await adminRig(t);
  r.run({ verb: 'operator.add', user: 'u2001', role: 'installer' });
  r.run({ verb: 'operator.add', user: 'u2002', role: 'housekeeping' });
  const installer = { uid: 2001, user: 'u2001' };
  const housekeeping = { uid: 2002, user: 'u2002' };
  t.ok(r.run({ verb: 'stock.add', cards: ['26:12:900'] }, installer).applied);
  t.throws(() => r.run({ verb: 'pin-policy.set', codeSpace: 'refuse' }, installer), { code: 'NOT_AUTHORISED' });
  t.throws(() => r.run({ verb: 'stock.add', cards: ['26:12:901'] }, housekeeping), { code: 'NOT_AUTHORISED' });
  r.run({ verb: 'credential.add', credential: { id: 'k0', personId: 'alice', kind: 'card', card: '26:12:900' } });
  const seq = r.f.gateway.journal.stats().lastSeq;
  t.ok(r.run({ verb: 'stock.lost', card: '26:12:900' }, housekeeping).applied);
  t.match(r.journalSince(seq).find((e) => e.reason === 'local_change')?.data, { verb: 'stock.lost', uid: 2002, role: 'housekeeping', changes: ['upsert credential k0 (card)', 'mark stock card 26:12:*00 lost'] });
});

t.test('the site file carries the policy: export writes it once set, apply sets it, export → apply is no change', async (t) => {
  const r = await adminRig(t);
  t.notMatch(r.run({ verb: 'site.export', format: 'yaml' }).data as string, /pinPolicy/, 'the default is not written');
  r.run({ verb: 'pin-policy.set', minLength: 5, maxLength: 6, codeSpace: 'refuse' });
  const text = r.run({ verb: 'site.export', format: 'yaml' }).data as string;
  t.match(text, /pinPolicy:\n {2}minLength: 5\n {2}maxLength: 6\n {2}codeSpace: refuse/);
  const again = r.run({ verb: 'site.apply', site: { source: 'export.yaml', text } });
  t.same(again.changes, [], 'no change');
  const changed = r.run({ verb: 'site.apply', site: { source: 'site.yaml', text: text.replace('minLength: 5', 'minLength: 4') } });
  t.same(changed.changes, ['set PIN policy: PINs of 4 to 6 digits, at most 10 issued (code space 10,000, over the limit: refuse)']);
  t.match(show(r).policy, { minLength: 4, maxLength: 6 });
  t.throws(() => r.run({ verb: 'site.apply', site: { source: 'bad.yaml', text: text.replace('codeSpace: refuse', 'codeSpace: maybe') } }), { code: 'INPUT_INVALID', message: /bad\.yaml:\d+:\d+: pinPolicy\.codeSpace/ });
});
