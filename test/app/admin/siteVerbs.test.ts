import t from 'tap';
import { parse } from 'yaml';
import { isGatewayError } from '../../../src/kernel/gatewayError.js';
import { adminRig } from '../../support/adminRig.js';

const site = (text: string, source = 'site.yaml') => ({ verb: 'site.apply', site: { text, source } });

t.test('export then apply is no change, in YAML and JSON; PINs leave only as digests', async (t) => {
  const r = await adminRig(t);
  const before = r.f.gateway.applied();
  for (const format of ['yaml', 'json'] as const) {
    const text = r.run({ verb: 'site.export', format }).data as string;
    t.notMatch(text, /"?pin"?: "?1234/, `${format}: no PIN in clear`);
    const doc = format === 'json' ? JSON.parse(text) : parse(text);
    const alicePin = doc.credentials.find((c: { id: string }) => c.id === 'alice-pin');
    t.equal(alicePin.pinDigest, r.f.gateway.hashPin('1234'), `${format}: the PIN is its digest`);
    const applied = r.run(site(text, `export.${format}`));
    t.same(applied.changes, [], `${format}: nothing to change`);
    t.equal(applied.applied, false);
  }
  t.same(r.f.gateway.applied(), before, 'revision and hash unchanged');
});

t.test('apply shows the difference, applies it as one batch, and deletes what the file leaves out', async (t) => {
  const r = await adminRig(t);
  const text = (r.run({ verb: 'site.export', format: 'yaml' }).data as string)
    .replace('name: Gym\n', 'name: Fitness room\n');
  const doc = parse(text);
  doc.people = doc.people.filter((p: { id: string }) => p.id !== 'bob');
  doc.holdings = doc.holdings.filter((h: { personId: string }) => h.personId !== 'bob');
  doc.credentials = doc.credentials.filter((c: { personId: string }) => c.personId !== 'bob');
  doc.credentials.push({ id: 'grace-fob', personId: 'grace', kind: 'card', card: '26:12:5555' });
  const { stringify } = await import('yaml');
  const dry = r.run(site(stringify(doc)), undefined, { dryRun: true });
  t.same([...dry.changes].sort(), ['delete credential bob-card', 'delete holding bob/resident', 'delete person bob', 'upsert credential grace-fob (card)', 'upsert door gym'].sort());
  t.equal(dry.verb, 'site.check');
  t.ok(r.f.gateway.store.person('bob'), 'the dry run changed nothing');
  const revision = r.f.gateway.applied().revision;
  const done = r.run(site(stringify(doc)));
  t.equal(done.revision, revision + 1, 'one batch: one revision');
  t.equal(r.f.gateway.store.person('bob'), undefined);
  t.equal(r.decideCard('lobby', '26:12:40001').reason, 'unknown_credential', "bob's card is gone with him");
});

t.test('a bad site file names file:line:col and changes nothing', async (t) => {
  const r = await adminRig(t);
  const revision = r.f.gateway.applied().revision;
  const text = 'site: {id: s, name: S, timeZone: Europe/Berlin}\ndoors:\n  - {id: front, name: Front}\nkeys:\n  - {id: k, name: K, doors: [{doorId: back}]}\n';
  try {
    r.run(site(text, 'bad.yaml'));
    t.fail('applied');
  } catch (e) {
    t.ok(isGatewayError(e, 'REFERENCE_MISSING'), String(e));
    t.match((e as Error).message, /^bad\.yaml:5:5: key k: doors\[0\]\.doorId refers to door back/);
  }
  try {
    r.run(site('doors:\n  - {id: front, name: Front, plcae: A}\n', 'typo.yaml'));
    t.fail('applied');
  } catch (e) {
    t.match((e as Error).message, /^typo\.yaml:2:\d+: doors\[0\]\.plcae: unknown field "plcae"/);
  }
  const kept = (r.run({ verb: 'site.export', format: 'yaml' }).data as string).replace(/(id: alice-pin\n(?:.*\n)*?\s+status: )active/, '$1suspended');
  try {
    r.run(site(kept));
    t.fail('applied');
  } catch (e) {
    t.ok(isGatewayError(e, 'INPUT_INVALID') && e.details.field === 'pinDigest', 'a kept PIN cannot be changed: its PIN is unknown');
  }
  t.equal(r.f.gateway.applied().revision, revision);
});

t.test('people import: the bulk-user CSV adds people and holdings; unit n/a is staff; a second upload keeps a suspension', async (t) => {
  const r = await adminRig(t);
  const csv = 'Email,Unit Number,Expiry Date,Keys\nann@example.com,205C,2027-06-30,Resident\nmaint@example.com,n/a,,Staff\n';
  const result = r.run({ verb: 'people.import', users: { text: csv, source: 'users.csv' } });
  t.same(result.changes, ['upsert person user:ann@example.com', 'upsert person user:maint@example.com', 'upsert holding user:ann@example.com/resident', 'upsert holding user:maint@example.com/staff']);
  t.match(r.f.gateway.store.person('user:maint@example.com'), { kind: 'staff' });
  t.same(r.f.gateway.store.person('user:ann@example.com'), { id: 'user:ann@example.com', name: 'ann@example.com', status: 'active', kind: 'resident', extendedUnlock: false, unit: '205C' }, 'the unit is a field, not part of the name');
  const exported = r.run({ verb: 'site.export', format: 'yaml' }).data as string;
  t.match(exported, /unit: 205C/);
  t.same(r.run({ verb: 'site.apply', site: { text: exported, source: 'again.yaml' } }).changes, [], 'and it round-trips');
  const [holding] = [...r.f.gateway.store.holdings('user:ann@example.com')];
  t.equal(holding!.validUntil, Date.parse('2027-07-01T00:00:00+02:00'), 'valid through the end of the day in the site zone');
  r.run({ verb: 'person.suspend', id: 'user:ann@example.com' });
  r.run({ verb: 'people.import', users: { text: csv, source: 'users.csv' } });
  t.equal(r.f.gateway.store.person('user:ann@example.com')!.status, 'suspended', 'still suspended');
  try {
    r.run({ verb: 'people.import', users: { text: 'Email,Keys\nx@example.com,Nope\n', source: 'u.csv' } });
    t.fail('imported');
  } catch (e) {
    t.match((e as Error).message, /^u\.csv:2:15 \(Keys\): unknown key "Nope"/);
  }
});
