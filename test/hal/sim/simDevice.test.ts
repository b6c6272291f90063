import t from 'tap';
import { pino, type Logger } from 'pino';
import { once } from 'node:events';
import { ManualClock } from '../../../src/kernel/clock.js';
import { SimCardReader } from '../../../src/hal/sim/simCardReader.js';
import { SimMobileReader } from '../../../src/hal/sim/simMobileReader.js';
import type { Health } from '../../../src/hal/types.js';


/** A pino logger whose lines the test can read. */
function captureLogger(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const written: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void written.push(line) });
  return { logger, lines: () => written.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

t.test('a device is offline "not started" until start(), online "simulated" after, offline "stopped" after stop()', async (t) => {
  const clock = new ManualClock(1000);
  const reader = new SimCardReader({ id: 'lobby-card', clock });
  const seen: Health[] = [];
  reader.on('health', (h) => seen.push(h));
  t.same(reader.health(), { state: 'offline', reason: 'not started', since: 1000 });
  t.equal(reader.kind, 'reader');
  t.equal(reader.id, 'lobby-card');
  clock.advance(500);
  await reader.start();
  await reader.start();
  t.same(reader.health(), { state: 'online', reason: 'simulated', since: 1500 });
  clock.advance(500);
  await reader.stop();
  await reader.stop();
  t.same(reader.health(), { state: 'offline', reason: 'stopped', since: 2000 });
  t.same(seen.map((h) => `${h.state} ${h.reason}`), ['online simulated', 'offline stopped'], 'one health event per change');
  await reader.start();
  t.equal(reader.health().state, 'online', 'a stopped device starts again');
});

t.test('setOffline, setDegraded and setOnline emit health with the reason', async (t) => {
  const clock = new ManualClock(0);
  const reader = new SimMobileReader({ id: 'lobby-mobile', clock });
  await reader.start();
  const seen: string[] = [];
  reader.on('health', (h) => seen.push(`${h.state}: ${h.reason} @${h.since}`));
  clock.advance(10);
  reader.setOffline('bridge unplugged');
  reader.setOffline('bridge unplugged');
  clock.advance(10);
  reader.setDegraded('antenna weak');
  clock.advance(10);
  reader.setOnline();
  reader.setOnline();
  reader.setOffline();
  reader.setDegraded();
  t.same(seen, [
    'offline: bridge unplugged @10',
    'degraded: antenna weak @20',
    'online: simulated @30',
    'offline: simulated fault @30',
    'degraded: simulated degradation @30',
  ]);
  t.same(reader.tap('erin-phone'), { delivered: true }, 'a degraded reader still reads');
});

t.test('a fault injected before start() shows once the device starts', async (t) => {
  const reader = new SimCardReader({ id: 'garage-card', clock: new ManualClock(0) });
  reader.setOffline('no bridge at boot');
  t.equal(reader.health().reason, 'not started');
  await reader.start();
  t.match(reader.health(), { state: 'offline', reason: 'no bridge at boot' });
  reader.setOnline();
  t.match(reader.health(), { state: 'online', reason: 'simulated' });
});

t.test('health() hands out a copy', async (t) => {
  const reader = new SimCardReader({ id: 'r', clock: new ManualClock(0) });
  reader.health().state = 'online';
  t.equal(reader.health().state, 'offline');
});

t.test('start() rejects CONFIG_INVALID for a bad id or record limit, and the device stays offline', async (t) => {
  const clock = new ManualClock(0);
  await t.rejects(new SimCardReader({ id: '', clock }).start(), { code: 'CONFIG_INVALID', details: { field: 'id' } });
  await t.rejects(new SimCardReader({ id: 'a b', clock }).start(), { code: 'CONFIG_INVALID' });
  const bad = new SimCardReader({ id: 'ok', clock, recordLimit: 0 });
  await t.rejects(bad.start(), { code: 'CONFIG_INVALID', details: { field: 'recordLimit' } });
  t.equal(bad.health().reason, 'not started');
});

t.test('a throwing listener is logged with device and event, and the other listeners and the device carry on', async (t) => {
  const { logger, lines } = captureLogger();
  const reader = new SimCardReader({ id: 'lobby-card', clock: new ManualClock(0), logger });
  await reader.start();
  const values: string[] = [];
  reader.on('input', () => { throw new Error('buggy door controller'); });
  reader.on('input', (input) => values.push(input.kind === 'card' ? input.value : ''));
  t.same(reader.present('26:12:34567'), { delivered: true });
  t.same(reader.present('26:12:1001'), { delivered: true });
  t.same(values, ['26:12:34567', '26:12:1001']);
  const errors = lines().filter((l) => l.msg === 'a listener threw; the device carries on');
  t.equal(errors.length, 2);
  t.match(errors[0], { module: 'hal:sim', device: 'lobby-card', event: 'input', err: { message: 'buggy door controller' } });
  t.notMatch(JSON.stringify(lines()), /34567/, 'the card value is never logged');
});

t.test('an async listener that rejects is logged, not left unhandled', async (t) => {
  const { logger, lines } = captureLogger();
  const reader = new SimCardReader({ id: 'lobby-card', clock: new ManualClock(0), logger });
  await reader.start();
  reader.on('input', async () => { throw new Error('async bug'); });
  reader.present('26:12:34567');
  await new Promise((resolve) => setImmediate(resolve));
  t.match(lines().find((l) => l.event === 'input'), { err: { message: 'async bug' } });
});

t.test('a once listener is called once; events.once() works', async (t) => {
  const reader = new SimCardReader({ id: 'r', clock: new ManualClock(0) });
  await reader.start();
  let calls = 0;
  reader.once('input', () => calls++);
  const next = once(reader, 'input');
  reader.present('26:1:1');
  reader.present('26:1:2');
  t.equal(calls, 1);
  t.match((await next)[0], { value: '26:1:1' });
  t.equal(reader.listenerCount('input'), 0);
});

t.test('health changes are logged; the default logger is silent', async (t) => {
  const { logger, lines } = captureLogger();
  const reader = new SimCardReader({ id: 'r', clock: new ManualClock(0), logger });
  await reader.start();
  reader.setOffline('cable cut');
  t.match(lines().map((l) => l.msg), ['simulated', 'cable cut']);
  const quiet = new SimCardReader({ id: 'q', clock: new ManualClock(0) });
  await quiet.start();
  quiet.on('input', () => { throw new Error('ignored'); });
  t.same(quiet.present('26:1:1'), { delivered: true });
});

t.test('the recording is bounded: the oldest entries go, and are counted', async (t) => {
  const reader = new SimMobileReader({ id: 'r', clock: new ManualClock(0), recordLimit: 2 });
  await reader.start();
  reader.tap('a');
  reader.tap('b');
  reader.tap('c');
  t.same(reader.recording.map((r) => r.input.kind === 'mobile' && r.input.value), ['b', 'c']);
  t.equal(reader.recordingDropped(), 1);
  reader.recording.length = 0;
  t.equal(reader.recording.length, 2, 'the recording handed out is a copy');
  reader.clearRecording();
  t.same(reader.recording, []);
  t.equal(reader.recordingDropped(), 0);
});
