import t from 'tap';
import { doorFixture } from '../support/doorFixture.js';

/** lets rejected device commands reach their handlers (promise callbacks, not a timer) */
const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

t.test('a remote unlock releases for its time, then re-locks by itself; act before record', async (t) => {
  const f = await doorFixture(t);
  let journalAtUnlock = -1;
  f.sim.actuator.on('state', (s) => { if (s === 'unlocked') journalAtUnlock = f.journal.length; });
  const before = f.journal.length;
  f.door.remoteUnlock(10_000, 'cloud command c-1');
  t.equal(f.sim.actuator.state(), 'unlocked');
  t.equal(journalAtUnlock, before, 'the strike was released before the event was journaled');
  t.match(f.journal.at(-1), { type: 'access', doorId: 'lobby', grant: true, reason: 'remote_unlock', data: { ms: 10_000, reason: 'cloud command c-1' } });
  t.equal(f.sim.indicator.current(), 'granted');
  f.clock.advance(9_999);
  t.equal(f.sim.actuator.state(), 'unlocked');
  f.clock.advance(1);
  t.equal(f.sim.actuator.state(), 'locked');
});

t.test('opening during a remote unlock is not forced; after it ended, it is', async (t) => {
  const f = await doorFixture(t);
  const reasons = () => f.journal.map((e) => e.reason);
  f.door.remoteUnlock(20_000, 'delivery');
  f.clock.advance(5_000);
  f.sim.contact.set(true);
  t.notOk(reasons().includes('forced_open'), 'the forced-open alarm is masked like after a grant');
  f.sim.contact.set(false);
  t.equal(f.sim.actuator.state(), 'locked', 're-locks as soon as the door closes after the opening');
  f.clock.advance(20_000);
  f.sim.contact.set(true);
  t.ok(reasons().includes('forced_open'), 'once the unlock is over, an opening is forced');
});

t.test('a shorter remote unlock never cuts a running pulse short; a longer one extends it', async (t) => {
  const f = await doorFixture(t);
  f.sim.rex.pulse(); // the door's own 5 s pulse
  f.door.remoteUnlock(1_000, 'short');
  f.clock.advance(1_000);
  t.equal(f.sim.actuator.state(), 'unlocked', 'the REX pulse still runs');
  f.clock.advance(4_000);
  t.equal(f.sim.actuator.state(), 'locked', 'and ends on time');

  f.sim.rex.pulse();
  f.door.remoteUnlock(12_000, 'long');
  f.clock.advance(5_000);
  t.equal(f.sim.actuator.state(), 'unlocked', 'the remote unlock outlasts the pulse');
  f.clock.advance(7_000);
  t.equal(f.sim.actuator.state(), 'locked');
});

t.test('in passage a short remote unlock does not re-lock the door that stands open', async (t) => {
  const f = await doorFixture(t, { passage: { scheduleId: 'business-hours' } });
  f.world.passageOpen = true;
  f.door.refreshRules();
  t.equal(f.door.mode(), 'passage');
  t.equal(f.sim.actuator.state(), 'unlocked');
  f.door.remoteUnlock(1_000, 'while in passage');
  f.clock.advance(2_000);
  t.equal(f.sim.actuator.state(), 'unlocked', 'still held open by passage');
  t.match(f.journal.at(-1), { reason: 'remote_unlock', grant: true }, 'journaled all the same');
});

t.test('a locked-down door refuses a remote unlock with UNAVAILABLE and stays locked', async (t) => {
  const f = await doorFixture(t);
  f.door.setLockdown(true);
  const before = f.journal.length;
  t.throws(() => f.door.remoteUnlock(5_000, 'x'), { code: 'UNAVAILABLE', message: /locked down/ });
  t.equal(f.sim.actuator.state(), 'locked');
  t.equal(f.journal.length, before, 'nothing journaled for a refused unlock');
  f.door.setLockdown(false);
  f.door.remoteUnlock(5_000, 'x');
  t.equal(f.sim.actuator.state(), 'unlocked', 'accepted once the lockdown is lifted');
});

t.test('an offline actuator refuses a remote unlock with UNAVAILABLE', async (t) => {
  const f = await doorFixture(t);
  f.sim.actuator.setOffline('relay board unplugged');
  t.throws(() => f.door.remoteUnlock(5_000, 'x'), { code: 'UNAVAILABLE', message: /relay board unplugged/ });
  t.equal(f.sim.actuator.state(), 'locked');
});

t.test('in fire release the door is already open: the remote unlock succeeds without moving anything', async (t) => {
  const f = await doorFixture(t);
  f.door.setLockdown(true);
  f.door.setFire(true);
  t.equal(f.door.mode(), 'fire', 'fire release is stronger than lockdown');
  const commands = f.sim.actuator.recording.length;
  f.door.remoteUnlock(1_000, 'during a fire alarm');
  t.equal(f.sim.actuator.recording.length, commands, 'no actuator command');
  f.clock.advance(5_000);
  t.equal(f.sim.actuator.state(), 'unlocked');
  t.match(f.journal.at(-1), { reason: 'remote_unlock', data: { ms: 1_000 } });
});

t.test('a remote unlock needs a positive whole number of milliseconds and a running door', async (t) => {
  const f = await doorFixture(t);
  for (const ms of [0, -1, 1.5, Number.NaN]) {
    t.throws(() => f.door.remoteUnlock(ms, 'x'), { code: 'INPUT_INVALID' }, `refuses ${ms}`);
  }
  await f.door.stop();
  t.throws(() => f.door.remoteUnlock(1_000, 'x'), { code: 'UNAVAILABLE' });
  t.equal(f.sim.actuator.state(), 'locked');
});

t.test('an unlock the actuator does not confirm is journaled as actuator_failed', async (t) => {
  const f = await doorFixture(t);
  f.sim.actuator.failNext('DEVICE_TIMEOUT');
  f.door.remoteUnlock(5_000, 'x');
  await settled();
  t.equal(f.sim.actuator.state(), 'locked');
  t.match(f.journal.find((e) => e.reason === 'actuator_failed'), { type: 'alarm', data: { code: 'DEVICE_TIMEOUT', why: 'remote unlock' } });
});
