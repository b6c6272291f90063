import t, { type Test } from 'tap';
import { pino } from 'pino';
import { ManualClock } from '../../../src/kernel/clock.js';
import { GpiodToolLineSource, type GpiodToolLineSourceOptions } from '../../../src/hal/gpio/gpiodToolLineSource.js';
import type { GpioLineSpec, GpioLineWatch } from '../../../src/hal/gpio/gpioLineSource.js';
import { alive, FakeGpiod, VERSION_2 } from '../../support/fakeGpiod.js';

const SPEC: GpioLineSpec = { chip: '/dev/gpiochip0', line: 17, bias: 'as-is', debounceMs: 20 };

interface Heard {
  events: string[];
  /** resolves at the next event whose text starts with `prefix` (a guard rejects after 10 s) */
  next(prefix: string): Promise<string>;
}

function listen(watch: GpioLineWatch): Heard {
  const events: string[] = [];
  const waiters: { prefix: string; resolve: (e: string) => void }[] = [];
  const push = (event: string) => {
    events.push(event);
    const i = waiters.findIndex((w) => event.startsWith(w.prefix));
    if (i >= 0) waiters.splice(i, 1)[0]!.resolve(event);
  };
  watch.on('level', (high, initial) => push(`${initial ? 'initial' : 'edge'} ${high ? 'high' : 'low'}`));
  watch.on('failed', (reason) => push(`failed: ${reason}`));
  let seen = 0;
  return {
    events,
    next: (prefix) => {
      const found = events.slice(seen).findIndex((e) => e.startsWith(prefix));
      if (found >= 0) {
        seen += found + 1;
        return Promise.resolve(events[seen - 1]!);
      }
      return new Promise((resolve, reject) => {
        const guard = setTimeout(() => reject(new Error(`no '${prefix}' event; heard ${JSON.stringify(events)}`)), 10_000);
        waiters.push({ prefix, resolve: (e) => (clearTimeout(guard), (seen = events.length), resolve(e)) });
      });
    },
  };
}

async function rig(t: Test, options: Partial<GpiodToolLineSourceOptions> = {}) {
  const fake = await new FakeGpiod().start(t);
  const clock = new ManualClock(0);
  const source = new GpiodToolLineSource({ clock, logger: pino({ level: 'silent' }), commands: fake.commands, ...options });
  return { fake, clock, source };
}

t.test('libgpiod 1.6: gpioget then gpiomon with the 1.6 options; edges parsed; garbage counted and dropped; close kills gpiomon', async (t) => {
  const logged: { level: number; msg: string; malformed?: number; line?: string }[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line)) });
  const { fake, source } = await rig(t, { logger });
  fake.getReply = { out: '1\n', exit: 0 };
  const watch = source.watch({ ...SPEC, bias: 'disabled' });
  const heard = listen(watch);
  const mon = await fake.next('gpiomon');
  t.same(fake.runs.map((r) => [r.tool, ...r.args].join(' ')), [
    'gpiomon --version',
    'gpioget -B disable /dev/gpiochip0 17',
    'gpiomon -b -F %o %e -B disable /dev/gpiochip0 17',
  ], '1.6 spells the bias "disable" and has no kernel debounce');
  t.equal(await heard.next('initial'), 'initial high', 'the level gpioget read, once gpiomon runs');
  mon.out('17 0\n');
  t.equal(await heard.next('edge'), 'edge low');
  mon.out('hello\n18 1\n17 2\n' + 'x'.repeat(5000) + '\n17 1\n');
  t.equal(await heard.next('edge'), 'edge high');
  t.same(heard.events, ['initial high', 'edge low', 'edge high'], 'nothing else came through');
  t.equal(watch.counters().malformed, 4, 'another line, a 2.x event type, a 5000-character line and a word');
  const warnings = logged.filter((l) => l.level === 40);
  t.same(warnings.map((w) => [w.malformed, w.line]), [[1, 'hello']], 'the first dropped line is logged, not every one');
  t.ok(alive(mon.pid));
  await watch.close();
  await mon.gone;
  t.notOk(alive(mon.pid), 'gpiomon was killed');
  await watch.close();
});

t.test('libgpiod 2.x: the 2.x options, kernel debounce, the level reported only once the banner says the line is held', async (t) => {
  const { fake, source } = await rig(t);
  fake.versionLine = VERSION_2;
  const watch = source.watch({ ...SPEC, bias: 'pull-up' });
  const heard = listen(watch);
  const mon = await fake.next('gpiomon');
  t.same(fake.runs.slice(1).map((r) => [r.tool, ...r.args].join(' ')), [
    'gpioget --numeric -c /dev/gpiochip0 -b pull-up 17',
    'gpiomon --banner -F %o %e -c /dev/gpiochip0 -b pull-up -p 20ms 17',
  ]);
  mon.out('17 1\n');
  mon.out("Monitoring line '17'...\n");
  t.equal(await heard.next('initial'), 'initial low');
  mon.out('17 1\n17 0\n17 2\n');
  await heard.next('edge');
  await heard.next('edge');
  t.same(heard.events, ['initial low', 'edge high', 'edge low'], 'an edge before the banner and a 1.6 event type were dropped');
  t.equal(watch.counters().malformed, 2);
  await watch.close();
  t.notOk(alive(mon.pid));
});

t.test('a gpiomon that dies is restarted with a doubling backoff on the clock; a reader that ran for stableMs resets it', async (t) => {
  const { fake, clock, source } = await rig(t, { backoffMs: 1000, maxBackoffMs: 4000, stableMs: 60_000 });
  const watch = source.watch(SPEC);
  const heard = listen(watch);
  let mon = await fake.next('gpiomon');
  await heard.next('initial');
  mon.err('gpiomon: error waiting for events: Device or resource busy\n');
  mon.exit(1);
  t.equal(await heard.next('failed'), 'failed: gpiochip0 line 17 is busy: another program holds it (gpioinfo gpiochip0 names it)');
  t.same(clock.pending(), [1000]);
  const delays: number[] = [];
  for (let round = 0; round < 4; round++) {
    const delay = clock.pending()[0]!;
    delays.push(delay);
    clock.advance(delay);
    mon = await fake.next('gpiomon');
    await heard.next('initial');
    mon.exit(1);
    t.equal(await heard.next('failed'), 'failed: gpiomon exited (code 1)');
  }
  t.same(delays, [1000, 2000, 4000, 4000], 'doubling, bounded');
  t.equal(watch.counters().restarts, 4);
  clock.advance(clock.pending()[0]!);
  mon = await fake.next('gpiomon');
  await heard.next('initial');
  clock.advance(60_000);
  mon.exit(0);
  await heard.next('failed');
  t.same(clock.pending(), [1000], 'back to the first step after a long healthy run');
  await watch.close();
  t.same(clock.pending(), [], 'close cancels the retry');
  t.equal(fake.runs.filter((r) => r.args[0] === '--version').length, 1, 'the version was asked once');
});

t.test('a missing tool is a clear reason and is looked for again on the next attempt', async (t) => {
  const { fake, clock } = await rig(t);
  const missing = new GpiodToolLineSource({ clock, logger: pino({ level: 'silent' }), commands: { gpiomon: '/nonexistent/gpiomon', gpioget: fake.commands.gpioget } });
  const watch = missing.watch(SPEC);
  const heard = listen(watch);
  t.equal(await heard.next('failed'), 'failed: /nonexistent/gpiomon not found: apt install gpiod');
  clock.advance(1000);
  t.equal(await heard.next('failed'), 'failed: /nonexistent/gpiomon not found: apt install gpiod');
  t.equal(watch.counters().restarts, 1);
  await watch.close();

  const noGet = new GpiodToolLineSource({ clock, logger: pino({ level: 'silent' }), commands: { gpiomon: fake.commands.gpiomon, gpioget: '/nonexistent/gpioget' } });
  const second = noGet.watch(SPEC);
  t.equal(await listen(second).next('failed'), 'failed: /nonexistent/gpioget not found: apt install gpiod');
  await second.close();
});

t.test('what gpioget says about a missing chip, a missing line, permissions and garbage becomes the reason', async (t) => {
  const { fake, clock, source } = await rig(t);
  fake.versionLine = VERSION_2;
  const cases: [string, number, string][] = [
    ["gpioget: cannot find GPIO chip character device '/dev/gpiochip9'\n", 1, 'gpiochip0 not found: no such GPIO chip (gpiodetect lists them)'],
    ["gpioget: offset 17 is out of range on chip '/dev/gpiochip0'\n", 1, 'gpiochip0 line 17 does not exist (gpioinfo gpiochip0 lists the lines)'],
    ["gpioget: unable to open chip '/dev/gpiochip0': Permission denied\n", 1, 'no permission to open /dev/gpiochip0: add the lockgw user to the gpio group'],
    ['gpioget: something new\u001b[31m\n', 3, 'gpioget exited (code 3): gpioget: something new[31m'],
  ];
  fake.getReply = null;
  const watch = source.watch(SPEC);
  const heard = listen(watch);
  for (const [stderr, code, reason] of cases) {
    const get = await fake.next('gpioget');
    get.err(stderr);
    get.exit(code);
    t.equal(await heard.next('failed'), `failed: ${reason}`);
    clock.advance(clock.pending()[0]!);
  }
  const get = await fake.next('gpioget');
  get.out('"17"=active\n');
  get.exit(0);
  t.equal(await heard.next('failed'), 'failed: gpioget printed no level for /dev/gpiochip0 line 17');
  t.equal(watch.counters().malformed, 1);
  t.same(fake.runs.filter((r) => r.tool === 'gpiomon' && r.args[0] !== '--version'), [], 'gpiomon never ran without a level');
  await watch.close();
});

t.test('a tool that is not libgpiod, or too new, is refused with the reason', async (t) => {
  const { fake, source } = await rig(t);
  fake.versionLine = 'gpiomon 0.1 (gpiocdev)\n';
  const watch = source.watch(SPEC);
  t.equal(await listen(watch).next('failed'), "failed: gpiomon --version printed 'gpiomon 0.1 (gpiocdev)', not a libgpiod version");
  await watch.close();
  fake.versionLine = 'gpiomon (libgpiod) v3.0.0\n';
  const next = source.watch(SPEC);
  t.equal(await listen(next).next('failed'), 'failed: libgpiod v3.0.0 is not supported (1.x and 2.x are)');
  await next.close();
  fake.versionLine = null;
  const hanging = source.watch(SPEC);
  const version = await fake.next('gpiomon');
  version.exit(2);
  t.equal(await listen(hanging).next('failed'), `failed: ${fake.commands.gpiomon} --version failed (exit 2)`);
  await hanging.close();
});

t.test('close kills a gpioget that hangs, and a gpiomon that ignores SIGTERM with SIGKILL after killTimeoutMs', async (t) => {
  const { fake, clock, source } = await rig(t, { killTimeoutMs: 500 });
  fake.getReply = null;
  const watch = source.watch(SPEC);
  const get = await fake.next('gpioget');
  await watch.close();
  await get.gone;
  t.notOk(alive(get.pid), 'gpioget was killed');

  fake.getReply = { out: '0\n', exit: 0 };
  const stubborn = source.watch(SPEC);
  const heard = listen(stubborn);
  const mon = await fake.next('gpiomon');
  await heard.next('initial');
  await mon.ignoreTerm();
  const closing = stubborn.close();
  t.same(clock.pending(), [500]);
  clock.advance(500);
  await closing;
  t.notOk(alive(mon.pid), 'killed with SIGKILL');
  t.same(heard.events, ['initial low'], 'nothing after close');
});

t.test('a gpiomon killed by a signal from elsewhere is reported as such and restarted', async (t) => {
  const { fake, clock, source } = await rig(t);
  const watch = source.watch(SPEC);
  const heard = listen(watch);
  const mon = await fake.next('gpiomon');
  await heard.next('initial');
  process.kill(mon.pid, 'SIGKILL');
  t.equal(await heard.next('failed'), 'failed: gpiomon was killed (SIGKILL)');
  clock.advance(1000);
  await fake.next('gpiomon');
  await heard.next('initial');
  await watch.close();
});
