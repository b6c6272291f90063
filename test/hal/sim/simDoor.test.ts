import t from 'tap';
import { pino, type Logger } from 'pino';
import { ManualClock } from '../../../src/kernel/clock.js';
import { createSimDoor, createSimFireInput } from '../../../src/hal/sim/simDoor.js';


/** A pino logger whose lines the test can read. */
function captureLogger(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const written: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void written.push(line) });
  return { logger, lines: () => written.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

t.test('createSimDoor builds the usual devices of one door with ids derived from the door', async (t) => {
  const clock = new ManualClock(0);
  const door = createSimDoor('lobby', clock);
  t.equal(door.doorId, 'lobby');
  t.same(door.devices.map((d) => `${d.kind}:${d.id}`), [
    'reader:lobby-card', 'reader:lobby-keypad', 'reader:lobby-fp', 'reader:lobby-mobile',
    'actuator:lobby-lock', 'sensor:lobby-contact', 'sensor:lobby-rex', 'indicator:lobby-led',
  ]);
  t.same(door.readers, [door.cardReader, door.keypad, door.fingerprintReader, door.mobileReader]);
  t.equal(door.fingerprintReader.readerId, 'lobby-fp', 'the reader id the demo site\'s fingerprint credential names');
  t.equal(door.actuator.failSafe, false);
  t.ok(door.devices.every((d) => d.health().reason === 'not started'), 'nothing started');
});

t.test('the devices of a door start and stop together and work as a door', async (t) => {
  const clock = new ManualClock(0);
  const door = createSimDoor('pool', clock, { failSafe: true, keypadBurst: true, doorOpen: true, recordLimit: 5 });
  await Promise.all(door.devices.map((d) => d.start()));
  t.ok(door.devices.every((d) => d.health().state === 'online'));
  t.equal(door.contact.value(), true);
  const keys: string[] = [];
  door.keypad.on('input', (input) => keys.push(input.kind === 'keys' ? input.keys : ''));
  door.keypad.press('1234#');
  t.same(keys, ['1234#']);
  t.same(door.fingerprintReader.touch(3), { delivered: true });
  t.equal(door.actuator.energised(), true, 'a fail-safe maglock is energised while locked');
  await Promise.all(door.devices.map((d) => d.stop()));
  t.equal(door.actuator.state(), 'unlocked');
});

t.test('two doors do not share state', async (t) => {
  const clock = new ManualClock(0);
  const a = createSimDoor('a', clock);
  const b = createSimDoor('b', clock);
  await a.actuator.start();
  await b.actuator.start();
  await a.actuator.unlock(1000);
  t.equal(b.actuator.state(), 'locked');
  t.equal(b.actuator.recording.length, 1);
});

t.test('the site fire input is one shared device; the door devices log through the given logger', async (t) => {
  const clock = new ManualClock(0);
  const { logger, lines } = captureLogger();
  const fire = createSimFireInput(clock);
  t.equal(fire.id, 'fire');
  t.equal(fire.input, 'fire');
  await fire.start();
  t.equal(fire.value(), false);
  const other = createSimFireInput(clock, { id: 'fire-b', alarm: true, logger, recordLimit: 3 });
  await other.start();
  t.equal(other.value(), true);
  const door = createSimDoor('gym', clock, { logger });
  await door.rex.start();
  t.match(lines().map((l) => l.device), ['fire-b', 'gym-rex']);
});
