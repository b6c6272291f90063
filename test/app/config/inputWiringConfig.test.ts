import t, { type Test } from 'tap';
import { parseConfig } from '../../../src/app/config/loadConfig.js';

const serial = {
  wiegandBridges: [{ id: 'b1', path: '/dev/serial/by-id/bridge' }],
  relayBoards: [{ id: 'r1', path: '/dev/serial/by-id/relays' }],
};
const door = (inputs: object, extra: object = {}) => ({ id: 'lobby', hardware: 'serial', serial: { reader: { bridge: 'b1', port: 1 }, actuator: { board: 'r1', channel: 1 } }, inputs, ...extra });
const refused = (t: Test, config: object, message: RegExp) => t.throws(() => parseConfig(config), { code: 'CONFIG_INVALID', message }, String(message));

t.test('door inputs and the fire input: bridge and GPIO wiring with their defaults', async (t) => {
  const c = parseConfig({
    serial,
    doors: [door({ contact: { bridge: 'b1', port: 1, supervised: true }, rex: { gpio: { chip: 'gpiochip0', line: 17, activeLow: true } } })],
    fire: { input: { bridge: 'b1', port: 4 } },
  });
  t.same(c.doors[0]!.inputs!.contact, { bridge: 'b1', port: 1, supervised: true });
  t.match(c.doors[0]!.inputs!.rex, { supervised: false, gpio: { chip: 'gpiochip0', line: 17, activeLow: true, bias: 'as-is', debounceMs: 20 } });
  t.same(c.fire, { input: { bridge: 'b1', port: 4, supervised: false }, onFault: 'release' }, 'a cut fire loop releases by default');
  t.equal(parseConfig({}).fire, undefined, 'no fire input unless configured');
});

t.test('bad wiring is refused with the path of the offending key', async (t) => {
  refused(t, { serial, doors: [door({ contact: { bridge: 'nope', port: 1 } })] }, /doors\.0\.inputs\.contact\.bridge: no Wiegand bridge nope/);
  refused(t, { serial, doors: [door({ contact: { bridge: 'b1' } })] }, /doors\.0\.inputs\.contact\.port: the bridge port/);
  refused(t, { serial, doors: [door({ contact: { port: 1 } })] }, /doors\.0\.inputs\.contact\.bridge: an input is wired to a Wiegand bridge/);
  refused(t, { serial, doors: [door({ rex: { gpio: { chip: 'gpiochip0', line: 3 }, port: 2 } })] }, /doors\.0\.inputs\.rex\.port: a GPIO input has no port/);
  refused(t, { serial, doors: [door({ rex: { gpio: { chip: 'gpiochip0', line: 3 }, supervised: true } })] }, /doors\.0\.inputs\.rex\.supervised: GPIO inputs are digital/);
  refused(t, { serial, doors: [door({ contact: { bridge: 'b1', port: 1, supervised: true, activeWhen: 'open' } })] }, /activeWhen: a supervised loop reports/);
  refused(t, { serial, doors: [door({ contact: { bridge: 'b1', port: 1, line: 'rex' }, rex: { bridge: 'b1', port: 1 } })] }, /doors\.0\.inputs\.rex: bridge b1 port 1 input rex is already wired to another input/);
  refused(t, { serial, doors: [door({ rex: { gpio: { chip: 'gpiochip0', line: 3 } } })], fire: { input: { gpio: { chip: '/dev/gpiochip0', line: 3 } } } }, /GPIO .*line 3 is already wired/);
  refused(t, { serial, fire: { input: { bridge: 'b1', port: 9 } } }, /fire\.input\.port/);
  refused(t, { serial, fire: { input: { bridge: 'b1', port: 2 }, onFault: 'ignore' } }, /fire\.onFault/);
  refused(t, { doors: [{ id: 'sim-door', inputs: { contact: { bridge: 'b1', port: 1 } } }] }, /doors\.0\.inputs: a simulated door has simulated inputs/);
});
