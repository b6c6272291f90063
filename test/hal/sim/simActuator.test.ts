import t from 'tap';
import { ManualClock } from '../../../src/kernel/clock.js';
import { MAX_UNLOCK_MS, SimActuator } from '../../../src/hal/sim/simActuator.js';
import type { ActuatorState } from '../../../src/hal/types.js';

async function started(options: { failSafe?: boolean } = {}) {
  const clock = new ManualClock(0);
  const lock = new SimActuator({ id: 'lobby-lock', clock, ...options });
  const states: ActuatorState[] = [];
  lock.on('state', (s) => states.push(s));
  await lock.start();
  return { clock, lock, states };
}

t.test('a fail-secure lock is locked and de-energised unpowered; start() keeps it locked', async (t) => {
  const lock = new SimActuator({ id: 'lobby-lock', clock: new ManualClock(0) });
  t.equal(lock.kind, 'actuator');
  t.equal(lock.failSafe, false);
  t.equal(lock.state(), 'locked');
  t.equal(lock.energised(), false);
  await lock.start();
  t.equal(lock.state(), 'locked');
  t.equal(lock.energised(), false);
});

t.test('unlock(ms) releases and re-locks by itself on the clock; every step is recorded', async (t) => {
  const { clock, lock, states } = await started();
  clock.advance(100);
  await lock.unlock(5000);
  t.equal(lock.state(), 'unlocked');
  t.equal(lock.energised(), true, 'a fail-secure strike is energised while released');
  t.equal(lock.relocksAt(), 5100);
  clock.advance(4999);
  t.equal(lock.state(), 'unlocked');
  clock.advance(1);
  t.equal(lock.state(), 'locked');
  t.equal(lock.energised(), false);
  t.equal(lock.relocksAt(), undefined);
  t.same(states, ['unlocked', 'locked']);
  t.same(lock.recording, [
    { at: 0, command: 'start' },
    { at: 100, command: 'unlock', ms: 5000 },
    { at: 5100, command: 'relock' },
  ]);
});

t.test('a second unlock extends the release and never shortens it', async (t) => {
  const { clock, lock, states } = await started();
  await lock.unlock(5000);
  clock.advance(3000);
  await lock.unlock(5000);
  t.equal(lock.relocksAt(), 8000);
  t.same(clock.pending(), [5000], 'one re-lock timer');
  clock.advance(1000);
  await lock.unlock(1000);
  t.equal(lock.relocksAt(), 8000, 'a shorter unlock does not cut the release');
  clock.advance(3999);
  t.equal(lock.state(), 'unlocked');
  clock.advance(1);
  t.equal(lock.state(), 'locked');
  t.same(states, ['unlocked', 'locked'], 'extending emits no state');
  t.same(lock.recording.map((r) => [r.at, r.command]), [[0, 'start'], [0, 'unlock'], [3000, 'unlock'], [4000, 'unlock'], [8000, 'relock']]);
});

t.test('lock() re-locks now and cancels the release timer', async (t) => {
  const { clock, lock, states } = await started();
  await lock.unlock(5000);
  await lock.lock();
  t.equal(lock.state(), 'locked');
  t.same(clock.pending(), []);
  await lock.lock();
  t.same(states, ['unlocked', 'locked']);
});

t.test('hold(true) releases until hold(false); a timed release running at hold(false) still ends on time', async (t) => {
  const { clock, lock, states } = await started();
  await lock.hold(true);
  t.equal(lock.state(), 'unlocked');
  t.same(clock.pending(), [], 'a hold has no timer');
  await lock.unlock(1000);
  clock.advance(1000);
  t.equal(lock.state(), 'unlocked', 'a release ending during a hold does not re-lock');
  await lock.hold(false);
  t.equal(lock.state(), 'locked');
  await lock.hold(true);
  await lock.unlock(2000);
  await lock.hold(false);
  t.equal(lock.state(), 'unlocked', 'the timed release is still running');
  clock.advance(2000);
  t.equal(lock.state(), 'locked');
  t.same(states, ['unlocked', 'locked', 'unlocked', 'locked']);
  t.same(lock.recording.filter((r) => r.command === 'hold').map((r) => r.released), [true, false, true, false]);
  await lock.hold(true);
  await lock.lock();
  t.equal(lock.state(), 'locked', 'lock() ends a hold');
});

t.test('a fail-safe lock is released unpowered and energised while locked', async (t) => {
  const clock = new ManualClock(0);
  const lock = new SimActuator({ id: 'pool-maglock', clock, failSafe: true });
  const states: ActuatorState[] = [];
  lock.on('state', (s) => states.push(s));
  t.equal(lock.failSafe, true);
  t.equal(lock.state(), 'unlocked');
  t.equal(lock.energised(), false);
  await lock.start();
  t.equal(lock.state(), 'locked');
  t.equal(lock.energised(), true);
  await lock.unlock(1000);
  t.equal(lock.energised(), false);
  clock.advance(1000);
  t.equal(lock.energised(), true);
  clock.advance(1000);
  await lock.stop();
  t.equal(lock.state(), 'unlocked', 'unpowered, the maglock releases');
  t.equal(lock.energised(), false);
  t.same(states, ['locked', 'unlocked', 'locked', 'unlocked']);
  t.same(lock.recording.at(-1), { at: 2000, command: 'stop' });
});

t.test('stop() de-energises a released fail-secure strike, cancels its timer and records it', async (t) => {
  const { clock, lock, states } = await started();
  await lock.unlock(5000);
  await lock.hold(true);
  clock.advance(10);
  await lock.stop();
  t.equal(lock.state(), 'locked');
  t.equal(lock.energised(), false);
  t.same(clock.pending(), []);
  t.same(states, ['unlocked', 'locked']);
  t.same(lock.recording.at(-1), { at: 10, command: 'stop' });
  t.match(lock.health(), { state: 'offline', reason: 'stopped' });
  await lock.start();
  t.equal(lock.state(), 'locked');
  t.equal(lock.recording.at(-1)?.command, 'start');
});

t.test('commands to an actuator that is not started, offline or stopped reject DEVICE_OFFLINE and are recorded', async (t) => {
  const clock = new ManualClock(0);
  const lock = new SimActuator({ id: 'lobby-lock', clock });
  await t.rejects(lock.unlock(1000), { code: 'DEVICE_OFFLINE', message: 'actuator lobby-lock is offline: not started' });
  await lock.start();
  await lock.unlock(3000);
  lock.setOffline('relay board not answering');
  await t.rejects(lock.lock(), { code: 'DEVICE_OFFLINE', message: 'actuator lobby-lock is offline: relay board not answering' });
  await t.rejects(lock.hold(true), { code: 'DEVICE_OFFLINE' });
  t.equal(lock.state(), 'unlocked', 'the relay keeps its state');
  clock.advance(3000);
  t.equal(lock.state(), 'locked', 'the running release still ends on time');
  lock.setOnline();
  await lock.stop();
  await t.rejects(lock.unlock(1000), { code: 'DEVICE_OFFLINE', message: /offline: stopped/ });
  t.same(lock.recording.map((r) => [r.command, r.rejected]), [
    ['unlock', 'DEVICE_OFFLINE'],
    ['start', undefined],
    ['unlock', undefined],
    ['lock', 'DEVICE_OFFLINE'],
    ['hold', 'DEVICE_OFFLINE'],
    ['relock', undefined],
    ['stop', undefined],
    ['unlock', 'DEVICE_OFFLINE'],
  ]);
});

t.test('a degraded actuator still carries out commands', async (t) => {
  const { lock } = await started();
  lock.setDegraded('relay contacts worn');
  await lock.unlock(1000);
  t.equal(lock.state(), 'unlocked');
  t.match(lock.health(), { state: 'degraded', reason: 'relay contacts worn' });
});

t.test('failNext(DEVICE_TIMEOUT) rejects the next command, degrades the actuator until a command is confirmed', async (t) => {
  const { lock, states } = await started();
  lock.failNext('DEVICE_TIMEOUT');
  await t.rejects(lock.unlock(1000), { code: 'DEVICE_TIMEOUT', message: /unlock not confirmed in time/ });
  t.equal(lock.state(), 'locked');
  t.match(lock.health(), { state: 'degraded', reason: 'unlock not confirmed in time (simulated)' });
  await lock.unlock(1000);
  t.equal(lock.state(), 'unlocked');
  t.match(lock.health(), { state: 'online', reason: 'simulated' });
  t.same(states, ['unlocked']);
  t.same(lock.recording.slice(1).map((r) => r.rejected), ['DEVICE_TIMEOUT', undefined]);
});

t.test('failNext defaults to a timeout, queues one failure per call, and is not used up by an offline rejection', async (t) => {
  const { lock } = await started();
  lock.failNext();
  lock.failNext('DEVICE_ERROR');
  lock.setOffline('unplugged');
  await t.rejects(lock.lock(), { code: 'DEVICE_OFFLINE' });
  lock.setOnline();
  await t.rejects(lock.lock(), { code: 'DEVICE_TIMEOUT' });
  await t.rejects(lock.lock(), { code: 'DEVICE_ERROR', message: /refused by the relay board/ });
  t.equal(lock.health().state, 'degraded', 'an error does not change health');
  await lock.lock();
  t.equal(lock.health().state, 'online');
});

t.test('an injected timeout does not override a fault set by hand, nor does a confirmed command clear it', async (t) => {
  const { lock } = await started();
  lock.setDegraded('installer says: flaky');
  lock.failNext('DEVICE_TIMEOUT');
  await t.rejects(lock.lock(), { code: 'DEVICE_TIMEOUT' });
  await lock.lock();
  t.match(lock.health(), { state: 'degraded', reason: 'installer says: flaky' });
});

t.test('bad arguments reject INPUT_INVALID and change nothing', async (t) => {
  const { lock, clock } = await started();
  for (const ms of [0, -5, 1.5, Number.NaN, MAX_UNLOCK_MS + 1]) {
    await t.rejects(lock.unlock(ms), { code: 'INPUT_INVALID', details: { field: 'ms' } }, `unlock(${ms})`);
  }
  await t.rejects(lock.hold('yes' as unknown as boolean), { code: 'INPUT_INVALID', details: { field: 'released' } });
  t.equal(lock.state(), 'locked');
  t.same(clock.pending(), []);
  await lock.unlock(MAX_UNLOCK_MS);
  t.equal(lock.relocksAt(), MAX_UNLOCK_MS);
});

t.test('a throwing state listener does not stop the lock from re-locking', async (t) => {
  const { clock, lock } = await started();
  lock.on('state', () => { throw new Error('bug'); });
  await lock.unlock(100);
  clock.advance(100);
  t.equal(lock.state(), 'locked');
});
