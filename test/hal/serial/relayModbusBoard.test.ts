import t, { type Test } from 'tap';
import { pino } from 'pino';
import { SerialLink } from '../../../src/hal/serial/serialLink.js';
import { ModbusRelayBoard, type ModbusRelayBoardOptions } from '../../../src/hal/serial/relay/modbusRelayBoard.js';
import { ManualClock } from '../../../src/kernel/clock.js';
import { ModbusRelayEmulator } from '../../support/modbusRelayEmulator.js';
import { ptyPair, socatAvailable } from '../../support/ptyPair.js';
import { untilState } from '../../support/actuatorWait.js';

const logger = pino({ level: 'silent' });
const noSocat = !socatAvailable() && 'socat is not installed (apt-get install socat)';


/**
 * The driver on one end of a socat PTY pair, the emulated board on the other, one ManualClock for
 * both (the board's flash timers and the gateway's keepalives run on the same simulated time).
 * `die()` is the gateway process vanishing: its port closes, nothing more is sent, no stop().
 */
async function rig(t: Test, options: Partial<ModbusRelayBoardOptions> = {}, boardChannels = 8) {
  const pty = await ptyPair(t);
  const clock = new ManualClock(0);
  const link = new SerialLink({ path: pty.a, baudRate: 9600, clock, logger });
  const peer = new SerialLink({ path: pty.b, baudRate: 9600, clock, logger });
  await peer.start();
  const emu = new ModbusRelayEmulator({ clock, link: peer, channels: boardChannels });
  emu.start();
  const board = new ModbusRelayBoard({ id: 'relays', link, clock, logger, channels: 8, refreshMs: 0, ...options });
  let dead = false;
  t.teardown(async () => {
    if (!dead) await board.stop();
    emu.stop();
    await peer.stop();
  });
  const die = async () => {
    dead = true;
    await link.stop();
  };
  /** advance the shared clock in steps, letting every transaction a step started finish */
  const run = async (ms: number, step = 500) => {
    for (let done = 0; done < ms; done += step) {
      clock.advance(Math.min(step, ms - done));
      if (!dead) await board.idle();
    }
  };
  return { clock, link, emu, board, die, run };
}

t.test('unlock(3000) is a 3 s flash the board ends itself; the driver also re-locks at 3 s', { skip: noSocat }, async (t) => {
  const { emu, board, run } = await rig(t);
  const door = board.actuator(1, { id: 'front', failSafe: false });
  await door.start();
  t.equal(emu.commands().length, 8, 'start: every channel its resting state');
  t.equal(door.state(), 'locked');
  t.equal(door.health().state, 'online');
  await door.unlock(3000);
  t.same(emu.commands().at(-1), { kind: 'pulse', channel: 1, energised: true, units: 30 });
  t.ok(emu.energised(1));
  t.equal(door.state(), 'unlocked');
  await run(3000);
  t.notOk(emu.energised(1));
  t.same(emu.commands().at(-1), { kind: 'latch', channel: 1, energised: false }, 'the explicit re-lock');
  await untilState(door, 'locked');
});

t.test('the gateway dies during an unlock: the board re-locks the strike when the flash ends', { skip: noSocat }, async (t) => {
  const { clock, emu, board, die } = await rig(t);
  const door = board.actuator(2, { id: 'side', failSafe: false });
  await door.start();
  await door.unlock(4000);
  await die();
  clock.advance(3999);
  t.ok(emu.energised(2), 'released until the flash ends');
  clock.advance(1);
  t.notOk(emu.energised(2), 'the board itself de-energised the strike at 4000 ms');
});

t.test('a hold is renewed every keepaliveMs / 2; after a gateway death it ends within keepaliveMs', { skip: noSocat }, async (t) => {
  const { clock, emu, board, die, run } = await rig(t, { keepaliveMs: 4000 });
  const door = board.actuator(1, { id: 'front', failSafe: false });
  await door.start();
  let drops = 0;
  emu.on('level', (channel, energised) => { if (channel === 1 && !energised) drops++; });
  await door.hold(true);
  await run(60_000);
  t.ok(emu.energised(1), 'still released after 60 s');
  t.equal(drops, 0, 'the relay never dropped during the hold');
  const pulses = emu.commands().filter((c) => c.channel === 1 && c.kind === 'pulse');
  t.equal(pulses.length, 1 + 60_000 / 2000, 'one flash at the start, one every 2 s');
  t.ok(pulses.every((p) => p.kind === 'pulse' && p.units === 40), 'each of at most keepaliveMs');
  // the last keepalive went out at 60 s; the gateway dies just after it
  await die();
  const diedAt = clock.now();
  let droppedAt: number | null = null;
  emu.on('level', (channel, energised) => { if (channel === 1 && !energised) droppedAt = clock.now(); });
  clock.advance(4000);
  t.equal(droppedAt, diedAt + 4000, 'the board ended the release keepaliveMs after the last keepalive');
});

t.test('a long unlock is a chain of flashes whose last one ends at the deadline', { skip: noSocat }, async (t) => {
  const { emu, board, run } = await rig(t, { keepaliveMs: 5000 });
  const door = board.actuator(3, { id: 'gate', failSafe: false });
  await door.start();
  await door.unlock(12_000);
  await run(12_000);
  const mine = emu.commands().filter((c) => c.channel === 3).slice(1);
  t.same(mine.map((c) => (c.kind === 'pulse' ? c.units : 'lock')), [50, 50, 50, 45, 'lock'], 'flashes of 5 s at 0, 2.5 and 5 s; at 7.5 s one of the 4.5 s left; the re-lock at 12 s');
  t.notOk(emu.energised(3));
});

t.test('a fail-safe maglock is latched energised; a release is a flash off, so a dead gateway leaves it locked again', { skip: noSocat }, async (t) => {
  const { clock, emu, board, die } = await rig(t, { keepaliveMs: 5000 });
  const mag = board.actuator(4, { id: 'mag', failSafe: true });
  await mag.start();
  t.ok(emu.energised(4), 'locked = energised');
  await mag.hold(true);
  t.same(emu.commands().at(-1), { kind: 'pulse', channel: 4, energised: false, units: 50 });
  t.notOk(emu.energised(4), 'released');
  await die();
  clock.advance(5000);
  t.ok(emu.energised(4), 'the board re-energised (locked) the maglock when the flash ended');
});

t.test('no answer: DEVICE_TIMEOUT, degraded, then offline after three; an answer brings it back', { skip: noSocat }, async (t) => {
  const { clock, emu, board } = await rig(t, { answerTimeoutMs: 250 });
  const door = board.actuator(1, { id: 'front', failSafe: false });
  await door.start();
  emu.answers = 'silent';
  const healths: string[] = [];
  door.on('health', (h) => healths.push(h.state));
  for (let i = 0; i < 3; i++) {
    const executed = new Promise<void>((resolve) => emu.once('command', () => resolve()));
    const unlocking = door.unlock(1000);
    await executed;
    clock.advance(250);
    await t.rejects(unlocking, { code: 'DEVICE_TIMEOUT' });
  }
  t.same(healths, ['degraded', 'degraded', 'offline'], 'the reason counts the misses; offline at the third');
  t.match(door.health(), { state: 'offline', reason: /did not answer the last 3 commands/ });
  t.equal(door.state(), 'unknown');
  emu.answers = 'echo';
  await door.lock();
  t.equal(door.health().state, 'online');
  t.equal(door.state(), 'locked');
});

t.test('corrupted answers are never taken as a confirmation', { skip: noSocat }, async (t) => {
  const { clock, emu, board } = await rig(t);
  const door = board.actuator(1, { id: 'front', failSafe: false });
  await door.start();
  emu.answers = 'corrupt';
  const answered = new Promise<void>((resolve) => emu.once('command', () => resolve()));
  const unlocking = door.unlock(2000);
  await answered;
  clock.advance(250);
  await t.rejects(unlocking, { code: 'DEVICE_TIMEOUT' });
  t.equal(door.state(), 'unknown', 'the board did act, but nobody confirmed it');
  t.equal(door.health().state, 'degraded');
  t.ok(emu.energised(1), 'the command did reach the board: unknown is the honest state');
  emu.answers = 'echo';
  await run2000(clock, board);
  t.notOk(emu.energised(1), 'the re-lock timer still re-locked it');
  t.equal(door.state(), 'locked');
});

async function run2000(clock: ManualClock, board: ModbusRelayBoard) {
  for (let i = 0; i < 4; i++) {
    clock.advance(500);
    await board.idle();
  }
}

t.test('a board that refuses a command (Modbus exception) rejects DEVICE_ERROR and stays online', { skip: noSocat }, async (t) => {
  const { board } = await rig(t, {}, 4); // the driver thinks it has 8 channels, the board has 4
  const door = board.actuator(6, { id: 'ghost', failSafe: false });
  await door.start();
  await t.rejects(door.unlock(1000), { code: 'DEVICE_ERROR', message: /Modbus exception 2/ });
  t.equal(door.health().state, 'online', 'the board answered: it is there');
});

t.test('stop(): strikes de-energised, maglocks energised, nothing released', { skip: noSocat }, async (t) => {
  const { emu, board } = await rig(t);
  const door = board.actuator(1, { id: 'front', failSafe: false });
  const mag = board.actuator(2, { id: 'mag', failSafe: true });
  await Promise.all([door.start(), mag.start()]);
  await door.hold(true);
  await mag.hold(true);
  await door.stop();
  await mag.stop();
  t.notOk(emu.energised(1));
  t.ok(emu.energised(2));
  t.match(door.health(), { state: 'offline', reason: 'stopped' });
  await t.rejects(door.unlock(1000), { code: 'DEVICE_OFFLINE' });
});

t.test('configuration errors name the field', async (t) => {
  const clock = new ManualClock(0);
  const link = new SerialLink({ path: '/dev/null-relay', baudRate: 9600, clock, logger });
  const make = (o: Partial<ModbusRelayBoardOptions>) => () => new ModbusRelayBoard({ id: 'r', link, clock, logger, channels: 8, ...o });
  t.throws(make({ channels: 17 }), { code: 'CONFIG_INVALID', details: { field: 'channels' } });
  t.throws(make({ unit: 0 }), { code: 'CONFIG_INVALID', details: { field: 'unit' } });
  t.throws(make({ keepaliveMs: 500 }), { code: 'CONFIG_INVALID', details: { field: 'keepaliveMs' } });
  t.throws(make({ answerTimeoutMs: 2000 }), { code: 'CONFIG_INVALID', details: { field: 'answerTimeoutMs' } });
  const board = make({})();
  board.actuator(1, { id: 'a', failSafe: false });
  t.throws(() => board.actuator(1, { id: 'b', failSafe: false }), { code: 'CONFIG_INVALID', message: /already used by a/ });
  t.throws(() => board.actuator(9, { id: 'c', failSafe: false }), { code: 'CONFIG_INVALID', details: { field: 'channel' } });
});
