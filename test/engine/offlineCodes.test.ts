import t from 'tap';
import type { Gateway } from '../../src/app/gateway.js';
import { parseConfig } from '../../src/app/config/loadConfig.js';
import { issue, offlineCodeSite, SITE_SECRET } from '../support/offlineCodeSite.js';

// Europe/Berlin (the demo site): 2026-11-23 is a Monday, UTC+1
const sim = (g: Gateway, door: string) => g.simulated!.doors.get(door)!;
const last = (g: Gateway) => g.journal.recent(0, 10_000).at(-1);
const type = (g: Gateway, door: string, code: string) => {
  sim(g, door).keypad.press(`${code}#`);
  return last(g);
};

t.test('a code typed at the keypad opens the door in its window, is journaled by id and window, and its digits are nowhere', async (t) => {
  const site = await offlineCodeSite(t, '2026-11-23T09:30:00Z');
  const code = issue({ scope: 'door:lobby', singleUse: true, from: '2026-11-23T10:00', to: '2026-11-23T12:00' });
  const lobby = sim(site.gateway, 'lobby');
  t.match(type(site.gateway, 'lobby', code), {
    type: 'access', doorId: 'lobby', grant: true, reason: 'granted',
    data: { kind: 'pin', via: 'offline_code', offlineCode: { id: /^oc-[0-9a-f]{16}$/, scope: 'door:lobby', type: 'hourly', singleUse: true, from: '2026-11-23T10:00', until: '2026-11-23T12:00' } },
  });
  t.equal(lobby.actuator.state(), 'unlocked');
  site.clock.advance(5_000);
  t.equal(lobby.actuator.state(), 'locked');
  t.match(type(site.gateway, 'lobby', code), { grant: false, reason: 'offline_code_used' }, 'single use');
  t.equal(lobby.actuator.state(), 'locked');
  const everything = JSON.stringify(site.gateway.journal.recent(0, 10_000)) + site.logs.join('');
  t.notOk(everything.includes(code), 'the code is neither journaled nor logged');
  t.notOk(everything.includes(SITE_SECRET.toString('hex')), 'nor the secret');
});

t.test('a window holds from its first millisecond to the one before its end, in the site\'s time', async (t) => {
  const site = await offlineCodeSite(t, '2026-11-23T08:59:59.999Z');
  // 10:00–12:00 Berlin is 09:00Z–11:00Z
  const code = issue({ scope: 'door:lobby', from: '2026-11-23T10:00', to: '2026-11-23T12:00' });
  t.match(type(site.gateway, 'lobby', code), { grant: false, reason: 'offline_code_not_yet_valid' }, 'start − 1 ms');
  site.clock.advance(1);
  t.match(type(site.gateway, 'lobby', code), { grant: true, reason: 'granted' }, 'start');
  site.clock.set(Date.parse('2026-11-23T10:59:59.999Z'));
  t.match(type(site.gateway, 'lobby', code), { grant: true, reason: 'granted' }, 'end − 1 ms, a reusable code again');
  site.clock.advance(1);
  t.match(type(site.gateway, 'lobby', code), { grant: false, reason: 'offline_code_expired' }, 'end');
});

t.test('across DST the window is wall-clock time, as schedules are', async (t) => {
  // 2027-10-31 Berlin: 03:00 CEST goes back to 02:00 CET; 01:00–03:00 local is 23:00Z–02:00Z, three hours
  const site = await offlineCodeSite(t, '2027-10-30T22:59:59.999Z');
  const autumn = issue({ scope: 'door:lobby', from: '2027-10-31T01:00', to: '2027-10-31T03:00' });
  t.match(type(site.gateway, 'lobby', autumn), { reason: 'offline_code_not_yet_valid' });
  site.clock.advance(1);
  t.match(type(site.gateway, 'lobby', autumn), { reason: 'granted' }, '01:00 CEST');
  site.clock.set(Date.parse('2027-10-31T01:59:59.999Z'));
  t.match(type(site.gateway, 'lobby', autumn), { reason: 'granted' }, '02:59:59.999 CET, the second pass through the repeated hour');
  site.clock.advance(1);
  t.match(type(site.gateway, 'lobby', autumn), { reason: 'offline_code_expired' }, '03:00 CET');
  // 2027-03-28 Berlin: 02:00 CET jumps to 03:00 CEST; 01:00–03:00 local is 00:00Z–01:00Z, one hour
  const spring = issue({ scope: 'door:lobby', from: '2027-03-28T01:00', to: '2027-03-28T03:00' });
  site.clock.set(Date.parse('2027-03-28T00:59:59.999Z'));
  t.match(type(site.gateway, 'lobby', spring), { reason: 'granted' }, '01:59:59.999 CET');
  site.clock.advance(1);
  t.match(type(site.gateway, 'lobby', spring), { reason: 'offline_code_expired' }, '03:00 CEST: the skipped hour never happened');
});

t.test('a single-use code stays used across a restart on the same SQLite file', async (t) => {
  const site = await offlineCodeSite(t, '2026-11-23T09:30:00Z');
  const code = issue({ scope: 'door:lobby', singleUse: true, from: '2026-11-23T10:00', to: '2026-11-23T14:00' });
  t.match(type(site.gateway, 'lobby', code), { reason: 'granted' });
  await site.gateway.stop();
  const again = await site.restart('2026-11-23T10:00:00Z');
  t.match(type(again, 'lobby', code), { grant: false, reason: 'offline_code_used' });
  t.equal(sim(again, 'lobby').actuator.state(), 'locked');
  const reusable = issue({ scope: 'door:lobby', from: '2026-11-23T10:00', to: '2026-11-23T14:00' });
  t.match(type(again, 'lobby', reusable), { reason: 'granted' }, 'a reusable code of the same window is another code');
});

t.test('a group code opens the group\'s doors only; a door code its door only', async (t) => {
  const site = await offlineCodeSite(t, '2026-11-23T09:30:00Z');
  const group = issue({ scope: 'group:amenities', type: 'daily', from: '2026-11-23T00:00', to: '2026-11-24T00:00' });
  t.match(type(site.gateway, 'gym', group), { reason: 'granted', data: { offlineCode: { scope: 'group:amenities', type: 'daily' } } });
  t.match(type(site.gateway, 'pool', group), { reason: 'granted' });
  t.match(type(site.gateway, 'lobby', group), { grant: false, reason: 'unknown_credential' });
  const gym = issue({ scope: 'door:gym', from: '2026-11-23T10:00', to: '2026-11-23T11:00' });
  t.match(type(site.gateway, 'pool', gym), { grant: false, reason: 'unknown_credential' });
});

t.test('a multi-day code runs from check-in to check-out', async (t) => {
  const site = await offlineCodeSite(t, '2026-11-23T13:59:59.999Z');
  const stay = issue({ scope: 'door:lobby', type: 'multi-day', singleUse: false, from: '2026-11-23T15:00', to: '2026-11-26T11:00' });
  t.match(type(site.gateway, 'lobby', stay), { reason: 'offline_code_not_yet_valid' }, '14:59:59.999 local');
  site.clock.advance(1);
  t.match(type(site.gateway, 'lobby', stay), { reason: 'granted', data: { offlineCode: { type: 'multi-day' } } });
  site.clock.set(Date.parse('2026-11-26T09:59:59.999Z'));
  t.match(type(site.gateway, 'lobby', stay), { reason: 'granted' }, 'check-out − 1 ms');
  site.clock.advance(1);
  t.match(type(site.gateway, 'lobby', stay), { reason: 'offline_code_expired' });
});

t.test('stored PINs come first and still work; wrong codes count towards the keypad lockout, real ones out of their window do not', async (t) => {
  const site = await offlineCodeSite(t, '2026-11-23T09:30:00Z');
  t.match(type(site.gateway, 'lobby', '1234'), { reason: 'granted', personId: 'alice' }, 'alice\'s stored PIN');
  const expired = issue({ scope: 'door:lobby', from: '2026-11-23T08:00', to: '2026-11-23T10:00' });
  for (let i = 0; i < 6; i++) t.match(type(site.gateway, 'lobby', expired), { reason: 'offline_code_expired' });
  for (let i = 0; i < 4; i++) t.match(type(site.gateway, 'lobby', '1111111111'), { grant: false, reason: 'unknown_credential' });
  type(site.gateway, 'lobby', '1111111112');
  t.match(last(site.gateway), { type: 'alarm', reason: 'pin_lockout' }, 'the fifth wrong code locks the keypad out');
  const good = issue({ scope: 'door:lobby', from: '2026-11-23T10:00', to: '2026-11-23T11:00' });
  t.match(type(site.gateway, 'lobby', good), { grant: false, reason: 'pin_lockout' }, 'a good code waits for the lockout like a PIN');
});

t.test('a locked-down door and a card+PIN door refuse codes; too many digits are refused at the keypad', async (t) => {
  const site = await offlineCodeSite(t, '2026-11-23T09:30:00Z');
  const server = issue({ scope: 'door:server-room', from: '2026-11-23T10:00', to: '2026-11-23T11:00' });
  t.match(type(site.gateway, 'server-room', server), { grant: false, reason: 'second_factor_required' });
  const lobby = issue({ scope: 'door:lobby', from: '2026-11-23T10:00', to: '2026-11-23T11:00' });
  site.gateway.setLockdown('lobby', true);
  t.match(type(site.gateway, 'lobby', lobby), { grant: false, reason: 'locked_down' });
  site.gateway.setLockdown('lobby', false);
  const before = site.gateway.journal.stats().lastSeq;
  sim(site.gateway, 'garage').keypad.press('12345678901#');
  t.equal(site.gateway.journal.stats().lastSeq, before, 'eleven digits end the entry before it is submitted');
  t.equal(sim(site.gateway, 'garage').actuator.state(), 'locked');
});

t.test('a door group naming a door the rules do not have is warned about at start', async (t) => {
  const site = await offlineCodeSite(t, '2026-11-23T09:30:00Z', { groups: { amenities: ['gym', 'sauna'] } });
  t.ok(site.logs.some((l) => l.includes('offlineCodes.groups.amenities names doors the site\'s rules do not have: sauna')));
  t.notOk(site.logs.some((l) => l.includes('do not have: gym')));
});

t.test('without its secret the gateway runs, says why, and codes open nothing', async (t) => {
  const site = await offlineCodeSite(t, '2026-11-23T09:30:00Z', {}, false);
  t.ok(site.gateway.journal.recent(0, 100).some((e) => e.type === 'alarm' && e.reason === 'offline_codes_unavailable'), 'an alarm is journaled');
  t.ok(site.logs.some((l) => l.includes('offline doorcodes are off')), 'and logged');
  sim(site.gateway, 'lobby').keypad.press(`${issue({ scope: 'door:lobby', from: '2026-11-23T10:00', to: '2026-11-23T11:00' })}#`);
  t.equal(sim(site.gateway, 'lobby').actuator.state(), 'locked');
  t.match(type(site.gateway, 'lobby', '1234'), { reason: 'granted' }, 'stored PINs still work');
});

t.test('a code length that a stored PIN could have is refused in the config', async (t) => {
  for (const length of [8, 4, 13]) {
    t.throws(() => parseConfig({ offlineCodes: { enabled: true, length } }), { code: 'CONFIG_INVALID', message: /offlineCodes\.length/ }, String(length));
  }
  t.throws(() => parseConfig({ offlineCodes: { stay: { checkIn: '24:00', checkOut: '11:00' } } }), { code: 'CONFIG_INVALID', message: /offlineCodes\.stay\.checkIn/ });
});

t.test('in safety-only mode a code opens nothing, like every credential', async (t) => {
  const { siteAfterFirstStart } = await import('../support/brokenSite.js');
  const { writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const site = await siteAfterFirstStart(t, { offlineCodes: { enabled: true } });
  writeFileSync(join(site.dataDir, 'offline-code-secret'), `${SITE_SECRET.toString('hex')}\n`, { mode: 0o600 });
  writeFileSync(site.dbPath, 'not a database, not at all'.repeat(10)); // safety-only mode at the next start
  const g = site.gateway();
  await g.start();
  t.ok(g.safetyOnly, 'safety-only');
  // START is 2026-12-07T12:00Z, 13:00 in Berlin
  const code = issue({ scope: 'door:lobby', from: '2026-12-07T13:00', to: '2026-12-07T14:00' });
  t.match(type(g, 'lobby', code), { type: 'access', grant: false, reason: 'rules_unavailable' });
  t.equal(sim(g, 'lobby').actuator.state(), 'locked');
});
