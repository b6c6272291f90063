/**
 * The allocation verbs from the command line (docs/standalone.md, "Allocation"): on the database
 * with no daemon (commissioning) and through a running daemon's control socket. A drawn doorcode
 * is printed once on stdout and is nowhere in the journal; a refusal by the policy exits 3.
 */
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commissioning } from '../support/commissioning.js';
import { controlRig } from '../support/controlRig.js';

const SITE = `site: {id: linden, name: Linden, timeZone: Europe/Berlin}
pinPolicy: {minLength: 4, maxLength: 4, codeSpace: refuse}
doors: [{id: front, name: Front door}]
keys:
  - {id: resident, name: Resident, doors: [{doorId: front}]}
people:
  - id: ann
    name: Ann Example
    holds: [resident]
`;


t.test('without a daemon: the site file sets the policy, drawn codes are shown once, the limit refuses with exit 3', async (t) => {
  const { dir, cli } = commissioning(t, SITE);
  t.equal((await cli('site', 'apply', join(dir, 'site.yaml'))).code, 0);
  const shown = await cli('pin-policy', 'show');
  t.equal(shown.code, 0, shown.err);
  t.match(shown.out, /lengths\s+4 digits\n[\s\S]*at most 10 PINs[\s\S]*over limit\s+refuse[\s\S]*issued\s+0 of 10/);

  const codes: string[] = [];
  for (let i = 0; i < 10; i++) {
    const drawn = await cli('credential', 'add', `ann-${i}`, '--person', 'ann', '--draw', 'pin');
    t.equal(drawn.code, 0, drawn.err);
    const code = /doorcode of ann-\d+: (\d{4})\n/.exec(drawn.out)?.[1];
    t.ok(code, 'the code is on stdout');
    codes.push(code!);
  }
  t.equal(new Set(codes).size, 10, 'ten different codes');
  t.equal((await cli('decide', '--door', 'front', '--pin', codes[3]!)).code, 0, 'a drawn code opens');
  const full = await cli('credential', 'add', 'ann-10', '--person', 'ann', '--draw', 'pin');
  t.equal(full.code, 3, 'one past the limit: refused');
  t.match(full.err, /11 PINs would be issued at this site, over the code-space limit of 10/);
  t.match((await cli('pin-policy', 'show', '--json')).out, /"issued":10,"limit":10/);
  const journal = await cli('journal', '--json');
  for (const code of codes) t.notMatch(journal.out, new RegExp(`\\b${code}\\b`), 'no drawn code in the journal');

  t.equal((await cli('pin-policy', 'set', '--code-space', 'warn')).code, 0);
  const warned = await cli('credential', 'add', 'ann-10', '--person', 'ann', '--pin', '2580');
  t.equal(warned.code, 0, warned.err);
  t.match(warned.err, /warning: 11 PINs would be issued/);
  const bad = await cli('pin-policy', 'set', '--length', '9');
  t.equal(bad.code, 2, 'a length past 8 is bad input');
  t.match(bad.err, /maxLength|minLength|at most 8/);
  const installer = await cli('pin-policy', 'set', '--length', '4-6x');
  t.equal(installer.code, 2);
  t.match(installer.err, /--length takes N or MIN-MAX/);
});

t.test('without a daemon: stock add from a list, a range and a CSV; list --state; draw a card; lost', async (t) => {
  const { dir, cli } = commissioning(t, SITE);
  await cli('site', 'apply', join(dir, 'site.yaml'));
  writeFileSync(join(dir, 'delivery.csv'), 'card,batch\n26:12:500,A\n26:12:501,A\n');
  const added = await cli('stock', 'add', '26:12:400', '--range', '26:12:100-104', '--csv', join(dir, 'delivery.csv'));
  t.equal(added.code, 0, added.err);
  t.match(added.out, /add 8 cards to the stock/);
  writeFileSync(join(dir, 'bad.csv'), 'card\n26:12:600\nnot-a-card\n');
  const bad = await cli('stock', 'add', '--csv', join(dir, 'bad.csv'));
  t.equal(bad.code, 2);
  t.match(bad.err, /bad\.csv:3: "not-a-card" is not a card number/);
  const range = await cli('stock', 'add', '--range', '26:12:5-1');
  t.equal(range.code, 2);

  const drawn = await cli('credential', 'add', 'ann-card', '--person', 'ann', '--draw', 'card');
  t.equal(drawn.code, 0, drawn.err);
  const card = /keycard of ann-card: (\S+)/.exec(drawn.out)![1]!;
  t.equal((await cli('decide', '--door', 'front', '--card', card)).code, 0, 'the drawn card opens');
  const list = JSON.parse((await cli('stock', 'list', '--state', 'assigned', '--json')).out);
  t.match(list.data, [{ card, state: 'assigned', credentialId: 'ann-card', personId: 'ann' }]);
  t.equal(JSON.parse((await cli('stock', 'list', '--state', 'available', '--json')).out).data.length, 7);
  const text = await cli('stock', 'list');
  t.notMatch(text.out, new RegExp(card), 'the text list masks the numbers');
  const lost = await cli('stock', 'lost', card);
  t.equal(lost.code, 0, lost.err);
  t.match(lost.out, /upsert credential ann-card \(card\)\n\s+mark stock card 26:12:\*+\d\d lost/);
  t.equal((await cli('decide', '--door', 'front', '--card', card)).code, 3, 'lost: no longer opens');
  const strict = await cli('credential', 'add', 'ann-card2', '--person', 'ann', '--card', card);
  t.equal(strict.code, 3, 'strict refuses a lost card');
  t.match(strict.err, /is lost \(allocation strict\)/);
});

t.test('with a daemon: the verbs go over the control socket, the doors use a drawn code at once', async (t) => {
  const rig = await controlRig(t);
  const g = rig.f.gateway;
  const set = await rig.cli(['pin-policy', 'set', '--length', '6']);
  t.equal(set.code, 0, set.err);
  const drawn = await rig.cli(['credential', 'add', 'alice-code', '--person', 'alice', '--draw', 'pin']);
  t.equal(drawn.code, 0, drawn.err);
  const code = /doorcode of alice-code: (\d{6})\n/.exec(drawn.out)![1]!;
  t.ok(g.decide({ doorId: 'lobby', kind: 'pin', value: g.hashPin(code) }).grant, "the running daemon's doors open for it");
  const strict = await rig.cli(['credential', 'add', 'alice-2', '--person', 'alice', '--pin', '2580']);
  t.equal(strict.code, 3, 'a 4-digit code under a 6-digit policy: refused');
  t.match(strict.err, /issues PINs of 6 digits, not 4/);
  const preferred = await rig.cli(['credential', 'add', 'alice-2', '--person', 'alice', '--pin', '2580', '--allocation', 'preferred']);
  t.equal(preferred.code, 0, preferred.err);
  t.match(preferred.out, /the asked doorcode was not used[\s\S]*doorcode of alice-2: \d{6}/);
  t.equal((await rig.cli(['stock', 'add', '--range', '26:12:700-701'])).code, 0);
  const replaced = await rig.cli(['credential', 'replace', 'alice-card', '--json']);
  t.equal(replaced.code, 0, replaced.err);
  t.match(JSON.parse(replaced.out), { applied: true, issued: { credentialId: 'alice-card', card: /^26:12:70[01]$/ } });
  const events = g.journal.recent(0, 1000).filter((e) => e.reason === 'local_change');
  t.match(events.map((e) => (e.data as { verb: string }).verb), ['pin-policy.set', 'credential.add', 'credential.add', 'stock.add', 'credential.replace']);
  t.notMatch(JSON.stringify(events), new RegExp(code), 'the drawn code is not journaled');
});
