import t from 'tap';
import { once } from 'node:events';
import { pino } from 'pino';
import { SerialPortMock } from 'serialport';
import { SerialLink } from '../../../src/hal/serial/serialLink.js';
import { ManualClock } from '../../../src/kernel/clock.js';
import { ptyPair, socatAvailable } from '../../support/ptyPair.js';

const logger = pino({ level: 'silent' });

t.test('bytes cross a real pseudo-terminal pair both ways', { skip: !socatAvailable() && 'socat is not installed (apt-get install socat)' }, async (t) => {
  const pty = await ptyPair(t);
  const clock = new ManualClock(0);
  const driver = new SerialLink({ path: pty.a, baudRate: 115200, clock, logger });
  const peer = new SerialLink({ path: pty.b, baudRate: 115200, clock, logger });
  t.teardown(async () => { await driver.stop(); await peer.stop(); });
  await driver.start();
  await peer.start();
  t.equal(driver.health().state, 'online');
  const got = once(driver, 'data');
  await peer.write('W26 0123456\n');
  t.equal(String((await got)[0]), 'W26 0123456\n');
  const back = once(peer, 'data');
  await driver.write(Buffer.from([0xa0, 0x01, 0x01, 0xa2]));
  t.same([...(await back)[0] as Buffer], [0xa0, 0x01, 0x01, 0xa2]);
});

t.test('an unplugged peer makes the link offline with a reason; it reopens with backoff on the clock', async (t) => {
  const clock = new ManualClock(0);
  const path = '/dev/ttyLOCKGW-test-0';
  const link = new SerialLink({ path, baudRate: 9600, clock, logger, binding: SerialPortMock.binding, reopenMs: 100, maxReopenMs: 400 });
  t.teardown(() => link.stop());
  await link.start();
  t.match(link.health(), { state: 'offline', reason: /cannot open/ });
  t.same(clock.pending(), [100], 'first retry after 100 ms');
  await t.rejects(link.write('x'), { code: 'DEVICE_OFFLINE' });

  SerialPortMock.binding.createPort(path, { echo: false, record: true });
  const online = once(link, 'open');
  clock.advance(100);
  await online;
  t.equal(link.health().state, 'online');
  await link.write('hello');
  await link.stop();
  t.equal(link.health().state, 'offline');
  t.same(clock.pending(), [], 'no reopen after stop');
  SerialPortMock.binding.reset();
});

t.test('a listener that throws does not break the link', async (t) => {
  const clock = new ManualClock(0);
  const path = '/dev/ttyLOCKGW-test-1';
  SerialPortMock.binding.createPort(path, { echo: true, record: true });
  t.teardown(() => SerialPortMock.binding.reset());
  const link = new SerialLink({ path, baudRate: 9600, clock, logger, binding: SerialPortMock.binding });
  t.teardown(() => link.stop());
  link.on('data', () => { throw new Error('buggy listener'); });
  const seen: string[] = [];
  link.on('data', (d) => seen.push(String(d)));
  await link.start();
  const got = once(link, 'data');
  await link.write('ping');
  await got;
  t.same(seen, ['ping'], 'the second listener still got the echo');
});

/** Opens the path with a second mock port: fails with "Port is locked" while the link still holds it. */
async function pathIsFree(path: string): Promise<boolean> {
  const probe = new SerialPortMock({ path, baudRate: 9600, autoOpen: false });
  const err = await new Promise<Error | null>((resolve) => probe.open((e) => resolve(e ?? null)));
  if (!err) await new Promise((resolve) => probe.close(resolve));
  return err === null;
}

t.test('stop() while the port is still opening closes it before stop() resolves: no port is left open behind', async (t) => {
  const clock = new ManualClock(0);
  const path = '/dev/ttyLOCKGW-test-2';
  SerialPortMock.binding.createPort(path, { echo: false, record: true });
  t.teardown(() => SerialPortMock.binding.reset());
  const link = new SerialLink({ path, baudRate: 9600, clock, logger, binding: SerialPortMock.binding });
  const starting = link.start();
  await link.stop();
  t.ok(await pathIsFree(path), 'the port that was opening is closed');
  t.notOk(link.isOpen);
  t.match(link.health(), { state: 'offline', reason: 'stopped' });
  await starting;
  t.same(clock.pending(), [], 'no reopen either');
});

t.test('start() right after stop() opens once the old port is closed: online, no retry pending', async (t) => {
  const clock = new ManualClock(0);
  const path = '/dev/ttyLOCKGW-test-3';
  SerialPortMock.binding.createPort(path, { echo: true, record: true });
  t.teardown(() => SerialPortMock.binding.reset());
  const link = new SerialLink({ path, baudRate: 9600, clock, logger, binding: SerialPortMock.binding });
  t.teardown(() => link.stop());
  await Promise.all([link.start(), link.stop(), link.start()]);
  t.ok(link.isOpen);
  t.match(link.health(), { state: 'online', reason: /open at 9600/ });
  t.same(clock.pending(), [], 'the second open did not find the first one\'s port in its way');
  const got = once(link, 'data');
  await link.write('after a restart');
  t.equal(String((await got)[0]), 'after a restart');
});

t.test('a reopen still opening when stop() is called is closed by stop()', async (t) => {
  const clock = new ManualClock(0);
  const path = '/dev/ttyLOCKGW-test-4';
  const link = new SerialLink({ path, baudRate: 9600, clock, logger, binding: SerialPortMock.binding, reopenMs: 100 });
  t.teardown(() => SerialPortMock.binding.reset());
  await link.start();
  t.same(clock.pending(), [100]);
  SerialPortMock.binding.createPort(path, { echo: false, record: true });
  clock.advance(100); // the reopen starts opening
  await link.stop();
  t.ok(await pathIsFree(path), 'the reopened port is closed');
  t.match(link.health(), { state: 'offline', reason: 'stopped' });
  t.same(clock.pending(), []);
});
