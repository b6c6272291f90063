/** `lockgw journal`: the local access history from the CLI, beside a running gateway. */
import t from 'tap';
import { runCli } from '../../src/cli/lockgw.js';
import { gatewayFixture } from '../support/gatewayFixture.js';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const lines: string[] = [];
  const errors: string[] = [];
  const code = await runCli(args, (l) => lines.push(l), (l) => errors.push(l));
  return { code, out: lines.join('\n'), err: errors.join('\n') };
}

const HOUR = 3_600_000;

t.test('--since 2h --door lobby --person alice: one readable line per event, in the site zone', async (t) => {
  const now = Date.now();
  const { configFile, gateway, clock } = await gatewayFixture(t, {}, new Date(now - 3 * HOUR).toISOString());
  gateway.decide({ doorId: 'lobby', kind: 'card', value: '26:12:34567' }); // alice, 3 h ago: outside --since 2h
  clock.set(now - HOUR);
  gateway.decide({ doorId: 'lobby', kind: 'card', value: '26:12:34567' }); // alice at the lobby, 1 h ago
  gateway.decide({ doorId: 'gym', kind: 'card', value: '26:12:34567' }); // alice elsewhere
  gateway.decide({ doorId: 'lobby', kind: 'card', value: '26:12:99999' }); // an unknown card at the lobby
  gateway.journal.flush();
  const zone = gateway.index.timeZone;
  const r = await cli(['journal', '--config', configFile, '--since', '2h', '--door', 'lobby', '--person', 'alice']);
  t.equal(r.code, 0, r.err);
  const local = new Date(now - HOUR).toLocaleString('sv-SE', { timeZone: zone });
  t.same(r.out.split('\n').length, 1, 'one event matches');
  t.match(r.out, new RegExp(`^${local.slice(0, 16)}:\\d\\d  lobby +GRANTED +alice +granted \\(key resident\\)$`), 'local date and time, door, verdict, person, reason');

  const lobby = await cli(['journal', '--config', configFile, '--since', '2h', '--door', 'lobby', '--json']);
  const events = lobby.out.split('\n').map((l) => JSON.parse(l) as { seq: number; grant: boolean; reason: string });
  t.match(events, [{ seq: 2, grant: true }, { seq: 4, grant: false, reason: 'unknown_credential' }], '--json: one object per event, oldest first');
  const denied = await cli(['journal', '--config', configFile, '--kind', 'denied']);
  t.match(denied.out, /lobby +DENIED +- +unknown_credential/);
  t.equal((await cli(['journal', '--config', configFile, '--person', 'alice'])).out.split('\n').length, 3, 'without --since: the whole history');
  const none = await cli(['journal', '--config', configFile, '--door', 'attic']);
  t.equal(none.code, 0);
  t.equal(none.out, '', 'nothing matches: nothing printed');
});

t.test('absolute times are site time; bad filters are usage errors naming the option', async (t) => {
  const { configFile, gateway, clock } = await gatewayFixture(t, {}, '2026-11-23T09:00:00Z');
  gateway.decide({ doorId: 'lobby', kind: 'card', value: '26:12:34567' });
  clock.set('2026-11-23T12:00:00Z');
  gateway.decide({ doorId: 'lobby', kind: 'card', value: '26:12:34567' });
  gateway.journal.flush();
  const zone = gateway.index.timeZone;
  const nine = new Date('2026-11-23T09:00:00Z').toLocaleString('sv-SE', { timeZone: zone }).slice(0, 16).replace(' ', 'T');
  const window = await cli(['journal', '--config', configFile, '--since', nine, '--until', '2026-11-23T10:00:00Z', '--json']);
  t.match(window.out.split('\n').map((l) => JSON.parse(l) as { seq: number }), [{ seq: 1 }], `--since ${nine} (site time) to 10:00Z`);
  for (const [args, message] of [
    [['--since', 'yesterday'], /--since "yesterday" is not a date-time/],
    [['--until', '2027-02-30T10:00'], /--until "2027-02-30T10:00" is not a calendar date/],
    [['--since', '2h', '--until', '3h'], /until must be later than since/],
    [['--kind', 'doors'], /option '--kind <kind>' argument 'doors' is invalid/],
    [['--limit', '0'], /--limit/],
  ] as const) {
    const r = await cli(['journal', '--config', configFile, ...args]);
    t.equal(r.code, 2, `${args.join(' ')}: usage`);
    t.match(r.err, message);
    t.equal(r.out, '', 'nothing printed');
  }
});
