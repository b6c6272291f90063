import t from 'tap';
import { once } from 'node:events';
import { pino } from 'pino';
import { ManualClock } from '../../../src/kernel/clock.js';
import { GpioInputSchema } from '../../../src/hal/gpio/gpioConfig.js';
import { GpiodToolLineSource } from '../../../src/hal/gpio/gpiodToolLineSource.js';
import { GpioInput } from '../../../src/hal/gpio/gpioInput.js';
import type { Health } from '../../../src/hal/types.js';
import { alive, FakeGpiod, VERSION_2 } from '../../support/fakeGpiod.js';

function input(fake: FakeGpiod, clock: ManualClock, config: object, commands = fake.commands) {
  const logger = pino({ level: 'silent' });
  return new GpioInput({
    id: 'exit-button',
    input: 'rex',
    config: GpioInputSchema.parse({ chip: 'gpiochip0', line: 27, ...config }),
    source: new GpiodToolLineSource({ clock, logger, commands }),
    clock,
    logger,
  });
}

t.test('a REX button over the libgpiod 2.x tools: pressed and released as change events, stop kills gpiomon', async (t) => {
  const fake = await new FakeGpiod().start(t);
  fake.versionLine = VERSION_2;
  fake.getReply = { out: '1\n', exit: 0 };
  const clock = new ManualClock(0);
  const rex = input(fake, clock, { activeLow: true, bias: 'pull-up', debounceMs: 0 });
  const changes: string[] = [];
  rex.on('change', (which, value) => changes.push(`${which}=${value}`));
  const starting = rex.start();
  const mon = await fake.next('gpiomon');
  t.same(mon.args, ['--banner', '-F', '%o %e', '-c', '/dev/gpiochip0', '-b', 'pull-up', '27']);
  mon.out("Monitoring line '27'...\n");
  await starting;
  t.match(rex.health(), { state: 'online', reason: 'reading gpiochip0 line 27' });
  t.equal(rex.value(), false, 'pulled high, active low: released');
  mon.out('27 2\n');
  await once(rex, 'change');
  mon.out('27 1\n');
  await once(rex, 'change');
  t.same(changes, ['rex=true', 'rex=false']);
  await rex.stop();
  await mon.gone;
  t.notOk(alive(mon.pid));
  t.match(rex.health(), { state: 'offline', reason: 'stopped' });
});

t.test('the installer sees why: no tools installed, then a busy line, then reading once it is free', async (t) => {
  const fake = await new FakeGpiod().start(t);
  const clock = new ManualClock(0);
  const rex = input(fake, clock, {}, { gpioget: '/nonexistent/gpioget', gpiomon: '/nonexistent/gpiomon' });
  await rex.start();
  t.match(rex.health(), { state: 'offline', reason: '/nonexistent/gpiomon not found: apt install gpiod' });
  t.equal(rex.value(), undefined);
  await rex.stop();

  const busy = input(fake, clock, {});
  const health: Health[] = [];
  busy.on('health', (h) => health.push(h));
  fake.getReply = { err: 'gpioget: error reading GPIO values: Device or resource busy\n', exit: 1 };
  await busy.start();
  t.match(busy.health(), { state: 'offline', reason: 'gpiochip0 line 27 is busy: another program holds it (gpioinfo gpiochip0 names it)' });
  fake.getReply = { out: '0\n', exit: 0 };
  const online = once(busy, 'health');
  clock.advance(1000);
  await online;
  t.match(busy.health(), { state: 'online' });
  t.equal(busy.value(), false);
  await busy.stop();
  t.same(health.map((h) => h.state), ['offline', 'online', 'offline']);
});
