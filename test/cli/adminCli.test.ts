import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSigningKeyPair } from '../../src/wire/keys.js';
import { commissioning } from '../support/commissioning.js';
import { controlRig, rawClient } from '../support/controlRig.js';

const SITE = `site: {id: linden, name: Linden, timeZone: Europe/Berlin}
doors: [{id: front, name: Front door}, {id: gym, name: Gym}]
keys:
  - {id: resident, name: Resident, mayShare: true, doors: [{doorId: front}]}
  - {id: gym, name: Gym, doors: [{doorId: gym}]}
people:
  - id: ann
    name: Ann Example
    holds: [resident]
    credentials: [{id: ann-card, kind: card, card: "26:12:34567"}]
`;


t.test('without a daemon: the CLI applies a site file to the database, and the verbs work on it', async (t) => {
  const { dir, cli } = commissioning(t, SITE);
  const dry = await cli('site', 'apply', join(dir, 'site.yaml'), '--dry-run');
  t.equal(dry.code, 0, dry.err);
  t.match(dry.out, /upsert key resident[\s\S]*dry run: nothing was applied/);
  t.equal((await cli('decide', '--door', 'front', '--card', '26:12:34567')).code, 3, 'a dry run applies nothing');
  const applied = await cli('site', 'apply', join(dir, 'site.yaml'));
  t.equal(applied.code, 0, applied.err);
  t.match(applied.out, /applied: rules revision 1 \(by root, owner\)/);
  t.equal((await cli('decide', '--door', 'front', '--card', '26:12:34567')).code, 0, 'ann opens the front door');

  t.equal((await cli('person', 'add', 'bob', '--name', 'Bob')).code, 0);
  t.equal((await cli('credential', 'add', 'bob-pin', '--person', 'bob', '--pin', '2468')).code, 0);
  t.equal((await cli('give', 'bob', 'gym', '--until', '2030-01-01T00:00:00Z')).code, 0);
  t.equal((await cli('decide', '--door', 'gym', '--pin', '2468')).code, 0, 'bob opens the gym');
  const json = await cli('revoke', 'bob', 'gym', '--json');
  t.equal(json.code, 0);
  t.match(JSON.parse(json.out), { verb: 'revoke', applied: true, changes: ['delete holding bob/gym'], operator: { uid: 0, role: 'owner' } });
  t.equal((await cli('decide', '--door', 'gym', '--pin', '2468')).code, 3, 'and no longer');

  const exported = await cli('site', 'export');
  t.equal(exported.code, 0);
  t.notMatch(exported.out, /2468/, 'no PIN in clear');
  writeFileSync(join(dir, 'export.yaml'), exported.out);
  const again = await cli('site', 'apply', join(dir, 'export.yaml'));
  t.match(again.out, /the rules in force are this site already[\s\S]*no change/, 'export → apply is no change');

  const journal = await cli('journal', '--json');
  t.match(journal.out, /"reason":"local_change"/, 'the changes are journaled');
});

t.test('exit codes: 2 for bad input naming the field, 3 for a cloud-managed gateway without --force-local', async (t) => {
  const { dir, cli } = commissioning(t, SITE);
  await cli('site', 'apply', join(dir, 'site.yaml'));
  const missing = await cli('give', 'ghost', 'gym');
  t.equal(missing.code, 2);
  t.match(missing.err, /person ghost does not exist \(personId\)/);
  const instant = await cli('give', 'ann', 'gym', '--until', '2027-06-30');
  t.equal(instant.code, 2);
  t.match(instant.err, /holding\.validUntil: must be ISO 8601 with an offset/);
  writeFileSync(join(dir, 'bad.yaml'), 'doors:\n  - {id: front, name: Front, plcae: A}\n');
  const bad = await cli('site', 'apply', join(dir, 'bad.yaml'));
  t.equal(bad.code, 2);
  t.match(bad.err, /bad\.yaml:2:\d+: doors\[0\]\.plcae: unknown field "plcae"/);

  const keys = generateSigningKeyPair('k1');
  const cloud = commissioning(t, SITE, `cloud:\n  enabled: true\n  keys:\n    - kid: k1\n      pem: ${JSON.stringify(keys.publicPem)}\n`);
  const refused = await cloud.cli('person', 'add', 'zoe', '--name', 'Zoe');
  t.equal(refused.code, 3);
  t.match(refused.err, /takes its rules from the cloud/);
  const forced = await cloud.cli('person', 'add', 'zoe', '--name', 'Zoe', '--force-local');
  t.equal(forced.code, 0, forced.err);
  t.match(forced.out, /the cloud's next snapshot replaces it/);
});

t.test('with a daemon: the verb goes over the control socket, the doors use it at once, journaled with the operator', async (t) => {
  const rig = await controlRig(t);
  const g = rig.f.gateway;
  const add = await rig.cli(['person', 'add', 'zed', '--name', 'Zed']);
  t.equal(add.code, 0, add.err);
  const card = await rig.cli(['credential', 'add', 'zed-card', '--person', 'zed', '--card', '26:12:9999']);
  t.equal(card.code, 0, card.err);
  const give = await rig.cli(['give', 'zed', 'resident', '--json']);
  t.equal(give.code, 0, give.err);
  t.match(JSON.parse(give.out), { applied: true, operator: { uid: 0, role: 'owner' } });
  t.ok(g.decide({ doorId: 'lobby', kind: 'card', value: '26:12:9999' }).grant, "the running daemon's doors decide with it");
  const events = g.journal.recent(0, 1000).filter((e) => e.reason === 'local_change');
  t.match(events.at(-1)!.data, { verb: 'give', uid: 0, role: 'owner' });
  const list = await rig.cli(['operator', 'add', '1234', '--role', 'installer']);
  t.equal(list.code, 0, list.err);
  t.match((await rig.cli(['operator', 'list'])).out, /1234 .* installer/);
  const site = await rig.cli(['site', 'export', '--format', 'json']);
  t.equal(site.code, 0, site.err);
  t.ok(JSON.parse(site.out).people.some((p: { id: string }) => p.id === 'zed'));
  const bad = await rig.cli(['key', 'create', 'k9', '--name', 'K9', '--door', 'nowhere']);
  t.equal(bad.code, 2);
  t.match(bad.err, /doors\[0\]\.doorId refers to door nowhere/);
});

t.test('an admin request from a caller that proved nothing is refused and journaled', async (t) => {
  const rig = await controlRig(t);
  const c = rawClient(rig.socketPath);
  await c.connected;
  c.socket.write(`${JSON.stringify({ command: 'admin', request: { verb: 'person.add', person: { id: 'x', name: 'X' } } })}\n`);
  const [line] = await c.nextLines(1);
  t.match(JSON.parse(line!), { ok: false, code: 'NOT_AUTHORISED' });
  c.socket.end();
  t.equal(rig.f.gateway.store.person('x'), undefined);
  t.match(rig.f.gateway.journal.recent(0, 1000).at(-1), { type: 'security', reason: 'control_refused', data: { command: 'admin person.add' } });
});
