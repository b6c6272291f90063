import t, { type Test } from 'tap';
import { pino } from 'pino';
import { SerialPortMock } from 'serialport';
import { SerialLink } from '../../../src/hal/serial/serialLink.js';
import { RELAY_BAUD_RATE, RelayBoard } from '../../../src/hal/serial/relay/relayBoard.js';
import { RelayBoardEmulator } from '../../support/relayBoardEmulator.js';
import type { ActuatorState } from '../../../src/hal/types.js';
import { ManualClock } from '../../../src/kernel/clock.js';
import { ptyPair, socatAvailable } from '../../support/ptyPair.js';
import { untilState, whenTrue } from '../../support/actuatorWait.js';

const logger = pino({ level: 'silent' });
const noSocat = !socatAvailable() && 'socat is not installed (apt-get install socat)';

const channelFrames = (emu: RelayBoardEmulator, channel: number) => emu.frames().filter((f) => f.channel === channel).map((f) => (f.energised ? 'on' : 'off'));

/** A board on one end of a socat PTY pair, the emulated board on the other. */
async function ptyRig(t: Test, options: { channels?: number; refreshMs?: number } = {}) {
  const pty = await ptyPair(t);
  const clock = new ManualClock(0);
  const link = new SerialLink({ path: pty.a, baudRate: RELAY_BAUD_RATE, clock, logger });
  const peer = new SerialLink({ path: pty.b, baudRate: RELAY_BAUD_RATE, clock, logger });
  const emu = new RelayBoardEmulator({ channels: options.channels ?? 4 });
  emu.attach(peer);
  await peer.start();
  const board = new RelayBoard({ id: 'relays', link, clock, logger, channels: options.channels ?? 4, ...(options.refreshMs !== undefined && { refreshMs: options.refreshMs }) });
  t.teardown(async () => {
    await board.stop();
    await peer.stop();
  });
  return { clock, link, peer, emu, board };
}

let mockPorts = 0;
/** A board on serialport's mock binding; the echo of what the driver wrote feeds the emulator. */
function mockRig(t: Test, options: { createPort?: boolean; refreshMs?: number } = {}) {
  const path = `/dev/ttyRELAY-test-${mockPorts++}`;
  if (options.createPort !== false) SerialPortMock.binding.createPort(path, { echo: true, record: true });
  const clock = new ManualClock(0);
  const link = new SerialLink({ path, baudRate: RELAY_BAUD_RATE, clock, logger, binding: SerialPortMock.binding, reopenMs: 100 });
  const emu = new RelayBoardEmulator({ channels: 4 });
  emu.attach(link);
  const board = new RelayBoard({ id: 'relays', link, clock, logger, channels: 4, ...(options.refreshMs !== undefined && { refreshMs: options.refreshMs }) });
  t.teardown(() => board.stop());
  return { path, clock, link, emu, board };
}

t.test('unlock(3000) energises a fail-secure strike and the clock re-locks it 3 s later', { skip: noSocat }, async (t) => {
  const { clock, emu, board } = await ptyRig(t);
  const door = board.actuator(1, { id: 'front', failSafe: false });
  t.equal(door.state(), 'unknown', 'before start');
  t.match(door.health(), { state: 'offline', reason: 'not started' });
  await door.start();
  await whenTrue(emu, 'frame', () => emu.frames().length === 4);
  t.same(emu.frames().map((f) => f.energised), [false, false, false, false], 'start sends every channel its resting state');
  t.equal(door.health().state, 'online');
  t.equal(door.state(), 'locked');

  await door.unlock(3000);
  await whenTrue(emu, 'frame', () => emu.energised(1));
  t.equal(door.state(), 'unlocked');
  t.same(clock.pending(), [3000, 30_000], 're-lock timer and state refresh');

  clock.advance(2999);
  t.equal(door.state(), 'unlocked', 'still released at 2999 ms');
  clock.advance(1);
  await whenTrue(emu, 'frame', () => !emu.energised(1));
  await untilState(door, 'locked');
  t.same(channelFrames(emu, 1), ['off', 'on', 'off']);
  t.same(emu.stats().droppedBytes, { header: 0, channel: 0, state: 0, checksum: 0 }, 'every byte on the wire was a valid frame');
});

t.test('a second unlock extends the release; it never cuts it short', { skip: noSocat }, async (t) => {
  const { clock, emu, board } = await ptyRig(t);
  const door = board.actuator(2, { id: 'side', failSafe: false });
  await door.start();
  await door.unlock(3000);
  clock.advance(2000);
  await door.unlock(3000); // now due at 5000
  clock.advance(2000);
  t.equal(door.state(), 'unlocked', 'not re-locked at 3000 ms');
  await door.unlock(500); // shorter than what is left: no change
  t.same(clock.pending(), [1000, 26_000]);
  clock.advance(1000);
  await whenTrue(emu, 'frame', () => channelFrames(emu, 2).length === 5);
  t.same(channelFrames(emu, 2), ['off', 'on', 'on', 'on', 'off'], 'one re-lock, at 5000 ms');
  t.notOk(emu.energised(2));
});

t.test('a fail-safe maglock is energised while locked and de-energised to release', { skip: noSocat }, async (t) => {
  const { clock, emu, board } = await ptyRig(t);
  const mag = board.actuator(3, { id: 'mag', failSafe: true });
  t.equal(mag.failSafe, true);
  await mag.start();
  await whenTrue(emu, 'frame', () => emu.frames().length === 4);
  t.ok(emu.energised(3), 'locked = energised');
  t.equal(mag.state(), 'locked');
  await mag.unlock(1000);
  await whenTrue(emu, 'frame', () => !emu.energised(3));
  t.equal(mag.state(), 'unlocked');
  clock.advance(1000);
  await whenTrue(emu, 'frame', () => emu.energised(3));
  await untilState(mag, 'locked');
});

t.test('hold(true) releases until hold(false); lock() ends an unlock early', { skip: noSocat }, async (t) => {
  const { clock, emu, board } = await ptyRig(t);
  const door = board.actuator(1, { id: 'front', failSafe: false });
  const mag = board.actuator(2, { id: 'mag', failSafe: true });
  await Promise.all([door.start(), mag.start()]);
  await door.unlock(5000);
  await door.hold(true);
  await mag.hold(true);
  t.same(clock.pending(), [30_000], 'a hold has no re-lock timer');
  await door.unlock(1000);
  t.same(clock.pending(), [30_000], 'unlock during a hold does not arm one either');
  clock.advance(10_000);
  await whenTrue(emu, 'frame', () => emu.energised(1) && !emu.energised(2));
  t.equal(door.state(), 'unlocked');
  t.equal(mag.state(), 'unlocked');
  await door.hold(false);
  await mag.hold(false);
  await whenTrue(emu, 'frame', () => !emu.energised(1) && emu.energised(2));
  t.equal(door.state(), 'locked');
  t.equal(mag.state(), 'locked');

  await door.unlock(5000);
  await door.lock();
  t.same(clock.pending(), [20_000], 'lock() cancels the re-lock timer');
  await whenTrue(emu, 'frame', () => channelFrames(emu, 1).at(-1) === 'off' && channelFrames(emu, 1).length === 7);
  t.notOk(emu.energised(1));
});

t.test('stop() de-energises fail-secure relays, leaves maglocks locked, releases nothing', { skip: noSocat }, async (t) => {
  const { emu, board } = await ptyRig(t);
  const door = board.actuator(1, { id: 'front', failSafe: false });
  const mag = board.actuator(2, { id: 'mag', failSafe: true });
  const gate = board.actuator(4, { id: 'gate', failSafe: false });
  await Promise.all([door.start(), mag.start(), gate.start()]);
  await door.hold(true);
  await gate.unlock(60_000);
  await mag.unlock(60_000);
  await whenTrue(emu, 'frame', () => emu.energised(1) && emu.energised(4) && !emu.energised(2));
  await board.stop();
  await whenTrue(emu, 'frame', () => !emu.energised(1) && !emu.energised(4) && emu.energised(2));
  t.pass('strikes de-energised, maglock energised (locked)');
  for (const a of [door, mag, gate]) {
    t.match(a.health(), { state: 'offline', reason: 'stopped' });
    t.equal(a.state(), 'unknown');
  }
  await t.rejects(door.unlock(1000), { code: 'DEVICE_OFFLINE' });
  await door.stop(); // already stopped: a no-op
});

t.test('the board starts with its first actuator and stops with its last; a late joiner sends its state', { skip: noSocat }, async (t) => {
  const { emu, board, link } = await ptyRig(t);
  const door = board.actuator(1, { id: 'front', failSafe: false });
  await door.start();
  await door.start(); // idempotent
  await whenTrue(emu, 'frame', () => emu.frames().length === 4);
  const mag = board.actuator(3, { id: 'mag', failSafe: true });
  t.equal(mag.state(), 'unknown');
  await mag.start();
  await whenTrue(emu, 'frame', () => emu.energised(3));
  t.equal(mag.state(), 'locked');
  await door.unlock(60_000);
  await door.stop();
  await whenTrue(emu, 'frame', () => channelFrames(emu, 1).at(-1) === 'off' && channelFrames(emu, 1).length === 3);
  t.ok(link.isOpen, 'still open for the maglock');
  t.match(door.health(), { reason: 'stopped' });
  await mag.stop();
  t.notOk(link.isOpen, 'the last actuator closed the link');
  t.ok(emu.energised(3), 'the maglock stays locked after the stop');
});

t.test('when the link comes back, every channel\'s intended state is re-sent (state reconciliation)', { skip: noSocat }, async (t) => {
  const { emu, board, link } = await ptyRig(t);
  const door = board.actuator(1, { id: 'front', failSafe: false });
  const mag = board.actuator(2, { id: 'mag', failSafe: true });
  await Promise.all([door.start(), mag.start()]);
  await door.hold(true);
  await whenTrue(emu, 'frame', () => emu.energised(1) && emu.energised(2));
  const healths: string[] = [];
  door.on('health', (h) => healths.push(h.state));

  await link.stop(); // the port closes under the board
  t.equal(door.state(), 'unknown', 'nobody knows what a board without a link is doing');
  await t.rejects(door.unlock(1000), { code: 'DEVICE_OFFLINE' });
  emu.brownOut(); // and it lost power meanwhile
  t.notOk(emu.energised(2));

  const before = emu.frames().length;
  await link.start();
  await whenTrue(emu, 'frame', () => emu.frames().length === before + 4);
  t.ok(emu.energised(1), 'the held strike is released again');
  t.ok(emu.energised(2), 'the maglock is locked again');
  t.notOk(emu.energised(3) || emu.energised(4), 'unused channels are off');
  await untilState(door, 'unlocked');
  t.same(healths, ['offline', 'online']);
});

t.test('the refresh re-sends the intended state the board forgot on a brown-out', async (t) => {
  const { clock, emu, board } = mockRig(t, { refreshMs: 10_000 });
  const mag = board.actuator(1, { id: 'mag', failSafe: true });
  await mag.start();
  await whenTrue(emu, 'frame', () => emu.energised(1));
  emu.brownOut();
  t.notOk(emu.energised(1), 'the maglock dropped out');
  clock.advance(10_000);
  await whenTrue(emu, 'frame', () => emu.energised(1));
  t.pass('locked again by the refresh');
  t.same(clock.pending(), [10_000], 'the refresh re-arms');
});

t.test('a board whose port is missing is offline with the link\'s reason; it reconciles when the port appears', async (t) => {
  const { path, clock, emu, board } = mockRig(t, { createPort: false });
  const door = board.actuator(1, { id: 'front', failSafe: false });
  const mag = board.actuator(2, { id: 'mag', failSafe: true });
  await door.start();
  await mag.start();
  t.match(door.health(), { state: 'offline', reason: /cannot open/ });
  t.match(board.health(), { state: 'offline' });
  t.equal(door.state(), 'unknown');
  await t.rejects(door.unlock(1000), { code: 'DEVICE_OFFLINE', message: /cannot open/ });
  await t.rejects(door.hold(true), { code: 'DEVICE_OFFLINE' });
  await t.rejects(mag.lock(), { code: 'DEVICE_OFFLINE' }, 'lock() records the intention but still says it was not applied');

  SerialPortMock.binding.createPort(path, { echo: true, record: true });
  clock.advance(100);
  await whenTrue(emu, 'frame', () => emu.frames().length === 4);
  t.notOk(emu.energised(1));
  t.ok(emu.energised(2));
  t.equal(door.health().state, 'online');
  t.equal(mag.state(), 'locked');
  await door.unlock(1000);
  await whenTrue(emu, 'frame', () => emu.energised(1));
});

t.test('bad configuration and bad arguments are refused with stable codes', async (t) => {
  const { board, link, clock } = mockRig(t);
  t.throws(() => new RelayBoard({ id: 'x', link, clock, logger, channels: 0 }), { code: 'CONFIG_INVALID' });
  t.throws(() => new RelayBoard({ id: 'x', link, clock, logger, channels: 17 }), { code: 'CONFIG_INVALID' });
  t.throws(() => new RelayBoard({ id: 'x', link, clock, logger, channels: 2, refreshMs: -1 }), { code: 'CONFIG_INVALID' });
  t.throws(() => board.actuator(5, { id: 'a', failSafe: false }), { code: 'CONFIG_INVALID' });
  const door = board.actuator(1, { id: 'front', failSafe: false });
  t.equal(door.kind, 'actuator');
  t.equal(door.id, 'front');
  t.throws(() => board.actuator(1, { id: 'other', failSafe: false }), { code: 'CONFIG_INVALID', message: /already used by front/ });
  await t.rejects(door.unlock(1000), { code: 'DEVICE_OFFLINE', message: /not started/ });
  await door.start();
  await t.rejects(door.unlock(0), { code: 'INPUT_INVALID' });
  await t.rejects(door.unlock(Number.NaN), { code: 'INPUT_INVALID' });
});

t.test('a listener that throws does not break the actuator', async (t) => {
  const { emu, board } = mockRig(t);
  const door = board.actuator(1, { id: 'front', failSafe: false });
  door.on('state', () => {
    throw new Error('buggy listener');
  });
  const seen: ActuatorState[] = [];
  door.on('state', (s) => seen.push(s));
  await door.start();
  await door.unlock(1000);
  await whenTrue(emu, 'frame', () => emu.energised(1));
  t.same(seen, ['locked', 'unlocked']);
});

t.test('the emulated board ignores channels it does not have and counts garbage', async (t) => {
  const emu = new RelayBoardEmulator({ channels: 2 });
  const dropped: string[] = [];
  emu.on('dropped', (reason) => dropped.push(reason));
  emu.on('frame', () => {
    throw new Error('buggy listener');
  });
  emu.receive(Buffer.from([0x13, 0xa0, 0x03, 0x01, 0xa4, 0xa0, 0x01, 0x01, 0xa2, 0xa0, 0x01, 0x01, 0x00]));
  t.ok(emu.energised(1));
  t.same(emu.stats(), { frames: 1, ignored: 1, droppedBytes: { header: 1, channel: 0, state: 0, checksum: 4 } });
  t.same(dropped, ['header', 'checksum']);
  t.same(emu.frames(), [{ channel: 1, energised: true }]);
});
