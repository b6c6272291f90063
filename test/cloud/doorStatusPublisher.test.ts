import t from 'tap';
import { pino } from 'pino';
import { ManualClock } from '../../src/kernel/clock.js';
import { DoorStatusPublisher } from '../../src/cloud/doorStatusPublisher.js';
import { DoorStatusSchema, type DoorStatusMessage } from '../../src/wire/messages.js';
import type { DoorStatus } from '../../src/doors/doorController.js';

const NOW = Date.parse('2026-11-23T09:00:00Z');

function doorStatus(doorId: string, overrides: Partial<DoorStatus> = {}): DoorStatus {
  const online = { state: 'online' as const, reason: 'simulated', since: NOW - 1000 };
  return {
    doorId, mode: 'normal', actuator: 'locked', open: false, alarms: [],
    health: { state: 'online', reason: 'all devices online', since: NOW - 1000 },
    devices: { [`${doorId}-card`]: online, [`${doorId}-lock`]: online },
    ...overrides,
  };
}

async function setup(t: { teardown(fn: () => unknown): void }, options: { minIntervalMs?: number; refreshMs?: number } = {}) {
  const clock = new ManualClock(NOW);
  const doors = new Map<string, DoorStatus>([['lobby', doorStatus('lobby')], ['garage', doorStatus('garage')]]);
  const published: DoorStatusMessage[] = [];
  const link = { up: true };
  const publisher = new DoorStatusPublisher({
    clock,
    logger: pino({ level: 'silent' }),
    read: () => [...doors.values()],
    publish: async (message) => {
      if (!link.up) throw new Error('not connected');
      published.push(DoorStatusSchema.parse(message)); // every message must be a valid door_status
    },
    ...options,
  });
  await publisher.start();
  t.teardown(() => publisher.stop());
  const set = (doorId: string, overrides: Partial<DoorStatus>) => doors.set(doorId, { ...doors.get(doorId)!, ...overrides });
  const ids = () => published.map((m) => m.doorId);
  /** lets the publish promises settle (promise callbacks, not a timer) */
  const settled = () => new Promise<void>((resolve) => setImmediate(resolve));
  return { clock, doors, published, link, publisher, set, ids, settled };
}

t.test('onConnected publishes every door, converted to a valid door_status stamped now', async (t) => {
  const { publisher, published, clock, set } = await setup(t);
  set('lobby', { open: undefined, alarms: ['forced_open'], mode: 'lockdown' });
  clock.advance(500);
  publisher.onConnected();
  t.equal(published.length, 2);
  t.same(published[0], {
    doorId: 'lobby', at: NOW + 500, mode: 'lockdown', actuator: 'locked', alarms: ['forced_open'],
    health: { state: 'online', reason: 'all devices online', since: NOW - 1000 },
    devices: { 'lobby-card': { state: 'online', reason: 'simulated', since: NOW - 1000 }, 'lobby-lock': { state: 'online', reason: 'simulated', since: NOW - 1000 } },
  }, 'no open field for a door without a position sensor');
  t.equal(published[1]!.open, false);
});

t.test('poke publishes only the doors that changed; time churn is no change', async (t) => {
  const { publisher, published, clock, set, ids } = await setup(t);
  publisher.onConnected();
  clock.advance(5_000);
  publisher.poke();
  t.equal(published.length, 2, 'nothing changed');
  set('lobby', { health: { state: 'offline', reason: 'no reader online', since: clock.now() } });
  publisher.poke();
  t.same(ids(), ['lobby', 'garage', 'lobby']);
  clock.advance(5_000);
  set('lobby', { health: { state: 'offline', reason: 'no reader online', since: clock.now() } });
  publisher.poke();
  t.equal(published.length, 3, 'a since that moves on every read is not a change');
  set('garage', { alarms: ['held_open', 'forced_open'] });
  publisher.poke();
  set('garage', { alarms: ['forced_open', 'held_open'] });
  clock.advance(5_000);
  publisher.poke();
  t.same(ids(), ['lobby', 'garage', 'lobby', 'garage'], 'alarm order is no change');
});

t.test('a burst of changes is coalesced: one publish per door per interval, and the last change goes out', async (t) => {
  const { publisher, published, clock, set } = await setup(t, { minIntervalMs: 1_000 });
  publisher.onConnected();
  const lobby = () => published.filter((m) => m.doorId === 'lobby');
  clock.advance(1_000);
  set('lobby', { actuator: 'unlocked' });
  publisher.poke();
  t.equal(lobby().at(-1)!.actuator, 'unlocked', 'the first change goes out at once');
  clock.advance(100);
  set('lobby', { open: true });
  publisher.poke();
  clock.advance(100);
  set('lobby', { open: false, actuator: 'locked' });
  publisher.poke();
  t.equal(lobby().length, 2, 'held back inside the interval');
  clock.advance(799);
  t.equal(lobby().length, 2);
  clock.advance(1);
  t.equal(lobby().length, 3, 'published when the interval ends');
  t.match(lobby().at(-1), { open: false, actuator: 'locked', at: NOW + 2_000 }, 'with the last state of the burst');
  t.equal(published.filter((m) => m.doorId === 'garage').length, 1, 'the other door was not published');
});

t.test('a held-back change that was undone is not published', async (t) => {
  const { publisher, published, clock, set } = await setup(t);
  publisher.onConnected();
  set('lobby', { open: true });
  publisher.poke();
  set('lobby', { open: false });
  clock.advance(1_000);
  t.equal(published.length, 2, 'back to what the cloud already has');
});

t.test('a failed publish never throws out of poke and is republished on the next connect', async (t) => {
  const { publisher, published, link, set, settled, clock, ids } = await setup(t);
  publisher.onConnected();
  link.up = false;
  set('lobby', { mode: 'fire', actuator: 'unlocked' });
  t.doesNotThrow(() => publisher.poke());
  await settled();
  clock.advance(5_000);
  publisher.poke();
  await settled();
  t.equal(published.length, 2, 'nothing got through');
  link.up = true;
  publisher.onConnected();
  t.same(ids().slice(2), ['lobby', 'garage']);
  t.match(published[2], { mode: 'fire', actuator: 'unlocked' });
});

t.test('a publish function that throws synchronously or a read that fails is contained', async (t) => {
  const clock = new ManualClock(NOW);
  let failRead = false;
  const publisher = new DoorStatusPublisher({
    clock,
    logger: pino({ level: 'silent' }),
    read: () => { if (failRead) throw new Error('doors stopped'); return [doorStatus('lobby')]; },
    publish: () => { throw new Error('bug'); },
  });
  await publisher.start();
  t.teardown(() => publisher.stop());
  t.doesNotThrow(() => publisher.onConnected());
  failRead = true;
  t.doesNotThrow(() => publisher.poke());
  t.doesNotThrow(() => clock.advance(300_000));
});

t.test('every door is published again every refreshMs', async (t) => {
  const { published, clock } = await setup(t, { refreshMs: 60_000 });
  clock.advance(59_999);
  t.equal(published.length, 0);
  clock.advance(1);
  t.equal(published.length, 2);
  clock.advance(60_000);
  t.equal(published.length, 4);
  t.equal(published[3]!.at, NOW + 120_000);
});

t.test('a new door is published on the first poke; a removed door is forgotten', async (t) => {
  const { publisher, doors, clock, ids } = await setup(t);
  publisher.onConnected();
  doors.set('pool', doorStatus('pool'));
  publisher.poke();
  t.same(ids(), ['lobby', 'garage', 'pool']);
  doors.delete('pool');
  publisher.poke();
  doors.set('pool', doorStatus('pool'));
  clock.advance(10);
  publisher.poke();
  t.same(ids(), ['lobby', 'garage', 'pool', 'pool'], 'a door that came back is new again');
});

t.test('nothing is published while stopped; stop() cancels held-back changes and the refresh', async (t) => {
  const { publisher, published, clock, set } = await setup(t);
  publisher.onConnected();
  set('lobby', { open: true });
  publisher.poke();
  set('lobby', { open: false, alarms: ['held_open'] });
  publisher.poke();
  await publisher.stop();
  t.same(clock.pending(), []);
  publisher.poke();
  publisher.onConnected();
  clock.advance(600_000);
  t.equal(published.length, 2, 'the held-back change and the refresh were cancelled');
  await publisher.start();
  await publisher.start();
  t.same(clock.pending(), [300_000], 'one refresh timer');
});
