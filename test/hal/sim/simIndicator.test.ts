import t from 'tap';
import { ManualClock } from '../../../src/kernel/clock.js';
import { SimIndicator } from '../../../src/hal/sim/simIndicator.js';
import type { IndicatorPattern } from '../../../src/hal/types.js';

t.test('an indicator is off unpowered, idle after start, and shows what it is told', async (t) => {
  const clock = new ManualClock(0);
  const led = new SimIndicator({ id: 'lobby-led', clock });
  t.equal(led.kind, 'indicator');
  t.equal(led.current(), 'off');
  await led.start();
  t.equal(led.current(), 'idle');
  clock.advance(20);
  await led.show('granted');
  t.equal(led.current(), 'granted');
  clock.advance(3000);
  await led.show('idle');
  t.same(led.recording, [
    { at: 20, pattern: 'granted', delivered: true },
    { at: 3020, pattern: 'idle', delivered: true },
  ]);
  await led.stop();
  t.equal(led.current(), 'off');
});

t.test('show() on an indicator that is offline or not started records and resolves; the LED does not change', async (t) => {
  const led = new SimIndicator({ id: 'lobby-led', clock: new ManualClock(0) });
  await led.show('denied');
  await led.start();
  led.setOffline('reader cable cut');
  await led.show('alarm');
  t.equal(led.current(), 'idle');
  t.same(led.recording, [
    { at: 0, pattern: 'denied', delivered: false, reason: 'not started' },
    { at: 0, pattern: 'alarm', delivered: false, reason: 'offline: reader cable cut' },
  ]);
});

t.test('show() rejects a pattern that does not exist', async (t) => {
  const led = new SimIndicator({ id: 'lobby-led', clock: new ManualClock(0) });
  await led.start();
  await t.rejects(led.show('disco' as IndicatorPattern), { code: 'INPUT_INVALID', message: /unknown pattern "disco"/ });
  t.same(led.recording, []);
});
