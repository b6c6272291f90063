/** One door's commissioning hooks on simulated devices: the door test pulse and learn mode (doorLearning.ts). */
import t from 'tap';
import type { LearnedCredential, LearnEnd } from '../../src/doors/doorLearning.js';
import { doorFixture } from '../support/doorFixture.js';

const alice = { uid: 1000, user: 'alice' };

function listener() {
  const learned: LearnedCredential[] = [];
  const ended: LearnEnd[] = [];
  return { learned, ended, report: { learned: (c: LearnedCredential) => learned.push(c), ended: (r: LearnEnd) => ended.push(r) } };
}

t.test('a test pulse releases the strike for its time and re-locks; opening during it is not forced', async (t) => {
  const f = await doorFixture(t);
  t.same(f.door.testPulse(2000, alice, false), { released: true, note: 'released for 2000 ms' });
  t.equal(f.sim.actuator.state(), 'unlocked');
  f.sim.contact.set(true);
  t.notOk(f.journal.some((e) => e.reason === 'forced_open'));
  f.sim.contact.set(false);
  f.clock.advance(2000);
  t.equal(f.sim.actuator.state(), 'locked');
  t.match(f.journal.find((e) => e.reason === 'door_test'), { type: 'access', grant: true, data: { ms: 2000, mode: 'normal', forced: false, uid: 1000, user: 'alice' } });
});

t.test('a test pulse in passage mode moves nothing and says so', async (t) => {
  const f = await doorFixture(t, { passage: { scheduleId: 'office' } });
  f.world.passageOpen = true;
  f.door.refreshRules();
  t.match(f.door.testPulse(2000, alice, false), { released: false, note: /passage mode/ });
});

t.test('a test pulse in lockdown is refused unless forced, and then journaled as forced', async (t) => {
  const f = await doorFixture(t);
  f.door.setLockdown(true);
  t.throws(() => f.door.testPulse(2000, alice, false), { code: 'UNAVAILABLE', message: /locked down/ });
  t.equal(f.sim.actuator.state(), 'locked');
  t.notOk(f.journal.some((e) => e.reason === 'door_test'));
  t.match(f.door.testPulse(2000, alice, true), { released: true, note: /forced/ });
  t.match(f.journal.find((e) => e.reason === 'door_test'), { data: { forced: true, mode: 'lockdown' } });
});

t.test('learn mode takes the first unknown card, denies it as usual, and ends', async (t) => {
  const f = await doorFixture(t);
  const l = listener();
  f.door.startLearning(60_000, alice, l.report);
  f.sim.cardReader.present('26:5:678');
  f.sim.cardReader.present('26:5:679');
  t.same(l.learned, [{ kind: 'card', value: '26:5:678' }], 'one capture: the second card is not learned');
  t.same(l.ended, ['learned']);
  t.equal(f.sim.actuator.state(), 'locked', 'the door did not open');
  t.same(f.journal.map((e) => e.reason), ['learn_started', 'unknown_credential', 'learn_captured', 'learn_ended', 'unknown_credential']);
  t.notMatch(JSON.stringify(f.journal), /678/);
});

t.test('learn mode: one at a time per door; it ends at its deadline and when the door stops', async (t) => {
  const f = await doorFixture(t);
  const first = listener();
  f.door.startLearning(10_000, alice, first.report);
  t.throws(() => f.door.startLearning(10_000, { uid: 0, user: 'root' }, listener().report), { code: 'UNAVAILABLE', message: /already in learn mode \(started by uid 1000 alice\)/ });
  f.clock.advance(10_000);
  t.same(first.ended, ['timeout']);
  const second = listener();
  const cancel = f.door.startLearning(10_000, alice, second.report);
  cancel();
  cancel();
  t.same(second.ended, ['cancelled'], 'cancelled once');
  const third = listener();
  f.door.startLearning(10_000, alice, third.report);
  await f.door.stop();
  t.same(third.ended, ['stopped']);
  t.throws(() => f.door.startLearning(10_000, alice, listener().report), { code: 'UNAVAILABLE', message: /not running/ });
  t.match(f.journal.filter((e) => e.reason === 'learn_ended').map((e) => e.data?.why), ['timeout', 'cancelled', 'stopped']);
});

t.test('learn mode takes a keypad code when it is submitted, not the keys before', async (t) => {
  const f = await doorFixture(t);
  const l = listener();
  f.door.startLearning(60_000, alice, l.report);
  f.sim.keypad.press('24');
  t.same(l.learned, []);
  f.sim.keypad.press('68#');
  t.same(l.learned, [{ kind: 'pin', value: '2468' }]);
});
