import t from 'tap';
import { runCli } from '../../src/cli/lockgw.js';
import { parseInstant } from '../../src/cli/parseInstant.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { gatewayFixture } from '../support/gatewayFixture.js';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const lines: string[] = [];
  const errors: string[] = [];
  const code = await runCli(args, (l) => lines.push(l), (l) => errors.push(l));
  return { code, out: lines.join('\n'), err: errors.join('\n') };
}

t.test('decide prints GRANTED or DENIED with the reason and the key that decided', async (t) => {
  const { configFile, gateway } = await gatewayFixture(t);
  await gateway.stop(); // the CLI opens the same files, as it does beside a running daemon
  const monday = ['--at', '2026-11-23T10:00'];
  let r = await cli(['decide', '--config', configFile, '--door', 'lobby', '--card', '26:12:34567', ...monday]);
  t.equal(r.code, 0);
  t.match(r.out, /^GRANTED {2}granted/);
  t.match(r.out, /person alice, credential alice-card/);
  t.match(r.out, /key resident/);
  r = await cli(['decide', '--config', configFile, '--door', 'server-room', '--card', '26:12:1001', ...monday]);
  t.equal(r.code, 3);
  t.match(r.out, /DENIED {2}second_factor_required/);
  r = await cli(['decide', '--config', configFile, '--door', 'server-room', '--card', '26:12:1001', '--pin', '4321', ...monday]);
  t.match(r.out, /GRANTED {2}granted[\s\S]*key staff/);
  r = await cli(['decide', '--config', configFile, '--door', 'gym', '--card', '26:12:34567', '--at', '2026-12-25T09:00']);
  t.match(r.out, /DENIED {2}holiday/);
  r = await cli(['decide', '--config', configFile, '--door', 'lobby', '--pin', '9111', ...monday, '--json']);
  t.match(JSON.parse(r.out), { grant: true, reason: 'duress', alarm: true });
  await gateway.start();
});

t.test('decide explains bad input: one line naming it on stderr, exit 2 (usage)', async (t) => {
  const { configFile } = await gatewayFixture(t);
  for (const [args, message] of [
    [['--door', 'lobby', '--card', '26:999:1'], /^lockgw: --card: .*H10301/],
    [['--door', 'lobby', '--pin', '12'], /^lockgw: --pin must be 4 to 8 digits/],
    [['--door', 'lobby'], /^lockgw: decide needs a credential/],
    [['--card', '26:1:1'], /^lockgw: required option '--door <id>' not specified/],
    [['--door', 'lobby', '--card', '26:1:1', '--at', 'tomorrow'], /^lockgw: .*tomorrow/],
  ] as const) {
    const r = await cli(['decide', '--config', configFile, ...args]);
    t.equal(r.code, 2, args.join(' '));
    t.match(r.err, message, args.join(' '));
    t.equal(r.out, '', 'nothing on stdout');
  }
});

t.test('list shows people with ACTIVE, UPCOMING and EXPIRED holdings, and masks credentials', async (t) => {
  const { configFile } = await gatewayFixture(t);
  const people = await cli(['list', 'people', '--config', configFile]);
  t.match(people.out, /alice .* resident .* ACTIVE/);
  t.match(people.out, /bob .* EXPIRED/);
  t.match(people.out, /grace .* UPCOMING/);
  t.match(people.out, /erin .* guest of alice/);
  const creds = await cli(['list', 'credentials', '--config', configFile]);
  t.match(creds.out, /alice-card +alice +card +26:12:\*\*\*67/);
  t.match(creds.out, /alice-pin +alice +pin +\*\*\*\*/);
  t.notMatch(creds.out, /1234/);
  t.match((await cli(['list', 'keys', '--config', configFile])).out, /deliveries .*system/);
  t.match((await cli(['list', 'doors', '--config', configFile])).out, /server-room .*card\+PIN/);
  t.match((await cli(['list', 'schedules', '--config', configFile])).out, /cleaning-nights .*22:00-06:00/);
  t.equal((await cli(['list', 'pets', '--config', configFile])).code, 2, 'an unknown list is a usage error');
});

t.test('doctor and journal', async (t) => {
  const { configFile, gateway } = await gatewayFixture(t);
  gateway.decide({ doorId: 'lobby', kind: 'card', value: '26:12:34567' });
  gateway.journal.flush();
  const doc = await cli(['doctor', '--config', configFile]);
  t.equal(doc.code, 0);
  t.match(doc.out, new RegExp(`database +ok \\(schema version ${Math.max(...MIGRATIONS.map((m) => m.version))}\\)`));
  t.match(doc.out, /journal +1 events/);
  const j = await cli(['journal', '--config', configFile, '--json']);
  t.match(JSON.parse(j.out.split('\n')[0]!), { seq: 1, type: 'access', reason: 'granted' });
  const readable = await cli(['journal', '--config', configFile]);
  t.match(readable.out, /^#1 \d\d:\d\d:\d\d lobby GRANTED granted +alice/);
});

t.test('help and unknown commands', async (t) => {
  t.match((await cli(['help'])).out, /Usage: lockgw/);
  t.equal((await cli(['help'])).code, 0);
  const none = await cli([]);
  t.equal(none.code, 2, 'no verb is a usage error');
  t.match(none.err, /Usage: lockgw/);
  const typo = await cli(['lsit', 'people']);
  t.equal(typo.code, 2);
  t.match(typo.err, /lockgw: unknown command 'lsit'\n\(Did you mean list\?\)/);
  const wrongWhat = await cli(['list', 'peple']);
  t.equal(wrongWhat.code, 2);
  t.match(wrongWhat.err, /'peple' is invalid .* people, keys, credentials, doors, schedules/);
  const help = await cli(['decide', '--help']);
  t.equal(help.code, 0);
  t.match(help.out, /Usage: lockgw decide \[options\][^]*--door <id>[^]*Examples:\n  lockgw decide --door lobby --card 26:12:34567/);
});

t.test('--at reads local site time, and handles DST gaps and overlaps', async (t) => {
  t.equal(parseInstant('2026-12-25T09:00', 'Europe/Berlin'), Date.parse('2026-12-25T08:00:00Z'));
  t.equal(parseInstant('2026-07-01T09:00', 'Europe/Berlin'), Date.parse('2026-07-01T07:00:00Z'));
  t.equal(parseInstant('2026-07-01T09:00:00Z', 'Europe/Berlin'), Date.parse('2026-07-01T09:00:00Z'));
  // New York, 2026-03-08 02:30 does not exist; 2026-11-01 01:30 happens twice (the earlier is EDT)
  t.equal(parseInstant('2026-03-08T02:30', 'America/New_York'), Date.parse('2026-03-08T07:30:00Z'));
  t.equal(parseInstant('2026-11-01T01:30', 'America/New_York'), Date.parse('2026-11-01T05:30:00Z'));
  t.throws(() => parseInstant('2026-02-30T10:00', 'Europe/Berlin'), { code: 'INPUT_INVALID' });
});
