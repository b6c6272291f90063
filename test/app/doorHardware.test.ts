import t from 'tap';
import { pino } from 'pino';
import { parseConfig } from '../../src/app/config/loadConfig.js';
import { buildSiteHardware, doorBehaviours } from '../../src/app/doorHardware.js';
import { ManualClock } from '../../src/kernel/clock.js';

const deps = { clock: new ManualClock(0), logger: pino({ level: 'silent' }) };
const serial = { wiegandBridges: [{ id: 'b1', path: '/dev/serial/by-id/not-opened-here' }], relayBoards: [{ id: 'r1', path: '/dev/serial/by-id/not-opened-either' }] };
const serialDoor = { id: 'lobby', hardware: 'serial', serial: { reader: { bridge: 'b1', port: 1 }, actuator: { board: 'r1', channel: 1 } } };

t.test('a simulated fire input only on a site whose doors are all simulated: it would release every fire-release door', async (t) => {
  const site = (config: object) => {
    const c = parseConfig(config);
    return buildSiteHardware(c, doorBehaviours(c), deps);
  };
  t.ok(site({}).simulated.fire, 'the demo (all simulated): a simulated fire input');
  const mixed = site({ serial, doors: [serialDoor, { id: 'gym' }] });
  t.equal(mixed.simulated.fire, null, 'a real door among them: none');
  t.equal(mixed.fire, null, 'and no fire input at all unless one is configured');
  t.ok(mixed.simulated.doors.has('gym'), 'the simulated door keeps its simulated devices');
  const wired = site({ serial, doors: [serialDoor, { id: 'gym' }], fire: { input: { bridge: 'b1', port: 4 } } });
  t.equal(wired.simulated.fire, null);
  t.equal(wired.fire?.id, 'fire-input', 'the configured fire input');
});
