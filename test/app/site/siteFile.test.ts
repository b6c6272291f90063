import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { compileIndex } from '../../../src/access/compileIndex.js';
import { checkSite } from '../../../src/app/site/siteCheck.js';
import { loadSiteFile, loadSiteInput } from '../../../src/app/site/siteInput.js';
import { parseSiteFile } from '../../../src/access/site/siteFile.js';
import { isGatewayError, type GatewayErrorCode } from '../../../src/kernel/gatewayError.js';
import { storeFixture } from '../../support/storeFixture.js';

const SITE = `# a small building
site: {id: linden, name: Linden Apartments, timeZone: Europe/Berlin}
doors:
  - {id: front, name: Front door, place: Building A}
  - {id: gym, name: Gym}
holidays:
  - {date: 2026-12-25, type: 1, name: Christmas Day}
schedules:
  - id: gym-hours
    name: Gym hours
    intervals:
      - {days: [mon, tue, wed, thu, fri], start: "06:00", end: "22:00"}
keys:
  - {id: resident, name: Resident, mayShare: true, doors: [{doorId: front}, {doorId: gym, scheduleIds: [gym-hours]}]}
people:
  - id: ann
    name: Ann Example
    holds: [resident]
    credentials:
      - {id: ann-card, kind: card, card: "26:012:034567"}
      - {id: ann-pin, kind: pin, pin: "0482"}
  - {id: guest-7, name: Guest of Ann, kind: guest, hostId: ann}
holdings:
  - {personId: guest-7, keyId: resident, validUntil: "2026-12-01T12:00:00+01:00"}
credentials:
  - {id: guest-phone, personId: guest-7, kind: mobile, mobileKeyId: guest-7-phone}
`;

function refused(t: Test, text: string, source: string, message: RegExp, code: GatewayErrorCode = 'INPUT_INVALID'): void {
  try {
    const doc = parseSiteFile(text, source);
    checkSite(doc.records, doc.where);
    t.fail(`expected ${message}`);
  } catch (err) {
    t.ok(isGatewayError(err, code), `${code}: ${(err as Error).message}`);
    t.match((err as Error).message, message);
  }
}

t.test('a site in sections, with holdings and credentials inside people, becomes validated records', async (t) => {
  const doc = parseSiteFile(SITE, 'site.yaml');
  const r = doc.records;
  t.same(r.site, { id: 'linden', name: 'Linden Apartments', timeZone: 'Europe/Berlin' });
  t.same(r.doors.map((d) => [d.id, d.place, d.cardAndPin]), [['front', 'Building A', false], ['gym', '', false]], 'defaults filled');
  t.same(r.holdings.map((h) => [h.personId, h.keyId, h.validUntil]), [['ann', 'resident', undefined], ['guest-7', 'resident', Date.parse('2026-12-01T11:00:00Z')]]);
  t.same(r.credentials.map((c) => c.id), ['ann-card', 'ann-pin', 'guest-phone']);
  t.match(r.credentials[0], { personId: 'ann', kind: 'card', card: '26:12:34567' }, 'card normalised, person implied');
  t.equal(doc.where('credential', 'ann-pin'), 'site.yaml:21:9');
  t.equal(doc.where('door', 'gym'), 'site.yaml:5:5');
  t.equal(doc.where('door', 'roof'), undefined);

  t.test('its hash is the one a gateway computes for the same records', async (t) => {
    const f = storeFixture(t);
    const check = checkSite(r, doc.where);
    f.apply([
      { op: 'upsert', entity: 'site', record: r.site },
      ...r.doors.map((record) => ({ op: 'upsert', entity: 'door', record })),
      ...r.holidays.map((record) => ({ op: 'upsert', entity: 'holiday', record })),
      ...r.schedules.map((record) => ({ op: 'upsert', entity: 'schedule', record })),
      ...r.keys.map((record) => ({ op: 'upsert', entity: 'key', record })),
      ...r.people.map((record) => ({ op: 'upsert', entity: 'person', record })),
      ...r.holdings.map((record) => ({ op: 'upsert', entity: 'holding', record })),
      ...r.credentials.map((record) => ({ op: 'upsert', entity: 'credential', record })),
    ]);
    t.equal(check.hash, f.store.snapshot(compileIndex).hash);
    t.match(check.counts, { doors: 2, people: 2, holdings: 2, credentials: 3 });
  });
});

t.test('a list of operations describes the site it leaves; JSON works like YAML', async (t) => {
  const ops = [
    { op: 'upsert', entity: 'site', record: { id: 's', name: 'S', timeZone: 'UTC' } },
    { op: 'upsert', entity: 'door', record: { id: 'a', name: 'A' } },
    { op: 'upsert', entity: 'door', record: { id: 'b', name: 'B' } },
    { op: 'upsert', entity: 'door', record: { id: 'a', name: 'A again' } },
    { op: 'delete', entity: 'door', id: 'b' },
    { op: 'upsert', entity: 'holiday', record: { date: '2026-12-24', type: 2 } },
    { op: 'delete', entity: 'holiday', date: '2026-12-24' },
  ];
  for (const [text, source] of [[JSON.stringify(ops, null, 2), 'ops.json'], [JSON.stringify({ operations: ops }), 'ops.json']] as const) {
    const doc = parseSiteFile(text, source);
    t.same(doc.records.doors, [{ id: 'a', name: 'A again', place: '', cardAndPin: false }]);
    t.same(doc.records.holidays, []);
    t.equal(doc.records.site?.id, 's');
  }
  t.equal(parseSiteFile(JSON.stringify(ops, null, 2), 'ops.json').where('door', 'a'), 'ops.json:30:15', 'where the latest upsert of it is');
  const gone = parseSiteFile(JSON.stringify([...ops, { op: 'delete', entity: 'site', id: 's' }]), 'ops.json');
  t.equal(gone.records.site, null);
});

t.test('record problems name file, line, column and path', async (t) => {
  refused(t, SITE.replace('name: Gym}', 'name: ""}'), 'site.yaml', /^site\.yaml:5:21: doors\[1\]\.name: Too small/);
  refused(t, SITE.replace('{id: gym, name: Gym}', '{id: gym, name: Gym, colour: red}'), 'site.yaml', /^site\.yaml:5:26: doors\[1\]\.colour: unknown field "colour"$/);
  refused(t, SITE.replace('pin: "0482"', 'pin: 0482'), 'site.yaml', /^site\.yaml:21:39: people\[0\]\.credentials\[1\]\.pin: .*expected string.* \(quote it: "…"\)/);
  refused(t, SITE.replace('pin: "0482"', 'pin: "12"'), 'site.yaml', /people\[0\]\.credentials\[1\]\.pin: a PIN is 4 to 8 digits/);
  refused(t, SITE.replace('name: Gym}', 'name: Gym}\n  - {id: "bad id", name: X}'), 'site.yaml', /^site\.yaml:6:10: doors\[2\]\.id: may contain only letters/);
  refused(t, SITE.replace('doors:', 'dors:'), 'site.yaml', /^site\.yaml:3:1: dors: unknown section \(sections: site, doors, holidays/);
  refused(t, SITE.replace('keys:\n', 'keys: 7\nx:\n'), 'site.yaml', /^site\.yaml:14:1: x: unknown section .*\(and 1 more problem\)/);
  refused(t, 'keys: {id: k}\n', 'site.yaml', /^site\.yaml:1:7: keys: must be a list$/);
  refused(t, SITE.replace('{id: guest-7, name: Guest of Ann,', '{id: guest-7, personId: x, name: Guest of Ann,').replace('holds: [resident]', 'holds: [{personId: ann, keyId: resident}]'), 'site.yaml', /people\[0\]\.holds\[0\]\.personId: is implied by the person/);
  refused(t, SITE.replace("- {id: ann-card, kind: card", '- {id: ann-card, personId: ann, kind: card'), 'site.yaml', /people\[0\]\.credentials\[0\]\.personId: is implied/);
  refused(t, '[{"op": "upsert", "entity": "door", "record": {"id": "a"}}]', 'ops.json', /^ops\.json:1:47: \[0\]\.record\.name: /);
  refused(t, '{"operations": [], "site": {}}', 'ops.json', /^ops\.json:1:20: site: a list of operations stands alone/);
});

t.test('syntax errors and empty files', async (t) => {
  refused(t, 'site: {id: x\ndoors: [', 'site.yaml', /^site\.yaml:\d+:\d+: YAML syntax error/);
  refused(t, '{"doors": [1,}', 'site.json', /^site\.json:1:14: JSON syntax error: Unexpected token/);
  refused(t, '', 'site.yaml', /^site\.yaml: the file is empty/);
  refused(t, '42', 'site.yaml', /^site\.yaml: not a site/);
});

t.test('references are checked by the gateway\'s rules and reported where the record is', async (t) => {
  refused(t, SITE.replace('{doorId: front}, {doorId: gym', '{doorId: front}, {doorId: pool'), 'site.yaml', /^site\.yaml:14:5: key resident: doors\[1\]\.doorId refers to door pool, which does not exist/, 'REFERENCE_MISSING');
  refused(t, SITE.replace('pin: "0482"', 'pin: "0482"}\n      - {id: ann-pin-2, kind: pin, pin: "0482"'), 'site.yaml', /^site\.yaml:22:9: credential ann-pin-2: this pin is already credential ann-pin/, 'DUPLICATE_CREDENTIAL');
  refused(t, SITE.replace('- {id: guest-7, name: Guest of Ann, kind: guest, hostId: ann}', '- {id: ann, name: Ann Again}'), 'site.yaml', /^site\.yaml:22:5: people\[1\]: person ann is defined more than once \(first at site\.yaml:16:5, people\[0\]\)$/);
  const cycle = SITE.replace('- {id: guest-7, name: Guest of Ann, kind: guest, hostId: ann}', '- {id: g1, name: G1, kind: guest, hostId: g2}\n  - {id: g2, name: G2, kind: guest, hostId: g1}').replace(/holdings:\n.*\ncredentials:\n.*\n/, '');
  refused(t, cycle, 'site.yaml', /^site\.yaml:22:5: the hosts of g1, g2 form a cycle/);
});

t.test('a bulk-user CSV joins the site file; a person in both is refused with both places', async (t) => {
  const dir = t.testdir();
  const site = join(dir, 'site.yaml');
  writeFileSync(site, SITE);
  writeFileSync(join(dir, 'users.csv'), 'Email,Unit Number,Expiry Date,Keys\nbob@example.com,12,2027-06-30,Resident\n');
  const input = await loadSiteInput({ site, users: join(dir, 'users.csv') });
  t.same(input.records.people.map((p) => p.id), ['ann', 'guest-7', 'user:bob@example.com']);
  t.equal(input.counts.holdings, 3);
  t.equal(input.where('person', 'user:bob@example.com'), `${join(dir, 'users.csv')}:2`);

  writeFileSync(join(dir, 'twice.yaml'), SITE.replace('- id: ann\n', '- id: "user:bob@example.com"\n').replace(/hostId: ann/, 'hostId: "user:bob@example.com"'));
  await t.rejects(loadSiteInput({ site: join(dir, 'twice.yaml'), users: join(dir, 'users.csv') }), { code: 'INPUT_INVALID', message: /users\.csv:2: person user:bob@example\.com is also defined at .*twice\.yaml:16:5/ });

  writeFileSync(join(dir, 'nosite.yaml'), 'doors: []\n');
  await t.rejects(loadSiteInput({ site: join(dir, 'nosite.yaml'), users: join(dir, 'users.csv') }), { message: /has no site, so the users' expiry dates have no time zone/ });
  writeFileSync(join(dir, 'badref.csv'), 'Email,Keys\nbob@example.com,sauna\n');
  await t.rejects(loadSiteInput({ site, users: join(dir, 'badref.csv') }), { message: /badref\.csv:2:17 \(Keys\): unknown key "sauna"/ });
  await t.rejects(loadSiteFile(join(dir, 'missing.yaml')), { code: 'INPUT_INVALID', message: /cannot read the site file .*missing\.yaml/ });
  await t.rejects(loadSiteInput({ site, users: join(dir, 'missing.csv') }), { message: /cannot read the users file/ });
});
