import t from 'tap';
import { pino } from 'pino';
import { ManualClock } from '../../../src/kernel/clock.js';
import { GpioInputSchema, type GpioInputConfig } from '../../../src/hal/gpio/gpioConfig.js';
import { GpioInput } from '../../../src/hal/gpio/gpioInput.js';
import type { SensorInput } from '../../../src/hal/types.js';
import { EmulatedGpioLines } from '../../support/emulatedGpioLines.js';

const CHIP = 'gpiochip0';

function rig(config: Partial<GpioInputConfig> & { line: number }, input: SensorInput = 'door') {
  const clock = new ManualClock(1_000);
  const lines = new EmulatedGpioLines();
  const sensor = new GpioInput({
    id: `${input}-1`,
    input,
    config: GpioInputSchema.parse({ chip: CHIP, ...config }),
    source: lines,
    clock,
    logger: pino({ level: 'silent' }),
  });
  const changes: string[] = [];
  sensor.on('change', (which, value) => changes.push(`${which}=${value}`));
  return { clock, lines, sensor, changes };
}

t.test('before start the input reads nothing; start reads the level without a change; stop releases the line', async (t) => {
  const { lines, sensor, changes } = rig({ line: 17 });
  lines.drive(CHIP, 17, true);
  t.equal(sensor.kind, 'sensor');
  t.equal(sensor.input, 'door');
  t.equal(sensor.value(), undefined);
  t.same(sensor.health().reason, 'not started');
  await sensor.start();
  t.equal(sensor.value(), true, 'high, active-high: open');
  t.match(sensor.health(), { state: 'online', reason: 'reading gpiochip0 line 17' });
  t.equal(sensor.wiringFault(), null, 'GPIO inputs are unsupervised');
  t.same(changes, []);
  await sensor.stop();
  t.equal(lines.openWatches(), 0, 'the watch was closed');
  t.equal(sensor.value(), undefined);
  t.match(sensor.health(), { state: 'offline', reason: 'stopped' });
  lines.drive(CHIP, 17, false);
  t.same(changes, [], 'nothing after stop');
});

t.test('activeLow inverts: a low line is an open door, a high one a closed door', async (t) => {
  const { clock, lines, sensor, changes } = rig({ line: 4, activeLow: true, debounceMs: 10 });
  lines.drive(CHIP, 4, true);
  await sensor.start();
  t.equal(sensor.value(), false, 'high, active-low: closed');
  lines.drive(CHIP, 4, false);
  clock.advance(10);
  t.equal(sensor.value(), true);
  lines.drive(CHIP, 4, true);
  clock.advance(10);
  t.same(changes, ['door=true', 'door=false']);
});

t.test('the bias reaches the line source: a NO button on a pulled-up line reads released until pressed to ground', async (t) => {
  const { clock, lines, sensor, changes } = rig({ line: 27, activeLow: true, bias: 'pull-up', debounceMs: 30 }, 'rex');
  await sensor.start();
  t.same(lines.watched, [{ chip: '/dev/gpiochip0', line: 27, bias: 'pull-up', debounceMs: 30 }], 'chip path, offset, bias and kernel debounce passed on');
  t.equal(sensor.value(), false, 'the open contact is pulled high: released');
  lines.drive(CHIP, 27, false);
  clock.advance(30);
  t.same(changes, ['rex=true']);
  lines.drive(CHIP, 27, 'open');
  clock.advance(30);
  t.same(changes, ['rex=true', 'rex=false']);
});

t.test('without the pull-up the same open contact reads low, i.e. pressed: the bias matters', async (t) => {
  const { lines, sensor } = rig({ line: 27, activeLow: true }, 'rex');
  await sensor.start();
  t.equal(lines.watched[0]!.bias, 'as-is');
  t.equal(sensor.value(), true);
});

t.test('debounce: a new level counts only after it held debounceMs', async (t) => {
  const { clock, lines, sensor, changes } = rig({ line: 5, debounceMs: 20 });
  lines.drive(CHIP, 5, false);
  await sensor.start();
  lines.drive(CHIP, 5, true);
  clock.advance(19);
  t.same(changes, [], 'not yet');
  t.equal(sensor.value(), false, 'value() is the debounced level');
  clock.advance(1);
  t.same(changes, ['door=true']);
  t.equal(sensor.value(), true);
});

t.test('debounce: bounces shorter than debounceMs never reach change', async (t) => {
  const { clock, lines, sensor, changes } = rig({ line: 5, debounceMs: 20 });
  lines.drive(CHIP, 5, false);
  await sensor.start();
  // a contact chattering every 5 ms for 60 ms, ending where it started
  for (let i = 0; i < 12; i++) {
    lines.drive(CHIP, 5, i % 2 === 0);
    clock.advance(5);
  }
  clock.advance(100);
  t.same(changes, [], 'it ended closed: no edge at all');
  // chattering that ends open: one change, debounceMs after the last bounce
  for (let i = 0; i < 7; i++) {
    lines.drive(CHIP, 5, i % 2 === 0);
    clock.advance(i === 6 ? 0 : 5);
  }
  clock.advance(19);
  t.same(changes, []);
  clock.advance(1);
  t.same(changes, ['door=true']);
  lines.bounce(CHIP, 5, 4);
  clock.advance(100);
  t.same(changes, ['door=true'], 'an even number of bounces in no time: nothing');
});

t.test('debounceMs 0 reports every edge at once', async (t) => {
  const { lines, sensor, changes, clock } = rig({ line: 6, debounceMs: 0 }, 'fire');
  lines.drive(CHIP, 6, false);
  await sensor.start();
  lines.drive(CHIP, 6, true);
  lines.drive(CHIP, 6, false);
  t.same(changes, ['fire=true', 'fire=false']);
  t.same(clock.pending(), [], 'no timer');
});

t.test('a failing line is offline with the source reason, and reports a change that happened meanwhile when it reads again', async (t) => {
  const { clock, lines, sensor, changes } = rig({ line: 17, debounceMs: 20 });
  const health: string[] = [];
  sensor.on('health', (h) => health.push(`${h.state}: ${h.reason}`));
  lines.drive(CHIP, 17, false);
  await sensor.start();
  lines.drive(CHIP, 17, true);
  clock.advance(10);
  lines.fail(CHIP, 17, 'gpiochip0 line 17 is busy: another program holds it');
  clock.advance(50);
  t.same(changes, [], 'a debounce in progress does not finish while the line cannot be read');
  t.equal(sensor.value(), undefined);
  t.match(sensor.health(), { state: 'offline', reason: 'gpiochip0 line 17 is busy: another program holds it', since: 1_010 });
  lines.recover(CHIP, 17);
  t.same(changes, ['door=true'], 'the door opened while offline: reported on the re-read');
  t.equal(sensor.value(), true);
  lines.fail(CHIP, 17, 'gpiomon exited (code 1)');
  lines.recover(CHIP, 17);
  t.same(changes, ['door=true'], 'same level after recovery: no change');
  t.same(health, [
    'online: reading gpiochip0 line 17',
    'offline: gpiochip0 line 17 is busy: another program holds it',
    'online: reading gpiochip0 line 17',
    'offline: gpiomon exited (code 1)',
    'online: reading gpiochip0 line 17',
  ]);
});

t.test('a line that fails from the start: start resolves offline with the reason', async (t) => {
  const { lines, sensor } = rig({ line: 40 });
  lines.fail(CHIP, 40, 'gpiomon not found: apt install gpiod');
  await sensor.start();
  t.match(sensor.health(), { state: 'offline', reason: 'gpiomon not found: apt install gpiod' });
  t.equal(sensor.value(), undefined);
  lines.recover(CHIP, 40);
  t.equal(sensor.health().state, 'online');
  t.equal(sensor.value(), false);
});

t.test('a source that says nothing: start resolves offline after startTimeoutMs', async (t) => {
  const { clock, lines, sensor } = rig({ line: 9 });
  lines.mute(CHIP, 9);
  const started = sensor.start();
  clock.advance(5_000);
  await started;
  t.match(sensor.health(), { state: 'offline', reason: 'no reading from gpiochip0 line 9 within 5000 ms' });
  lines.recover(CHIP, 9);
  t.equal(sensor.health().state, 'online', 'it reads once the source does');
});

t.test('a bad config is CONFIG_INVALID naming the field; start twice is one watch', async (t) => {
  const lines = new EmulatedGpioLines();
  const base = { id: 'c', input: 'door' as const, source: lines, clock: new ManualClock(0), logger: pino({ level: 'silent' }) };
  const bad = new GpioInput({ ...base, config: { chip: 'gpiochip0', line: 5000, activeLow: false, bias: 'as-is', debounceMs: 20 } });
  await t.rejects(bad.start(), { code: 'CONFIG_INVALID', details: { field: 'line' }, message: /GPIO input c: line/ });
  const sysfs = new GpioInput({ ...base, config: { chip: '/sys/class/gpio/gpio17', line: 1, activeLow: false, bias: 'as-is', debounceMs: 20 } });
  await t.rejects(sysfs.start(), { code: 'CONFIG_INVALID', details: { field: 'chip' }, message: /character device/ });
  const good = new GpioInput({ ...base, config: GpioInputSchema.parse({ chip: '/dev/gpiochip1', line: 3 }) });
  await good.start();
  await good.start();
  t.equal(lines.openWatches(), 1);
  t.equal(lines.watched[0]!.chip, '/dev/gpiochip1');
  await good.stop();
  await good.stop();
  t.equal(lines.openWatches(), 0);
});

t.test('the config schema: defaults, and every key checked', async (t) => {
  t.same(GpioInputSchema.parse({ chip: 'gpiochip0', line: 17 }), { chip: 'gpiochip0', line: 17, activeLow: false, bias: 'as-is', debounceMs: 20 });
  for (const bad of [
    { chip: 'gpiochip0', line: 17, debounceMs: 1001 },
    { chip: 'gpiochip0', line: -1 },
    { chip: 'gpiochip0', line: 1.5 },
    { chip: 'gpiochip0', line: 17, bias: 'pull-sideways' },
    { chip: 'gpiochipX', line: 17 },
    { chip: 'gpiochip0', line: 17, pin: 11 },
  ]) {
    t.notOk(GpioInputSchema.safeParse(bad).success, JSON.stringify(bad));
  }
});
