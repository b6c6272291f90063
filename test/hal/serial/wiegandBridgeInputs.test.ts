/**
 * Door inputs (contact, REX, aux/fire) on the Wiegand bridge, over real pseudo-terminals: the
 * emulated bridge on one end (test/support/bridgeEmulator.ts), the driver on the other. What
 * docs/wiegand-bridge.md, "Door inputs", promises, one test per rule.
 */
import t from 'tap';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { SerialPortMock } from 'serialport';
import { SerialLink } from '../../../src/hal/serial/serialLink.js';
import { WiegandBridge } from '../../../src/hal/serial/wiegand/wiegandBridge.js';
import type { WiegandBridgeOptions } from '../../../src/hal/serial/wiegand/wiegandBridgeOptions.js';
import type { Health } from '../../../src/hal/types.js';
import { ManualClock } from '../../../src/kernel/clock.js';
import { loggerOptions } from '../../../src/kernel/logger.js';
import { BridgeEmulator } from '../../support/bridgeEmulator.js';
import { AT_REST, INPUT_PORTS, inputRig, next } from '../../support/bridgeInputRig.js';
import { socatAvailable } from '../../support/ptyPair.js';

const silent = pino({ level: 'silent' });
const pty = { skip: !socatAvailable() && 'socat is not installed (apt-get install socat)' };

t.test('levels at connect: the gateway sends S when the link opens; every input is known once answered, each change emitted once', pty, async (t) => {
  const rig = await inputRig(t, silent, { inputs: AT_REST.map((i) => (i.port === 1 && i.line === 'contact' ? { ...i, state: 'open' } : i)) });
  const door = rig.sensor(1, 'contact');
  t.same([door.id, door.kind, door.input, door.value(), door.wiringFault(), door.health().reason], ['front-door', 'sensor', 'door', undefined, null, 'not started']);
  const query = next(rig.emulator, 'command');
  await rig.startAll();
  t.same((await query)[0], { type: 'query_inputs' }, 'S is the first command after the link opened');
  await rig.barrier();
  t.same(rig.events.map((e) => e.event === 'change' && [e.sensor, e.active]), [
    ['front-door', true], ['front-rex', false], ['fire', false], ['back-door', false], ['back-rex', false], ['back-aux', false],
  ], 'the first known level of every input is emitted, in the order the bridge reported them');
  t.same([door.value(), rig.sensor(1, 'rex').value(), rig.sensor(2, 'aux').value()], [true, false, false]);
  t.equal(door.health().state, 'online');
  t.match(rig.bridge.stats(), { inputs: 6, dropped: { input_mode: 0, unconfigured_input: 0 } });
});

t.test('unknown before the first report: a bridge that ignores S leaves every input undefined until it reports an edge', pty, async (t) => {
  const rig = await inputRig(t, silent);
  rig.emulator.misbehave.ignoreInputQueries = true;
  await rig.startAll();
  await rig.emulator.sendHeartbeat();
  await rig.barrier();
  const door = rig.sensor(1, 'contact');
  t.equal(door.health().state, 'online', 'the bridge is online…');
  t.equal(door.value(), undefined, '…but the door position is not known');
  t.same(rig.events, []);
  await rig.emulator.setInput(1, 'contact', 'open');
  await rig.barrier();
  t.equal(door.value(), true);
  t.same(rig.events, [{ sensor: 'front-door', event: 'change', input: 'door', active: true }]);
  t.equal(rig.sensor(1, 'rex').value(), undefined, 'the other inputs are still unknown');
});

t.test('every edge: change only when the meaning changes; activeWhen and the defaults decide the meaning', pty, async (t) => {
  const rig = await inputRig(t, silent);
  await rig.startAll();
  await rig.barrier();
  rig.events.length = 0;
  const edges = [
    [1, 'contact', 'open'], [1, 'contact', 'open'], [1, 'contact', 'closed'],   // NC reed: open = door open
    [1, 'rex', 'closed'], [1, 'rex', 'open'],                                  // NO button: closed = pressed
    [1, 'aux', 'open'], [1, 'aux', 'closed'],                                   // NC fire relay: open = alarm
    [2, 'rex', 'open'], [2, 'rex', 'closed'],                                   // activeWhen 'open'
    [2, 'contact', 'active'], [2, 'contact', 'active'], [2, 'contact', 'normal'], // supervised
  ] as const;
  for (const [port, line, state] of edges) await rig.emulator.setInput(port, line, state);
  await rig.barrier();
  t.same(rig.events.map((e) => e.event === 'change' && `${e.sensor}:${e.input}:${e.active}`), [
    'front-door:door:true', 'front-door:door:false', 'front-rex:rex:true', 'front-rex:rex:false', 'fire:fire:true', 'fire:fire:false',
    'back-rex:rex:true', 'back-rex:rex:false', 'back-door:door:true', 'back-door:door:false',
  ], 'a repeated state is not an edge');
  t.equal(rig.bridge.stats().inputs, 6 + edges.length, 'every I line is counted, edge or not');
});

t.test('supervised loops: cut and short are wiring faults with a reason; recovery emits null, then change only if the level differs', pty, async (t) => {
  const rig = await inputRig(t, silent);
  await rig.startAll();
  await rig.barrier();
  const door = rig.sensor(2, 'contact');
  rig.events.length = 0;
  const health: Health[] = [];
  door.on('health', (h) => health.push(h));

  await rig.emulator.setInput(2, 'contact', 'cut');
  await rig.barrier();
  t.same([door.value(), door.wiringFault()], [undefined, 'cut'], 'a faulted loop has no level');
  t.same(door.health(), { state: 'degraded', reason: 'the door contact loop on bridge bridge-1 port 2 is cut: check the wiring', since: 0 });
  await rig.emulator.setInput(2, 'contact', 'short');
  await rig.emulator.setInput(2, 'contact', 'short');
  await rig.barrier();
  t.equal(door.health().reason, 'the door contact loop on bridge bridge-1 port 2 is short-circuited: check the wiring');
  await rig.emulator.setInput(2, 'contact', 'active');
  await rig.barrier();
  t.same([door.value(), door.wiringFault(), door.health().state], [true, null, 'online']);
  await rig.emulator.setInput(2, 'contact', 'cut');
  await rig.emulator.setInput(2, 'contact', 'active');
  await rig.barrier();
  t.same(rig.events.map((e) => (e.event === 'change' ? `change:${e.active}` : `fault:${e.fault}`)), [
    'fault:cut', 'fault:short', 'fault:null', 'change:true', // normal → cut → short → active: the door opened meanwhile
    'fault:cut', 'fault:null',                              // active → cut → active: same level, no change
  ]);
  t.same(health.map((h) => h.state), ['degraded', 'degraded', 'online', 'degraded', 'online']);
  t.equal(rig.sensor(2, 'aux').wiringFault(), null, 'the other loops are untouched');
});

t.test('after R: inputs are unknown until the bridge reports them again; the gateway asks with S; nothing changes twice', pty, async (t) => {
  const rig = await inputRig(t, silent);
  await rig.startAll();
  await rig.barrier();
  rig.events.length = 0;
  const door = rig.sensor(1, 'contact');
  const fire = rig.sensor(1, 'aux');
  await rig.emulator.setInput(1, 'aux', 'open', { send: false }); // the fire panel released while the bridge rebooted
  await rig.emulator.send(rig.emulator.reboot('watchdog'));
  const query = next(rig.emulator, 'command');
  t.same((await query)[0], { type: 'query_inputs' }, 'the gateway asks after R');
  await rig.barrier(); // the S answer was written before the barrier
  t.same(rig.events, [{ sensor: 'fire', event: 'change', input: 'fire', active: true }], 'the answer to S reports the alarm');
  await rig.emulator.send(rig.emulator.bootLines('power'));
  await rig.barrier();
  t.same(rig.events.length, 1, 'the boot sequence (R, every I, H) and the second S answer repeat levels: no change');
  t.same([door.value(), fire.value()], [false, true]);
  t.equal(rig.bridge.stats().resets, 2);
});

t.test('a silent bridge: levels are unknown while it is offline; when it talks again the gateway asks with S', pty, async (t) => {
  const rig = await inputRig(t, silent);
  await rig.startAll();
  await rig.barrier();
  rig.events.length = 0;
  const door = rig.sensor(1, 'contact');
  const offline = next<[Health]>(door, 'health');
  rig.clock.advance(3000);
  t.match((await offline)[0], { state: 'offline', reason: /^no heartbeat from the Wiegand bridge/ });
  t.equal(door.value(), undefined, 'an offline input has no level');
  await rig.emulator.setInput(1, 'contact', 'open', { send: false });
  const query = next(rig.emulator, 'command');
  await rig.emulator.sendHeartbeat();
  t.same((await query)[0], { type: 'query_inputs' });
  await rig.barrier();
  t.same(rig.events, [{ sensor: 'front-door', event: 'change', input: 'door', active: true }], 'the edge missed while silent is reported');
  t.same([door.value(), rig.sensor(1, 'rex').value()], [true, false]);
});

t.test('after the link reopens: the gateway asks with S; inputs stay unknown until answered', pty, async (t) => {
  const rig = await inputRig(t, silent);
  await rig.startAll();
  await rig.barrier();
  const door = rig.sensor(1, 'contact');
  await rig.bridge.stop();
  t.same([rig.link.health().state, door.value(), door.wiringFault()], ['offline', undefined, null]);
  rig.events.length = 0;
  await rig.emulator.setInput(1, 'contact', 'open', { send: false });
  rig.emulator.misbehave.ignoreInputQueries = true;
  const query = next(rig.emulator, 'command');
  await rig.startAll();
  t.same((await query)[0], { type: 'query_inputs' }, 'the reopened link asked');
  await rig.emulator.sendHeartbeat();
  await rig.barrier();
  t.same([door.health().state, door.value()], ['online', undefined], 'not heard about since the link opened: unknown');
  await rig.emulator.send(rig.emulator.inputLines());
  await rig.barrier();
  t.equal(door.value(), true);
  t.same(rig.events[0], { sensor: 'front-door', event: 'change', input: 'door', active: true });
});

t.test('mode mismatch: dropped as input_mode, logged once per input, the input degraded and unchanged until a state of its mode', pty, async (t) => {
  const lines: string[] = [];
  const sink = new Writable({ write: (chunk, _enc, done) => { lines.push(String(chunk)); done(); } });
  const logger = pino({ ...loggerOptions('debug'), base: null, timestamp: false }, sink);
  const rig = await inputRig(t, logger);
  await rig.startAll();
  await rig.barrier();
  rig.events.length = 0;
  const door = rig.sensor(1, 'contact');
  const backDoor = rig.sensor(2, 'contact');
  for (const state of ['active', 'cut', 'normal'] as const) await rig.emulator.setInput(1, 'contact', state);
  await rig.emulator.setInput(2, 'contact', 'open');
  await rig.barrier();
  t.same(rig.events, [], 'nothing from a refused line reaches a listener');
  t.same([door.value(), door.wiringFault(), backDoor.value()], [false, null, false], 'the last levels of the right mode stand');
  t.same(door.health(), { state: 'degraded', reason: 'the door contact on bridge bridge-1 port 1 is configured unsupervised but the bridge reports supervised (normal/active/cut/short) states: make the bridge\'s input setting and the gateway\'s match', since: 0 });
  t.match(backDoor.health(), { state: 'degraded', reason: /port 2 is configured supervised but the bridge reports open\/closed states/ });
  t.equal(rig.bridge.stats().dropped.input_mode, 4);
  t.equal(rig.bridge.health().state, 'online', 'a configuration mismatch does not degrade the bridge');
  const warnings = lines.filter((l) => l.includes('"reason":"input_mode"') && l.includes('"level":40'));
  t.equal(warnings.length, 2, 'one warning per input');
  t.match(warnings[0], /"port":1,"input":"contact"/);
  await rig.emulator.setInput(1, 'contact', 'open');
  await rig.barrier();
  t.same([door.value(), door.health().state], [true, 'online'], 'a state of the configured mode ends it');
  t.same(rig.events, [{ sensor: 'front-door', event: 'change', input: 'door', active: true }]);
});

t.test('I lines for inputs or ports nobody configured are dropped and counted, not degraded', pty, async (t) => {
  const ports = [{ port: 1, readerId: 'front-in', inputs: { contact: { sensorId: 'front-door', input: 'door' as const } } }];
  const rig = await inputRig(t, silent, { ports, inputs: AT_REST.filter((i) => i.port === 1) });
  await rig.startAll();
  await rig.barrier();
  rig.events.length = 0;
  await rig.emulator.send(rig.emulator.inputLine(1, 'rex', 'closed') + rig.emulator.inputLine(3, 'contact', 'open'));
  await rig.barrier();
  t.same(rig.events, []);
  t.match(rig.bridge.stats(), { inputs: 1, dropped: { unconfigured_input: 3, unconfigured_port: 1 } }, 'the S answer carried rex and aux of port 1 too');
  t.equal(rig.bridge.health().state, 'online');
});

t.test('a sensor started late shows the level the bridge already reported, and emits it', pty, async (t) => {
  const rig = await inputRig(t, silent);
  await rig.bridge.reader(1).start();
  await rig.emulator.sendHeartbeat();
  await rig.barrier();
  const rex = rig.sensor(1, 'rex');
  t.equal(rex.value(), undefined, 'not started');
  await rig.emulator.setInput(1, 'rex', 'closed');
  await rig.barrier();
  t.same(rig.events, [], 'a sensor that is not started emits nothing');
  await rex.start();
  t.same([rex.value(), rex.health().state], [true, 'online']);
  t.same(rig.events, [{ sensor: 'front-rex', event: 'change', input: 'rex', active: true }]);
  await rex.stop();
  t.same([rex.value(), rex.health().reason], [undefined, 'stopped']);
});

t.test('a listener that throws does not break the sensor, its other listeners or the bridge', pty, async (t) => {
  const rig = await inputRig(t, silent);
  const door = rig.sensor(2, 'contact');
  for (const event of ['change', 'wiringFault', 'health'] as const) door.on(event, () => { throw new Error(`buggy ${event} listener`); });
  await rig.startAll();
  await rig.emulator.setInput(2, 'contact', 'cut');
  await rig.emulator.setInput(2, 'contact', 'active');
  await rig.barrier();
  t.same(rig.events.filter((e) => e.sensor === 'back-door').map((e) => e.event), ['change', 'wiringFault', 'wiringFault', 'change']);
  t.equal(rig.bridge.health().state, 'online');
});

t.test('configuration: sensor() refuses what is not configured; bad input options reject start() with CONFIG_INVALID', async (t) => {
  const clock = new ManualClock(0);
  const path = '/dev/ttyWIEGAND-inputs-config';
  const link = new SerialLink({ path, baudRate: 9600, clock, logger: silent, binding: SerialPortMock.binding });
  const bridge = new WiegandBridge({ id: 'b', link, path, clock, logger: silent, ports: INPUT_PORTS });
  t.throws(() => bridge.sensor(3, 'contact'), { code: 'CONFIG_INVALID' });
  t.throws(() => new WiegandBridge({ id: 'b', link, path, clock, logger: silent, ports: [{ port: 1, readerId: 'r' }] }).sensor(1, 'rex'), { code: 'CONFIG_INVALID', message: /rex input of port 1 is not configured/ });
  t.throws(() => bridge.sensor(1, 'door' as never), { code: 'CONFIG_INVALID' });
  t.equal(bridge.sensor(1, 'aux'), bridge.sensor(1, 'aux'), 'one object per input');
  const input = (extra: object) => [{ port: 1, readerId: 'r', inputs: { contact: { sensorId: 'c', input: 'door', ...extra } } }] as unknown as WiegandBridgeOptions['ports'];
  const cases: [WiegandBridgeOptions['ports'], RegExp][] = [
    [input({ sensorId: '' }), /port 1 contact: sensorId is needed/],
    [input({ sensorId: 'r' }), /the id r is used twice/],
    [input({ input: 'window' }), /input is one of door, rex, fire/],
    [input({ supervised: 'yes' }), /supervised is true or false/],
    [input({ activeWhen: 'high' }), /activeWhen is open or closed/],
    [input({ supervised: true, activeWhen: 'open' }), /activeWhen is for unsupervised inputs/],
    [[{ port: 1, readerId: 'r', inputs: { door: { sensorId: 'c', input: 'door' } } }] as never, /inputs are contact, rex, aux, not door/],
    [[{ port: 1, readerId: 'r', inputs: { contact: { sensorId: 'c', input: 'door' } } }, { port: 2, readerId: 's', inputs: { rex: { sensorId: 'c', input: 'rex' } } }], /port 2 rex: the id c is used twice/],
  ];
  for (const [ports, message] of cases) {
    await t.rejects(new WiegandBridge({ id: 'b', link, path, clock, logger: silent, ports }).start(), { code: 'CONFIG_INVALID', message }, String(message));
  }
  t.equal(link.health().reason, 'not started', 'nothing was opened');
});

t.test('the link\'s own reopen (adapter unplugged and back): the sensor stays started, S goes out again, no change if the level held', async (t) => {
  const clock = new ManualClock(0);
  const path = '/dev/ttyWIEGAND-inputs-reopen';
  SerialPortMock.binding.createPort(path, { echo: false, record: true });
  t.teardown(() => SerialPortMock.binding.reset());
  const link = new SerialLink({ path, baudRate: 115200, clock, logger: silent, binding: SerialPortMock.binding });
  const bridge = new WiegandBridge({ id: 'bridge-1', link, path, clock, logger: silent, ports: INPUT_PORTS });
  t.teardown(() => bridge.stop());
  const feed = (text: string) => link.emit('data', Buffer.from(text, 'latin1'));
  const emulator = new BridgeEmulator({ clock, inputs: AT_REST });
  const door = bridge.sensor(1, 'contact');
  const changes: boolean[] = [];
  door.on('change', (_input, active) => changes.push(active));
  const written: string[] = [];
  const write = link.write.bind(link);
  link.write = async (bytes) => {
    written.push(String(bytes));
    return write(bytes);
  };
  await door.start();
  t.same(written, ['S *8B66\n', 'Q *AB24\n'], 'S (the inputs) and Q (the firmware, for the doctor) when the link opened');
  feed(emulator.inputLines() + emulator.heartbeatLine());
  t.same([door.value(), changes], [false, [false]]);
  link.emit('health', { state: 'offline', reason: `${path} closed: disconnected`, since: clock.now() });
  t.same([door.value(), door.health().state], [undefined, 'offline']);
  link.emit('health', { state: 'online', reason: 'reopened', since: clock.now() });
  link.emit('open');
  t.equal(written.filter((w) => w === 'S *8B66\n').length, 2, 'S again after the reopen');
  t.equal(written.filter((w) => w === 'Q *AB24\n').length, 2, 'and Q');
  feed(emulator.heartbeatLine());
  t.same([door.health().state, door.value()], ['online', undefined], 'unknown until answered');
  feed(emulator.inputLines());
  t.same([door.value(), changes], [false, [false]], 'the level held: no change');
});
