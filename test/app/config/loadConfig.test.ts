import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, parseConfig } from '../../../src/app/config/loadConfig.js';

t.test('no file means the embedded defaults', async (t) => {
  const c = loadConfig();
  t.match(c, { gateway: { id: 'gw-local', dataDir: './data' }, store: { file: 'lockgw.db' }, demo: { seed: true }, journal: { maxEvents: 1_000_000, durableIntervalMs: 1000 } });
});

t.test('a partial file keeps the defaults of what it does not say', async (t) => {
  const dir = t.testdir({ 'c.yaml': 'gateway:\n  id: gw-7\njournal:\n  maxEvents: 5000\n' });
  const c = loadConfig(join(dir, 'c.yaml'));
  t.equal(c.gateway.id, 'gw-7');
  t.equal(c.gateway.dataDir, './data');
  t.equal(c.journal.maxEvents, 5000);
  t.equal(c.journal.batchSize, 512);
});

t.test('every error is reported with its path and a hint, unknown keys included', async (t) => {
  const dir = t.testdir();
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, 'gateway:\n  id: "has spaces"\n  colour: red\njournal:\n  maxEvents: 10\nlog:\n  level: loud\n');
  const err = t.throws(() => loadConfig(file), { code: 'CONFIG_INVALID' }) as Error;
  t.match(err.message, /bad\.yaml: gateway\.id: may contain only/);
  t.match(err.message, /gateway: unknown key "colour" \(known: id, dataDir\)/);
  t.match(err.message, /journal\.maxEvents: .*hint: between 1000/);
  t.match(err.message, /log\.level: .*hint: one of fatal/);
});

t.test('a YAML syntax error names the line', async (t) => {
  const dir = t.testdir({ 'broken.yaml': 'gateway:\n  id: [unclosed\n' });
  t.throws(() => loadConfig(join(dir, 'broken.yaml')), { code: 'CONFIG_INVALID', message: /YAML syntax error at line/ });
});

t.test('a missing file is a config error, not a crash', async (t) => {
  t.throws(() => loadConfig('/nonexistent/lockgw.yaml'), { code: 'CONFIG_INVALID', message: /cannot read/ });
});

t.test('an unknown top-level section is rejected', async (t) => {
  t.throws(() => parseConfig({ clowd: {} }), { message: /\(top level\): unknown key "clowd"/ });
});

t.test('serial doors must name buses that exist, and no port or channel twice', async (t) => {
  const serial = {
    wiegandBridges: [{ id: 'b1', path: '/dev/serial/by-id/bridge' }],
    relayBoards: [{ id: 'r1', path: '/dev/serial/by-id/relays' }],
  };
  const door = (id: string, bridge: string, port: number, board: string, channel: number) => ({ id, hardware: 'serial', serial: { reader: { bridge, port }, actuator: { board, channel } } });
  const ok = parseConfig({ serial, doors: [door('lobby', 'b1', 1, 'r1', 1)] });
  t.equal(ok.doors[0]!.serial!.actuator.channel, 1);
  t.equal(ok.serial.relayBoards[0]!.baudRate, 9600);
  const err = t.throws(() => parseConfig({ serial, doors: [door('lobby', 'b9', 1, 'r1', 1), door('gym', 'b1', 2, 'r1', 1)] })) as Error;
  t.match(err.message, /doors\.0\.serial\.reader\.bridge: no Wiegand bridge b9/);
  t.match(err.message, /doors\.1\.serial\.actuator: board r1 channel 1 is already used by another door/);
  t.throws(() => parseConfig({ doors: [{ id: 'lobby', hardware: 'serial' }] }), { message: /a serial door needs serial/ });
  t.throws(() => parseConfig({ serial: { relayBoards: [{ id: 'r1', path: 'ttyUSB0' }] } }), { message: /absolute device path/ });
});
