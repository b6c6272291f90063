import t from 'tap';
import { ManualClock } from '../../../src/kernel/clock.js';
import { SimDoorContact } from '../../../src/hal/sim/simDoorContact.js';
import { SimFireInput } from '../../../src/hal/sim/simFireInput.js';
import { SimRexButton } from '../../../src/hal/sim/simRexButton.js';
import type { SensorInput } from '../../../src/hal/types.js';

function collect(sensor: { on(event: 'change', listener: (input: SensorInput, value: boolean) => void): unknown }): string[] {
  const changes: string[] = [];
  sensor.on('change', (input, value) => changes.push(`${input}=${value}`));
  return changes;
}

t.test('a door contact emits change only on an actual edge', async (t) => {
  const clock = new ManualClock(0);
  const contact = new SimDoorContact({ id: 'lobby-contact', clock });
  const changes = collect(contact);
  t.equal(contact.kind, 'sensor');
  t.equal(contact.input, 'door');
  await contact.start();
  t.equal(contact.value(), false);
  t.same(contact.set(false), { delivered: false, reason: 'no change: already closed' });
  clock.advance(10);
  t.same(contact.set(true), { delivered: true });
  t.same(contact.set(true), { delivered: false, reason: 'no change: already open' });
  t.same(contact.set(false), { delivered: true });
  t.equal(contact.value(), false);
  t.same(changes, ['door=true', 'door=false']);
  t.same(contact.recording, [
    { at: 0, value: false, delivered: false, reason: 'no change: already closed' },
    { at: 10, value: true, delivered: true },
    { at: 10, value: true, delivered: false, reason: 'no change: already open' },
    { at: 10, value: false, delivered: true },
  ]);
});

t.test('value() is undefined while the sensor cannot be read; start() reads the level without an event', async (t) => {
  const contact = new SimDoorContact({ id: 'c', clock: new ManualClock(0), initial: true });
  const changes = collect(contact);
  t.equal(contact.value(), undefined);
  t.same(contact.set(true), { delivered: false, reason: 'not started' });
  await contact.start();
  t.equal(contact.value(), true);
  contact.setOffline('wire cut');
  t.equal(contact.value(), undefined);
  contact.setOnline();
  await contact.stop();
  t.equal(contact.value(), undefined);
  t.same(contact.set(false), { delivered: false, reason: 'stopped' });
  t.same(changes, []);
});

t.test('an edge missed while offline is reported when the sensor is reachable again', async (t) => {
  const contact = new SimDoorContact({ id: 'c', clock: new ManualClock(0) });
  const changes = collect(contact);
  await contact.start();
  contact.setOffline('wire cut');
  t.same(contact.set(true), { delivered: false, reason: 'offline: wire cut' });
  contact.setOnline();
  t.same(changes, ['door=true']);
  contact.setOffline('wire cut');
  contact.set(false);
  contact.set(true);
  contact.setDegraded('bouncing');
  t.same(changes, ['door=true'], 'back to the level listeners know: no event');
  contact.setOnline();
  t.same(changes, ['door=true'], 'degraded to online is not a new read');
});

t.test('set() rejects anything but a boolean', async (t) => {
  const contact = new SimDoorContact({ id: 'c', clock: new ManualClock(0) });
  await contact.start();
  t.throws(() => contact.set('open' as unknown as boolean), { code: 'INPUT_INVALID', details: { field: 'value' } });
  t.same(contact.recording, []);
});

t.test('a REX pulse presses and lets go at once', async (t) => {
  const rex = new SimRexButton({ id: 'lobby-rex', clock: new ManualClock(0) });
  const changes = collect(rex);
  t.equal(rex.input, 'rex');
  await rex.start();
  t.same(rex.pulse(), { delivered: true });
  t.same(changes, ['rex=true', 'rex=false']);
  t.equal(rex.value(), false);
  t.equal(rex.describe(true), 'pressed');
});

t.test('a REX pulse with holdMs lets go after that long on the clock; a new pulse restarts the hold', async (t) => {
  const clock = new ManualClock(0);
  const rex = new SimRexButton({ id: 'lobby-rex', clock });
  const changes = collect(rex);
  await rex.start();
  rex.pulse(500);
  t.equal(rex.value(), true);
  clock.advance(300);
  t.same(rex.pulse(500), { delivered: false, reason: 'no change: already pressed' });
  clock.advance(499);
  t.equal(rex.value(), true);
  clock.advance(1);
  t.equal(rex.value(), false);
  t.same(changes, ['rex=true', 'rex=false']);
  t.throws(() => rex.pulse(-1), { code: 'INPUT_INVALID', details: { field: 'holdMs' } });
  t.throws(() => rex.pulse(0.5), { code: 'INPUT_INVALID' });
});

t.test('stopping while the REX button is held lets go first and leaves no timer', async (t) => {
  const clock = new ManualClock(0);
  const rex = new SimRexButton({ id: 'lobby-rex', clock });
  const changes = collect(rex);
  await rex.start();
  rex.pulse(1000);
  await rex.stop();
  t.same(clock.pending(), []);
  t.same(changes, ['rex=true', 'rex=false']);
  await rex.start();
  await rex.stop();
  t.same(changes, ['rex=true', 'rex=false']);
});

t.test('a fire input raises and clears the alarm; initial level is read at start', async (t) => {
  const fire = new SimFireInput({ id: 'fire', clock: new ManualClock(0), initial: true });
  const changes = collect(fire);
  t.equal(fire.input, 'fire');
  await fire.start();
  t.equal(fire.value(), true);
  t.same(fire.set(true), { delivered: false, reason: 'no change: already alarm' });
  t.same(fire.set(false), { delivered: true });
  t.same(changes, ['fire=false']);
});

t.test('a throwing change listener does not break the sensor', async (t) => {
  const contact = new SimDoorContact({ id: 'c', clock: new ManualClock(0) });
  await contact.start();
  contact.on('change', () => { throw new Error('bug'); });
  const changes = collect(contact);
  t.same(contact.set(true), { delivered: true });
  t.same(changes, ['door=true']);
  t.equal(contact.value(), true);
});
