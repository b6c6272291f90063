import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, parseConfig } from '../../../src/app/config/loadConfig.js';
import { refusedConfig as refused } from '../../support/configRefusal.js';


const bridge = (baudRate: number) => ({ id: 'b1', path: '/dev/ttyUSB0', baudRate });
const board = (baudRate: number) => ({ id: 'r1', path: '/dev/ttyUSB1', baudRate });
const sensor = (baudRate: number) => ({ id: 'f1', path: '/dev/ttyUSB2', baudRate });

t.test('an absolute store.file is refused: it would have been moved under dataDir', async (t) => {
  refused(t, { store: { file: '/var/db/lockgw.db' } }, 'store.file', /"\/var\/db\/lockgw\.db" is absolute; store\.file is relative to gateway\.dataDir/);
  t.equal(parseConfig({ store: { file: 'site/lockgw.db' } }).store.file, 'site/lockgw.db', 'a relative file below dataDir is fine');
});

t.test('a dataDir that climbs out with .. is refused', async (t) => {
  refused(t, { gateway: { dataDir: '../../../../etc' } }, 'gateway.dataDir', /climbs out with \.\./);
  refused(t, { gateway: { dataDir: '/var/lib/../../etc' } }, 'gateway.dataDir', /climbs out with \.\./);
  t.equal(parseConfig({ gateway: { dataDir: '/var/lib/lockgw' } }).gateway.dataDir, '/var/lib/lockgw');
  t.equal(parseConfig({ gateway: { dataDir: './state..old' } }).gateway.dataDir, './state..old', 'two dots inside a name are not a ..');
});

t.test('a dataDir under /proc, /sys or /dev is refused instead of hanging', async (t) => {
  refused(t, { gateway: { dataDir: '/proc/1/x' } }, 'gateway.dataDir', /is under \/proc, a kernel file system/);
  refused(t, { gateway: { dataDir: '/sys' } }, 'gateway.dataDir', /is under \/sys/);
  refused(t, { gateway: { dataDir: '//dev/shm/lockgw' } }, 'gateway.dataDir', /is under \/dev/);
  t.equal(parseConfig({ gateway: { dataDir: '/devices/lockgw' } }).gateway.dataDir, '/devices/lockgw', 'a name that merely starts with dev is fine');
});

t.test('a door unlocked longer for accessibility than normally, and not longer than held-open', async (t) => {
  refused(t, { doors: [{ id: 'd1', unlockMs: 8_000, extendedUnlockMs: 6_000 }] }, 'doors.0.extendedUnlockMs', /must be at least unlockMs \(8000\)/);
  refused(t, { doors: [{ id: 'd1', unlockMs: 40_000, extendedUnlockMs: 60_000, heldOpenMs: 30_000 }] }, 'doors.0.unlockMs', /must be at most heldOpenMs \(30000\)/);
  t.doesNotThrow(() => parseConfig({ doors: [{ id: 'd1', unlockMs: 10_000, extendedUnlockMs: 10_000, heldOpenMs: 10_000 }] }), 'equal values are allowed');
});

t.test('journal.batchSize larger than journal.maxEvents is refused', async (t) => {
  refused(t, { journal: { maxEvents: 1_000, batchSize: 5_000 } }, 'journal.batchSize', /must be at most journal\.maxEvents \(1000\)/);
  t.doesNotThrow(() => parseConfig({ journal: { maxEvents: 1_000, batchSize: 1_000 } }));
});

t.test('a serial bus with a baud rate that no UART has is refused, on every kind of bus', async (t) => {
  refused(t, { serial: { wiegandBridges: [bridge(10 ** 12)] } }, 'serial.wiegandBridges.0.baudRate', /1000000000000 is not a standard serial baud rate/);
  refused(t, { serial: { relayBoards: [board(9_601)] } }, 'serial.relayBoards.0.baudRate', /9601 is not a standard/);
  refused(t, { serial: { fingerprintSensors: [sensor(8_000_000)] } }, 'serial.fingerprintSensors.0.baudRate', /8000000 is not a standard/);
  const ok = parseConfig({ serial: { wiegandBridges: [bridge(4_000_000)], relayBoards: [board(9_600)], fingerprintSensors: [sensor(57_600)] } });
  t.same(ok.serial.wiegandBridges.map((b) => b.baudRate), [4_000_000], 'standard rates up to 4,000,000 pass');
});

t.test('a password over plain mqtt:// and an unverified broker certificate are warned about at load, naming the key', async (t) => {
  const dir = t.testdir({
    'lab.yaml': 'cloud:\n  url: mqtt://broker.lab:1883\n  username: gw\n  password: hunter2\n  tls:\n    rejectUnauthorized: false\n',
    'tls.yaml': 'cloud:\n  url: mqtts://broker.lab:8883\n  password: hunter2\n',
  });
  const warnings: string[] = [];
  const c = loadConfig(join(dir, 'lab.yaml'), { warn: (m) => warnings.push(m) });
  t.equal(c.cloud.password, 'hunter2', 'the setting is kept: test setups use it');
  t.equal(warnings.length, 2);
  t.match(warnings[0], /lab\.yaml: cloud\.password: sent in clear text over mqtt:\/\/broker\.lab:1883/);
  t.notMatch(warnings.join('\n'), /hunter2/, 'the password itself is never in a warning');
  t.match(warnings[1], /lab\.yaml: cloud\.tls\.rejectUnauthorized: false .* not verified/);
  const quiet: string[] = [];
  loadConfig(join(dir, 'tls.yaml'), { warn: (m) => quiet.push(m) });
  t.same(quiet, [], 'a password over mqtts:// with a verified certificate gets no warning');
});

t.test('a YAML alias bomb is a config error naming the limit, not a ReferenceError', async (t) => {
  const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
  for (const [prev, name] of [['a', 'b'], ['b', 'c'], ['c', 'd'], ['d', 'e'], ['e', 'f']]) levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
  const dir = t.testdir();
  const file = join(dir, 'bomb.yaml');
  writeFileSync(file, `${levels.join('\n')}\n`);
  const err = t.throws(() => loadConfig(file), { code: 'CONFIG_INVALID', message: /bomb\.yaml: YAML aliases expand beyond the limit of 100/ }) as Error & { details?: { hint?: string } };
  t.match(err.details?.hint, /aliases/);
  t.notOk(err instanceof ReferenceError);
  const few = join(dir, 'few.yaml');
  writeFileSync(few, 'gateway:\n  id: &id gw-1\n  dataDir: ./data\ncontrol:\n  group: *id\n');
  t.equal(loadConfig(few).control.group, 'gw-1', 'an ordinary alias still loads');
});

t.test('an upgraded gateway whose config still says log.pretty starts, with a warning naming the key', async (t) => {
  const dir = t.testdir({ 'old.yaml': 'log:\n  level: info\n  pretty: never\n' });
  const warnings: string[] = [];
  const c = loadConfig(join(dir, 'old.yaml'), { warn: (m) => warnings.push(m) });
  t.equal(c.log.format, 'text');
  t.match(warnings, [/old\.yaml: log\.pretty is no longer used/]);
});
